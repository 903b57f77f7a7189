"""The no-double-booking guarantee: writers of one resource take its lock, then look for what is in the way.

Writers of one resource are serialised in the database: a row lock on the resource on PostgreSQL, and
`BEGIN IMMEDIATE` (settings) on SQLite. On PostgreSQL an exclusion constraint backs this up for single-unit
resources, so even a raw insert cannot double-book them.
"""
from contextlib import contextmanager

from django.db import IntegrityError

from .availability import Usage, overlapping_bookings
from .exceptions import BookingConflict
from .models import Resource

EXCLUSION_VIOLATION = "23P01"


def lock_resource(resource_id):
    """Take the resource's write lock for the rest of the transaction and return it fresh."""
    return Resource.objects.select_for_update(of=("self",)).select_related("centre").get(pk=resource_id)


def find_conflicts(resource, start, end, quantity, exclude_pk=None, bookings=None):
    """The active bookings in the way of `quantity` units over [start, end), buffers included; [] if it fits.

    `bookings` may carry the resource's active bookings preloaded over a longer span (a series checks all its
    occurrences against one query, plus its occurrences accepted so far, which have no pk yet).
    """
    if bookings is None:
        bookings = overlapping_bookings(resource, start - resource.buffer, end + resource.buffer)
    bookings = [b for b in bookings
                if b.start < end + resource.buffer and b.end > start - resource.buffer
                and (exclude_pk is None or b.pk != exclude_pk)]
    if Usage(bookings, resource.buffer).peak(start, end) + quantity <= resource.units:
        return []
    return bookings


@contextmanager
def exclusion_violation_as_conflict(resource, start, end):
    """Around a transaction that books `resource`: when PostgreSQL's exclusion constraint refuses an overlap that
    the lock should have kept out (a raw insert elsewhere racing us), answer a conflict once it has rolled back."""
    try:
        yield
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise BookingConflict(list(overlapping_bookings(resource, start, end))) from error
        raise
