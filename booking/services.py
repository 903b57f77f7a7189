"""Every change to a booking goes through here: one transaction, the rules, the lock, the audit event.

`book` is the one front door for a booking request, single or recurring, from every path (API, web pages,
admin, shell): it decides which it is, whether staff set the rules aside, and answers one `BookingResult`.
The conflict guarantee itself (the resource's lock, the exclusion constraint) is `conflicts.py`.
"""
from datetime import UTC

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .conflicts import exclusion_violation_as_conflict, find_conflicts, in_the_way, lock_for_booking, lock_resource
from .exceptions import BookingConflict, ClosureHitsBookings, RuleViolation
from .models import ACTIVE_STATUSES, Booking, BookingEvent, BookingStatus, Closure, Resource
from .rules import (
    booking_interval,
    bookings_hit_by,
    check_cancellation,
    check_interval,
    check_quantity,
    check_rejection_reason,
    check_request_rules,
    check_time_rules,
    check_title,
    check_units_cover_bookings,
)
from .selectors import is_centre_staff, is_member
from .series import BookingResult, Recurrence, cancel_meetings, create_series, describe_changes
from .signals import booking_changed, booking_conflict_refused
from .waitlist import freed_by_closure_deleted, freed_by_resource_change, withdraw_offers_in


def book(*, actor, resource, organisation, start, end, title, purpose="", attendees=1, quantity=1, public=False,
         recurrence: Recurrence | None = None, dry_run=False, override_reason=None, now=None,
         appointment=False) -> BookingResult:
    """Book `resource` for `organisation` once, or as a series when `recurrence` is given.

    Returns a BookingResult, or raises RuleViolation / BookingConflict (for a series their subclasses, which carry
    the refused dates) and writes nothing. `dry_run` checks everything and writes nothing. Staff of the centre may
    give `override_reason` to set the booking rules aside; conflicts and the outer bounds are never set aside.
    `appointment` is set only by `consultations.book_appointment`, which has checked the consultant's duty hours:
    a consultant's agenda is booked no other way.

    `resource` and `organisation` may be ids as the caller named them (the API): they are read with the resource's
    lock, and one the actor may not see raises NotVisible (`conflicts.lock_for_booking`). A naive `start` or `end`
    is a wall-clock time at the resource's centre.
    """
    details = dict(actor=actor, resource=resource, organisation=organisation, start=start, end=end, title=title,
                   purpose=purpose, attendees=attendees, quantity=quantity, public=public,
                   override_reason=(override_reason or "").strip(), dry_run=dry_run, now=now)
    try:
        if recurrence is not None:
            return create_series(**details, rrule=recurrence.rrule, mode=recurrence.mode)
        booking = create_booking(**details, appointment=appointment)
        return BookingResult(series=None, bookings=[booking], dry_run=dry_run)
    except BookingConflict as conflict:
        if not dry_run:
            booking_conflict_refused.send(sender=Booking, conflict=conflict)
        raise


def create_booking(*, actor, resource, organisation, start, end, title, purpose="", attendees=1, quantity=1,
                   public=False, override_reason="", dry_run=False, now=None, appointment=False):
    """One booking, through `book`: the rules, then the conflicts, under the resource's lock.

    On a dry run the booking is returned unsaved.
    """
    now = now or timezone.now()
    with exclusion_violation_as_conflict() as inserting, transaction.atomic():
        # The lock's statement also reads the opening hours and the actor's membership (conflicts.lock_for_booking).
        resource, organisation, hours, actor_is_member = lock_for_booking(resource, actor=actor,
                                                                          organisation=organisation)
        # Arithmetic in UTC: two datetimes sharing a zone subtract and compare by wall clock in Python.
        start, end = (moment.astimezone(UTC) for moment in booking_interval(resource, start, end))
        override = bool(override_reason)
        check_request_rules(resource=resource, organisation=organisation, actor=actor, title=title,
                            quantity=quantity, attendees=attendees, override=override, appointment=appointment,
                            actor_is_member=actor_is_member)
        closures, taken = in_the_way(resource, start, end)
        check_time_rules(resource=resource, organisation=organisation, start=start, end=end, now=now,
                         hours=hours, closures=closures, override=override)
        if find_conflicts(resource, start, end, quantity, bookings=taken):
            # The refusal names the bookings in the way, loaded in full (with their titles and organisations).
            raise BookingConflict(find_conflicts(resource, start, end, quantity))
        booking = Booking(
            resource=resource, organisation=organisation, created_by=actor, title=title.strip(),
            purpose=purpose, attendees=attendees, quantity=quantity, public=public, start=start, end=end,
            status=BookingStatus.PENDING if resource.requires_approval else BookingStatus.CONFIRMED,
            exclusive=resource.is_single_unit, override_reason=override_reason,
        )
        if dry_run:
            return booking
        inserting.append(booking)
        booking.save()
        event = _record(booking, actor=actor, from_status="", reason=override_reason)
    # Its history is that one event: kept as if prefetched, so that answering with it takes no query.
    history = booking.events.all()
    history._result_cache, history._prefetch_done = [event], True
    booking._prefetched_objects_cache = {"events": history}
    return booking


def _record(booking, *, actor, from_status, reason=""):
    event = BookingEvent.objects.create(booking=booking, actor=actor, from_status=from_status,
                                        to_status=booking.status, reason=reason)
    booking_changed.send(sender=Booking, booking=booking, from_status=from_status, actor=actor, reason=reason)
    return event


