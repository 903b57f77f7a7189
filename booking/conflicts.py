"""The no-double-booking guarantee: writers of one resource take its lock, then look for what is in the way.

Writers of one resource are serialised in the database: a row lock on the resource on PostgreSQL, and
`BEGIN IMMEDIATE` (settings) on SQLite. On PostgreSQL an exclusion constraint backs this up for single-unit
resources, so even a raw insert cannot double-book them.
"""
from contextlib import contextmanager
from datetime import time, timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.db.models import Aggregate, DateTimeField, Exists, JSONField, OuterRef, Subquery, Value
from django.db.models.functions import JSONArray

from ngo.models import Membership, Organisation

from .availability import Usage, json_moment, overlapping_bookings, overlapping_closures
from .exceptions import BookingConflict, NotVisible
from .models import Booking, Closure, OpeningHours, Resource
from .selectors import visible_organisations, visible_resources

EXCLUSION_VIOLATION = "23P01"


def lock_resource(resource_id):
    """Take the resource's write lock for the rest of the transaction and return it fresh."""
    return Resource.objects.select_for_update(of=("self",)).select_related("centre").get(pk=resource_id)


class _JSONGroupArray(Aggregate):
    """The values of a group as one JSON array (PostgreSQL `jsonb_agg`, SQLite `json_group_array`)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


class LockedForBooking(NamedTuple):
    """What `lock_for_booking` read in the lock's own statement."""

    resource: Resource
    organisation: Organisation
    hours: list  # the centre's OpeningHours, by weekday and time
    actor_is_member: bool  # whether the actor belongs to the organisation booked for


STAFF_FIELDS = {"id", "email", "language", "is_active"}  # what the request notice to the staff reads


def lock_for_booking(resource, *, actor, organisation):
    """`lock_resource`, reading in the same statement the booking rules' reference data that no writer changes
    under this lock: the centre's opening hours and the actor's membership of `organisation`. The centre's staff
    come with it too (`centre.staff.all()` then asks nothing; their other fields load when read), for the notice
    of a request to approve.

    `resource` and `organisation` are instances, or ids as a caller named them (the API): an id is read in the same
    statement among what the actor may see (`selectors.visible_resources`, `visible_organisations`), and one that
    is not there raises NotVisible, whether it exists or not.

    What a writer changes under the resource's lock (its bookings, closures: `services.create_closure`) is read
    after this statement, never in it: a statement that waited for the lock sees the rows of its start.
    """
    named_resource, named_organisation = not isinstance(resource, Resource), not isinstance(organisation, Organisation)
    resource_id = resource if named_resource else resource.pk
    organisation_id = organisation if named_organisation else organisation.pk
    hours = (OpeningHours.objects.filter(centre_id=OuterRef("centre_id")).order_by().values("centre_id")
             .annotate(rows=_JSONGroupArray(JSONArray("weekday", "opens", "closes"))).values("rows"))
    member = Exists(Membership.objects.filter(user_id=actor.pk, organisation_id=organisation_id)) \
        if actor.is_authenticated else Value(False)
    user_model = get_user_model()
    # In the model's order of fields, as Model.from_db reads them.
    staff_fields = [field.attname for field in user_model._meta.concrete_fields if field.attname in STAFF_FIELDS]
    read = dict(hours_rows=Subquery(hours), actor_is_member=member,
                staff_rows=_json_rows(user_model.objects.filter(staffed_centres=OuterRef("centre_id")), *staff_fields))
    if named_organisation:
        read["organisation_rows"] = _json_rows(visible_organisations(actor).filter(pk=organisation_id),
                                               *ORGANISATION_FIELDS)
    resources = visible_resources(actor) if named_resource else Resource.objects.all()
    try:
        resource = (resources.select_for_update(of=("self",)).select_related("centre").annotate(**read)
                    .get(pk=resource_id))
    except Resource.DoesNotExist:
        if named_resource:
            raise NotVisible("resource", resource_id) from None
        raise
    if named_organisation:
        if not resource.organisation_rows:
            raise NotVisible("organisation", organisation_id)
        organisation = _organisation_from_json(resource.organisation_rows[0], resource._state.db)
    people = resource.centre.staff.all()
    people._result_cache = sorted((user_model.from_db(resource._state.db, staff_fields, row)
                                   for row in resource.staff_rows or []), key=lambda user: user.pk)
    people._prefetch_done = True
    resource.centre._prefetched_objects_cache = {"staff": people}
    rows = resource.hours_rows or []
    hours = sorted((OpeningHours(centre_id=resource.centre_id, weekday=weekday, opens=time.fromisoformat(opens),
                                 closes=time.fromisoformat(closes)) for weekday, opens, closes in rows),
                   key=lambda h: (h.weekday, h.opens))
    return LockedForBooking(resource, organisation, hours, bool(resource.actor_is_member))


ORGANISATION_FIELDS = [field.attname for field in Organisation._meta.concrete_fields]


def _organisation_from_json(row, db):
    """An Organisation (of database `db`) from its row as `_json_rows` reads it: every concrete field, datetimes as
    ISO text."""
    values = [None if value is None
              else json_moment(value) if isinstance(field, DateTimeField) else field.to_python(value)
              for field, value in zip(Organisation._meta.concrete_fields, row, strict=True)]
    return Organisation.from_db(db, ORGANISATION_FIELDS, values)


def _json_rows(queryset, *fields):
    """A subquery answering `queryset`'s rows as one JSON array of [field, ...] arrays (NULL when none)."""
    return Subquery(queryset.order_by().annotate(group=Value(1)).values("group")
                    .annotate(rows=_JSONGroupArray(JSONArray(*fields))).values("rows"))


def in_the_way(resource, start, end):
    """In one statement, under the resource's lock: the closures around [start, end) (a day either side, for the
    check-in and check-out days of a stay) and the bookings taking time within it, buffers included.

    Returns (closures, bookings): unsaved Closure and Booking instances carrying what the rules and
    `find_conflicts` read (times, quantity, the closure's reason); a refusal loads the bookings it names in full.
    """
    closures = overlapping_closures(resource, start - timedelta(days=1), end + timedelta(days=1))
    taken = overlapping_bookings(resource, start - resource.buffer, end + resource.buffer)
    rows = Resource.objects.filter(pk=resource.pk).values_list(
        _json_rows(closures, "id", "resource_id", "start", "end", "reason"),
        _json_rows(taken, "id", "start", "end", "quantity")).get()
    closures = [Closure(pk=pk, centre_id=resource.centre_id, resource_id=resource_id, start=json_moment(start),
                        end=json_moment(end), reason=reason) for pk, resource_id, start, end, reason in rows[0] or []]
    taken = [Booking(pk=pk, resource=resource, start=json_moment(start), end=json_moment(end), quantity=quantity)
             for pk, start, end, quantity in rows[1] or []]
    return closures, taken


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
def exclusion_violation_as_conflict():
    """Around a transaction that books: when PostgreSQL's exclusion constraint refuses an overlap that the lock
    should have kept out (a raw insert elsewhere racing us), answer a conflict once it has rolled back. The
    transaction adds the bookings it inserts to the list this yields."""
    inserting = []
    try:
        yield inserting
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION and inserting:
            start, end = min(b.start for b in inserting), max(b.end for b in inserting)
            raise BookingConflict(list(overlapping_bookings(inserting[0].resource, start, end))) from error
        raise
