"""Every change to a booking goes through here: one transaction, the rules, the lock, the audit event.

Writers of one resource are serialised in the database: a row lock on the resource on PostgreSQL, and
`BEGIN IMMEDIATE` (settings) on SQLite. On PostgreSQL an exclusion constraint backs this up for
single-unit resources, so even a raw insert cannot double-book them.
"""
from contextlib import contextmanager
from datetime import timezone as dt_timezone

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .availability import Usage, overlapping_bookings
from .exceptions import BookingConflict, RuleViolation
from .models import ACTIVE_STATUSES, Booking, BookingEvent, BookingStatus, Closure, Resource
from .rules import check_booking_rules, check_interval, check_quantity, check_units_cover_bookings
from .selectors import is_centre_staff, is_member
from .signals import booking_changed

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


def _record(booking, *, actor, from_status, reason=""):
    event = BookingEvent.objects.create(booking=booking, actor=actor, from_status=from_status,
                                        to_status=booking.status, reason=reason)
    booking_changed.send(sender=Booking, booking=booking, from_status=from_status, actor=actor, reason=reason)
    return event


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


def create_booking(*, user, resource, organisation, start, end, title, purpose="", attendees=1, quantity=1,
                   public=False, override_reason="", series=None, now=None):
    """Book `resource` for `organisation`, or raise RuleViolation / BookingConflict and write nothing.

    Staff of the centre may pass `override_reason` to set the rules aside; conflicts are never overridden.
    """
    now = now or timezone.now()
    override_reason = (override_reason or "").strip()
    check_interval(start, end)
    # Arithmetic in UTC: two datetimes sharing a zone subtract and compare by wall clock in Python.
    start, end = start.astimezone(dt_timezone.utc), end.astimezone(dt_timezone.utc)
    with exclusion_violation_as_conflict(resource, start, end), transaction.atomic():
        resource = lock_resource(resource.pk)
        if override_reason:
            if not is_centre_staff(user, resource.centre):
                raise PermissionDenied(_("Only the centre's staff may override the booking rules."))
            check_quantity(resource, quantity, attendees)
        else:
            hours = list(resource.centre.opening_hours.all())
            check_booking_rules(resource=resource, organisation=organisation, user=user, start=start, end=end,
                                quantity=quantity, attendees=attendees, now=now, hours=hours)
        conflicts = find_conflicts(resource, start, end, quantity)
        if conflicts:
            raise BookingConflict(conflicts)
        booking = Booking(
            resource=resource, organisation=organisation, created_by=user, series=series, title=title,
            purpose=purpose, attendees=attendees, quantity=quantity, public=public, start=start, end=end,
            status=BookingStatus.PENDING if resource.requires_approval else BookingStatus.CONFIRMED,
            exclusive=resource.is_single_unit, override_reason=override_reason,
        )
        booking.save()
        event = _record(booking, actor=user, from_status="", reason=override_reason)
    # Its history is that one event: kept as if prefetched, so that answering with it takes no query.
    history = booking.events.all()
    history._result_cache, history._prefetch_done = [event], True
    booking._prefetched_objects_cache = {"events": history}
    return booking


def _transition(booking, *, to, allowed_from, actor, reason, reason_field=None, authorise):
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "resource__centre", "organisation").get(pk=booking.pk)
        authorise(booking)
        if booking.status not in allowed_from:
            raise RuleViolation(
                "invalid_transition",
                _("This booking is %(status)s and cannot change that way.") % {"status": booking.get_status_display().lower()},
                "status",
            )
        from_status = booking.status
        booking.status = to
        booking.sequence += 1
        fields = ["status", "sequence", "updated_at"]
        if reason_field:
            setattr(booking, reason_field, reason)
            fields.append(reason_field)
        booking.save(update_fields=fields)
        _record(booking, actor=actor, from_status=from_status, reason=reason)
    return booking


def _require_staff(user, booking):
    if not is_centre_staff(user, booking.resource.centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": booking.resource.centre})


def approve_booking(*, booking, user, reason=""):
    return _transition(booking, to=BookingStatus.CONFIRMED, allowed_from=[BookingStatus.PENDING], actor=user,
                       reason=reason, reason_field="decision_reason", authorise=lambda b: _require_staff(user, b))


def reject_booking(*, booking, user, reason):
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("Say why the request is rejected."), "reason")
    return _transition(booking, to=BookingStatus.REJECTED, allowed_from=[BookingStatus.PENDING], actor=user,
                       reason=reason, reason_field="decision_reason", authorise=lambda b: _require_staff(user, b))