def _transition(booking, *, to, allowed_from, actor, reason, reason_field=None, authorise):
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "resource__centre", "organisation").get(pk=booking.pk)
        authorise(booking)
        if booking.status not in allowed_from:
            raise RuleViolation(
                "invalid_transition",
                _("This booking is %(status)s and cannot change that way.")
                % {"status": booking.get_status_display().lower()},
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


def _require_staff(actor, booking):
    if not is_centre_staff(actor, booking.resource.centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": booking.resource.centre})


def approve_booking(*, booking, actor, reason=""):
    return _transition(booking, to=BookingStatus.CONFIRMED, allowed_from=[BookingStatus.PENDING], actor=actor,
                       reason=reason, reason_field="decision_reason", authorise=lambda b: _require_staff(actor, b))


def reject_booking(*, booking, actor, reason):
    check_rejection_reason(reason)
    return _transition(booking, to=BookingStatus.REJECTED, allowed_from=[BookingStatus.PENDING], actor=actor,
                       reason=reason.strip(), reason_field="decision_reason",
                       authorise=lambda b: _require_staff(actor, b))


def cancel_booking(*, booking, actor, reason="", now=None):
    """Members cancel their organisation's bookings that have not started; staff cancel any, with a reason."""
    now = now or timezone.now()
    return _transition(booking, to=BookingStatus.CANCELLED, allowed_from=list(ACTIVE_STATUSES), actor=actor,
                       reason=reason, reason_field="cancellation_reason",
                       authorise=lambda b: check_cancellation(actor, b, reason=reason, now=now))


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
        freed_by_resource_change(resource)  # units raised: the waitlist may fit now
    return resource


def update_booking_details(*, booking, actor, title=None, purpose=None, attendees=None, public=None):
    """Change what a booking says (title, purpose, attendees, whether its title is public); returns it.

    Its members and the centre's staff may. The `sequence` rises, so subscribed calendars pick the change up, and
    an audit event names the changed fields. Status, time and resource change only through the other services.
    """
    changes = {name: value for name, value in
               (("title", title), ("purpose", purpose), ("attendees", attendees), ("public", public))
               if value is not None}
    if "title" in changes:
        changes["title"] = check_title(changes["title"])
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "resource__centre", "organisation").get(pk=booking.pk)
        if not (is_member(actor, booking.organisation) or is_centre_staff(actor, booking.resource.centre)):
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
        BookingEvent.objects.create(booking=booking, actor=actor, from_status=booking.status,
                                    to_status=booking.status, reason=describe_changes(changes))
    return booking


def create_closure(*, actor, centre, start, end, reason, resource=None, cancel_bookings=None, cancellation_reason="",
                   expected_bookings=None, now=None):
    """Staff close their centre, or one of its resources, for [start, end); returns the Closure.

    The active bookings it falls on (`rules.bookings_hit_by`) are never hidden silently: unless staff have decided,
    `cancel_bookings` being None, ClosureHitsBookings lists them and nothing is written. With `cancel_bookings`
    they are cancelled with `cancellation_reason` (each organisation gets the cancellation e-mail; a series' meetings
    in one message); with False they are kept, and the calendars show them inside the closure. `expected_bookings`
    are the ids of the bookings staff were shown: when it falls on others by now, ClosureHitsBookings again.
    The resources' write locks keep a booking from slipping in meanwhile.
    """
    if not is_centre_staff(actor, centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": centre})
    check_interval(start, end)
    if resource is not None and resource.centre_id != centre.pk:
        raise RuleViolation("wrong_centre", _("This resource belongs to another centre."), "resource")
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("Say why it is closed."), "reason")
    cancellation_reason = (cancellation_reason or "").strip()
    now = now or timezone.now()
    with transaction.atomic():
        scope = Resource.objects.filter(centre=centre) if resource is None else Resource.objects.filter(pk=resource.pk)
        list(scope.select_for_update().order_by("pk").values_list("pk", flat=True))
        hit = bookings_hit_by(centre=centre, resource=resource, start=start, end=end, now=now)
        if hit and cancel_bookings is None:
            raise ClosureHitsBookings(hit)
        if expected_bookings is not None and {booking.pk for booking in hit} - set(expected_bookings):
            raise ClosureHitsBookings(hit, "bookings_changed", _(
                "The bookings in this time have changed since you looked: check them again."))
        if hit and cancel_bookings and not cancellation_reason:
            raise ClosureHitsBookings(hit, "reason_required", _("Say why the bookings are cancelled."),
                                      "cancellation_reason")
        closure = Closure.objects.create(centre=centre, resource=resource, start=start, end=end, reason=reason.strip())
        withdraw_offers_in(scope, start, end)
        if cancel_bookings:
            _cancel_all(hit, actor=actor, reason=cancellation_reason, now=now)
    return closure


def _cancel_all(bookings, *, actor, reason, now):
    """Cancel `bookings` as staff: a single booking through `cancel_booking`, a series' meetings together."""
    meetings = {}
    for booking in bookings:
        if booking.series_id:
            meetings.setdefault(booking.series_id, (booking.series, []))[1].append(booking)
        else:
            cancel_booking(booking=booking, actor=actor, reason=reason, now=now)
    for series, series_bookings in meetings.values():
        cancel_meetings(series=series, actor=actor, bookings=series_bookings, reason=reason)


def delete_closure(*, actor, closure):
    if not is_centre_staff(actor, closure.centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": closure.centre})
    closure.delete()
    freed_by_closure_deleted(closure)
