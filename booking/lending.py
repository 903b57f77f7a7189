"""Long-term lending of resources booked by whole days (lockers, desks by the day): renewals and their ends.

A renewal is a new booking that starts when the current one ends (the same resource, organisation, title,
purpose and quantity), made through `services.book` like any other: the same rules, conflicts and approval. A
lending counts as renewed while an active booking of the same resource for the same organisation starts exactly
at its end; renewed lendings get no reminders of their end and leave the staff's "ending this month" list.
"""
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .localtime import local_day, local_midnight
from .models import ACTIVE_STATUSES, Booking, Resource
from .rules import check_renewal
from .selectors import organisation_bookings
from .services import book


def renewed():
    """An expression: the booking has a renewal (an active booking of the same resource and organisation starting
    at its end)."""
    return Exists(Booking.objects.filter(resource=OuterRef("resource"), organisation=OuterRef("organisation"),
                                         start=OuterRef("end"), status__in=ACTIVE_STATUSES))


def lendings():
    """Active bookings of resources booked by whole days, with `is_renewed`."""
    return Booking.objects.filter(resource__booking_mode=Resource.BookingMode.DAYS,
                                  status__in=ACTIVE_STATUSES).annotate(is_renewed=renewed())


def renewable_lendings(user, now=None):
    """The ids of "our bookings" that `user` may renew now: lendings that have not ended and are not renewed."""
    now = now or timezone.now()
    return set(lendings().filter(pk__in=organisation_bookings(user).values("pk"), end__gt=now, is_renewed=False)
               .values_list("pk", flat=True))


def ending_lendings(centres, now=None):
    """The staff's "ending this month": lendings at `centres` ending from now to the end of the local month,
    not renewed, soonest first."""
    now = now or timezone.now()
    bookings = []
    for booking in (lendings().filter(resource__centre__in=centres, end__gt=now, end__lte=now + timedelta(days=32),
                                      is_renewed=False)
                    .select_related("resource__centre", "organisation").order_by("end", "pk")):
        tz = booking.resource.centre.tz
        today = local_day(now, tz)
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        if booking.end <= local_midnight(next_month, tz):
            bookings.append(booking)
    return bookings


def renew_booking(*, actor, booking, last_day, now=None):
    """Renew `booking` until `last_day` (included): a new booking from its end, through the one front door.

    Returns the BookingResult of `services.book`; raises RuleViolation / BookingConflict like it.
    """
    now = now or timezone.now()
    booking = Booking.objects.annotate(is_renewed=renewed()).select_related("resource__centre", "organisation").get(
        pk=booking.pk)
    check_renewal(booking, last_day, now)
    tz = booking.resource.centre.tz
    return book(actor=actor, resource=booking.resource, organisation=booking.organisation, start=booking.end,
                end=local_midnight(last_day + timedelta(days=1), tz), title=booking.title, purpose=booking.purpose,
                attendees=booking.attendees, quantity=booking.quantity, public=booking.public, now=now)