def cancel_booking(*, booking, user, reason="", now=None):
    """Members cancel their organisation's bookings that have not started; staff cancel any, with a reason."""
    now = now or timezone.now()

    def authorise(booking):
        if is_centre_staff(user, booking.resource.centre):
            if not (reason or "").strip() and not is_member(user, booking.organisation):
                raise RuleViolation("reason_required", _("Say why the booking is cancelled."), "reason")
            return
        if not is_member(user, booking.organisation):
            raise PermissionDenied(_("You can cancel only your organisation's bookings."))
        if booking.start <= now:
            raise RuleViolation("already_started", _("A booking that has started can no longer be cancelled."), "start")

    return _transition(booking, to=BookingStatus.CANCELLED, allowed_from=list(ACTIVE_STATUSES), actor=user,
                       reason=reason, reason_field="cancellation_reason", authorise=authorise)


def check_resource_units(resource, *, units, buffer, now=None):
    """Take the resource's write lock and check that `units` and `buffer` still hold its bookings that have not
    ended. Inside the caller's transaction the lock lasts until it commits (the admin saves in one)."""
    if resource.pk is None:
        return
    with transaction.atomic():
        lock_resource(resource.pk)
        check_units_cover_bookings(resource, units, buffer, now or timezone.now())


def save_resource(resource, *, now=None):
    """Save a new or changed resource, or raise RuleViolation (`units_below_bookings`) and write nothing.

    Its bookings' `exclusive` copy of `units == 1` follows in the same transaction: all of them leave the
    PostgreSQL exclusion constraint when a unit is added; only those not yet ended join it when the resource
    goes back to one unit (those that are over may overlap, and stay as they were). On PostgreSQL the triggers
    of migration 0007 do the same for any writer.
    """
    now = now or timezone.now()
    with transaction.atomic():
        check_resource_units(resource, units=resource.units, buffer=resource.buffer, now=now)
        resource.save()
        stale = resource.bookings.exclude(exclusive=resource.is_single_unit)
        if resource.is_single_unit:
            stale = stale.filter(end__gt=now)
        stale.update(exclusive=resource.is_single_unit)
    return resource


def update_booking_details(*, booking, user, title=None, purpose=None, attendees=None, public=None):
    """Change what a booking says (title, purpose, attendees, whether its title is public); returns it.

    Its members and the centre's staff may. The `sequence` rises, so subscribed calendars pick the change up, and
    an audit event names the changed fields. Status, time and resource change only through the other services.
    """
    changes = {name: value for name, value in
               (("title", title), ("purpose", purpose), ("attendees", attendees), ("public", public))
               if value is not None}
    if "title" in changes:
        changes["title"] = changes["title"].strip()
        if not changes["title"]:
            raise RuleViolation("title_required", _("Give the booking a title."), "title")
        if len(changes["title"]) > Booking._meta.get_field("title").max_length:
            raise RuleViolation("title_too_long", _("The title is too long."), "title")
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "resource__centre", "organisation").get(pk=booking.pk)
        if not (is_member(user, booking.organisation) or is_centre_staff(user, booking.resource.centre)):
            raise PermissionDenied(_("You can change only your organisation's bookings."))
        changes = {name: value for name, value in changes.items() if getattr(booking, name) != value}
        if not changes:
            return booking
        if "attendees" in changes:
            check_quantity(booking.resource, booking.quantity, changes["attendees"])
        for name, value in changes.items():
            setattr(booking, name, value)
        booking.sequence += 1
        booking.save(update_fields=[*changes, "sequence", "updated_at"])
        BookingEvent.objects.create(booking=booking, actor=user, from_status=booking.status,
                                    to_status=booking.status, reason=describe_changes(changes))
    return booking


def describe_changes(names):
    """The reason of the audit event of a change of details: which fields changed."""
    fields = ", ".join(str(Booking._meta.get_field(name).verbose_name) for name in names)
    return _("Changed: %(fields)s") % {"fields": fields}


def create_closure(*, user, centre, start, end, reason, resource=None):
    """Staff close their centre, or one of its resources, for [start, end). Bookings inside stay as they are."""
    if not is_centre_staff(user, centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": centre})
    check_interval(start, end)
    if resource is not None and resource.centre_id != centre.pk:
        raise RuleViolation("wrong_centre", _("This resource belongs to another centre."), "resource")
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("Say why it is closed."), "reason")
    return Closure.objects.create(centre=centre, resource=resource, start=start, end=end, reason=reason.strip())


def delete_closure(*, user, closure):
    if not is_centre_staff(user, closure.centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": closure.centre})
    closure.delete()
