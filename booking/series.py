"""Recurring bookings: each occurrence of a series' RRULE is an ordinary booking linked to the series.

Every occurrence keeps the rules and the conflict check of `services.create_booking`, but a series checks
them all against what it loads once, under the resource's write lock: the opening hours, the closures, the
resource's active bookings and (with a weekly quota) the organisation's bookings over the whole span of the
series. Its occurrences are then written with one bulk insert, so a weekly series for a year costs the same
handful of queries whether the resource's calendar is empty or full.

Each operation on a series (creation, approval, rejection, cancellation, new title or purpose) writes an audit
event per meeting and sends `signals.series_changed` once, so that its listeners (the e-mails) speak of the series
as one thing; `booking_changed` stays for operations on a single booking.

Modes: `all_or_nothing` refuses the whole series (and writes nothing) when any occurrence breaks a rule or
conflicts; `skip_conflicts` books the others and reports each skipped date with its reason. Either way the
rules about who books what (verified organisation, membership, quantity, an active resource) refuse the whole
series, as does a series of which no occurrence can be booked.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .availability import overlapping_bookings, overlapping_closures
from .conflicts import exclusion_violation_as_conflict, find_conflicts, lock_for_booking
from .exceptions import BookingConflict, RuleViolation
from .localtime import local_instant
from .models import ACTIVE_STATUSES, Booking, BookingEvent, BookingSeries, BookingStatus
from .recurrence import expand, parse_rrule
from .rules import (
    booking_interval,
    check_rejection_reason,
    check_request_rules,
    check_time_rules,
    check_title,
    quota_bookings,
)
from .selectors import is_centre_staff, is_member
from .signals import SeriesAction, series_changed

Mode = BookingSeries.Mode


@dataclass(frozen=True)
class SkippedOccurrence:
    """An occurrence that is not booked, and why: a rule's code and message, or `conflict` and the bookings."""

    start: datetime
    end: datetime
    code: str
    message: str
    conflicts: tuple = ()

    def as_json(self):
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "code": self.code,
                "detail": self.message}


@dataclass(frozen=True)
class Recurrence:
    """How a booking repeats: an RFC 5545 RRULE, and what to do with dates that cannot be booked."""

    rrule: str
    mode: str = Mode.ALL_OR_NOTHING


@dataclass
class BookingResult:
    """What `services.book` booked: one booking (`series` None), or a series' bookings and its skipped dates.

    On a dry run nothing is saved: `series` and `bookings` have no pk.
    """

    series: BookingSeries | None
    bookings: list[Booking]
    skipped: list[SkippedOccurrence] = field(default_factory=list)
    dry_run: bool = False

    @property
    def booking(self):
        """The first (for a single booking, the only) booking."""
        return self.bookings[0]

    @property
    def pending(self):
        """Whether the centre's staff have yet to approve what was booked."""
        return bool(self.bookings) and self.bookings[0].status == BookingStatus.PENDING

    @property
    def refused(self):
        """Whether a series is refused as a whole (only a dry run returns such a result; otherwise it raises)."""
        if self.series is None:
            return False
        return bool(self.skipped) and (self.series.mode == Mode.ALL_OR_NOTHING or not self.bookings)


def dates_in_order(bookings, skipped):
    """The booked and the refused meetings of a series together, by start: `(start, end, skipped)` with `skipped`
    the SkippedOccurrence of a refused one and None for a booked one."""
    return sorted([(booking.start, booking.end, None) for booking in bookings]
                  + [(occurrence.start, occurrence.end, occurrence) for occurrence in skipped],
                  key=lambda date: date[0])


class SeriesRuleViolation(RuleViolation):
    """A series refused for broken rules; `occurrences` are the SkippedOccurrences that broke them."""

    def __init__(self, code, message, field, occurrences):
        super().__init__(code, message, field)
        self.occurrences = list(occurrences)


class SeriesConflict(BookingConflict):
    """A series refused because the resource is taken; `occurrences` are the SkippedOccurrences in conflict."""

    def __init__(self, conflicts, message, occurrences):
        super().__init__(conflicts, message)
        self.occurrences = list(occurrences)


def _refusal(skipped, total):
    first = skipped[0]
    message = ngettext(
        "The meeting on %(day)s cannot be booked. %(reason)s",
        "%(count)d of the %(total)d meetings cannot be booked. The first of them is on %(day)s. %(reason)s",
        len(skipped),
    ) % {"count": len(skipped), "total": total, "day": date_format(first.start.date()), "reason": first.message}
    if len(skipped) < total:
        message += " " + _("You can book the other dates and skip these.")
    if all(occurrence.code == "conflict" for occurrence in skipped):
        conflicts = {id(booking): booking for occurrence in skipped for booking in occurrence.conflicts}
        return SeriesConflict(sorted(conflicts.values(), key=lambda b: b.start), message, skipped)
    broken = next(occurrence for occurrence in skipped if occurrence.code != "conflict")
    return SeriesRuleViolation(broken.code, message, "recurrence", skipped)


def create_series(*, actor, resource, organisation, start, end, rrule, mode=Mode.ALL_OR_NOTHING, title, purpose="",
                  attendees=1, quantity=1, public=False, override_reason="", dry_run=False, now=None):
    """Book every occurrence of `rrule` whose first meeting is [start, end), as one series.

    Called through `services.book`. Returns a BookingResult. Raises RuleViolation (SeriesRuleViolation) or
    BookingConflict (SeriesConflict) and writes nothing when the series is refused. `dry_run` checks everything,
    writes nothing and never raises for single occurrences: `result.refused` tells whether the series would be
    refused.
    `override_reason` (staff, checked by `check_request_rules`) sets the rules aside, as for a single booking;
    conflicts and the outer bounds are never set aside.
    """
    now = now or timezone.now()
    with transaction.atomic():
        resource, organisation, hours, actor_is_member = lock_for_booking(resource, actor=actor,
                                                                          organisation=organisation)
        start, end = booking_interval(resource, start, end)
        if mode not in Mode.values:
            raise RuleViolation("invalid_mode", _("Choose how to treat dates that cannot be booked."), "recurrence")
        rule = parse_rrule(rrule)
        centre = resource.centre
        occurrences = expand(rule, start, end, centre.tz)
        override = bool(override_reason)
        check_request_rules(resource=resource, organisation=organisation, actor=actor, title=title,
                            quantity=quantity, attendees=attendees, override=override,
                            actor_is_member=actor_is_member)
        title = title.strip()

        span_start, span_end = occurrences[0][0], occurrences[-1][1]
        closures = list(overlapping_closures(resource, span_start, span_end))
        taken = list(overlapping_bookings(resource, span_start - resource.buffer, span_end + resource.buffer))
        quota_booked = None
        if centre.weekly_hours_per_organisation is not None:
            quota_booked = list(quota_bookings(resource, organisation, span_start - timedelta(days=7),
                                               span_end + timedelta(days=7)))

        first_start, first_end = occurrences[0]
        series = BookingSeries(
            resource=resource, organisation=organisation, created_by=actor, rrule=rule.as_text(centre.tz),
            local_start=first_start, duration=first_end.replace(tzinfo=None) - first_start.replace(tzinfo=None),
            title=title, purpose=purpose, mode=mode,
        )
        status = BookingStatus.PENDING if resource.requires_approval else BookingStatus.CONFIRMED
        accepted, skipped = [], []
        for occurrence_start, occurrence_end in occurrences:
            try:
                check_time_rules(
                    resource=resource, organisation=organisation, start=occurrence_start, end=occurrence_end,
                    now=now, hours=hours, closures=closures, override=override,
                    booked=None if quota_booked is None else quota_booked + accepted,
                )
            except RuleViolation as violation:
                skipped.append(SkippedOccurrence(occurrence_start, occurrence_end, violation.code, violation.message))
                continue
            conflicts = find_conflicts(resource, occurrence_start, occurrence_end, quantity, bookings=taken + accepted)
            if conflicts:
                skipped.append(SkippedOccurrence(occurrence_start, occurrence_end, BookingConflict.code,
                                                 _("This time is already booked."), tuple(conflicts)))
                continue
            accepted.append(Booking(
                resource=resource, organisation=organisation, created_by=actor, series=series, title=title,
                purpose=purpose, attendees=attendees, quantity=quantity, public=public, start=occurrence_start,
                end=occurrence_end, status=status, exclusive=resource.is_single_unit, override_reason=override_reason,
            ))
        series.skipped = [occurrence.as_json() for occurrence in skipped]
        result = BookingResult(series, accepted, skipped, dry_run)
        if dry_run:
            return result
        if result.refused:
            raise _refusal(skipped, len(occurrences))

        series.save()
        with exclusion_violation_as_conflict() as inserting, transaction.atomic():
            inserting.extend(accepted)
            Booking.objects.bulk_create(accepted)
        _record_all(series, accepted, action=SeriesAction.CREATED, actor=actor, from_statuses=[""] * len(accepted),
                    reason=override_reason, skipped=skipped)
    return result


def _record_all(series, bookings, *, action, actor, from_statuses, reason="", skipped=(), from_date=None):
    """The audit events of the series' changed meetings in one insert, then one `series_changed` signal."""
    BookingEvent.objects.bulk_create([
        BookingEvent(booking=booking, actor=actor, from_status=from_status, to_status=booking.status, reason=reason)
        for booking, from_status in zip(bookings, from_statuses, strict=True)
    ])
    series_changed.send(sender=BookingSeries, series=series, action=action, bookings=bookings,
                        from_statuses=from_statuses, actor=actor, reason=reason, skipped=list(skipped),
                        from_date=from_date)


def _fresh(series, *, lock=False):
    queryset = BookingSeries.objects.select_related("resource__centre", "organisation", "created_by")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=series.pk)


def _require_staff(actor, series):
    centre = series.resource.centre
    if not is_centre_staff(actor, centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": centre})


def _transition_all(series, *, statuses, since=None, only=None, to, action, actor, reason, reason_field,
                    from_date=None):
    """Move the series' occurrences in `statuses` (starting at `since` or later; of the ids `only`, if given) to
    `to`, in one update.

    Returns the bookings moved, each with its audit event; `series_changed` announces them (if any) at once.
    """
    occurrences = series.bookings.select_for_update(of=("self",)).filter(status__in=statuses)
    if since is not None:
        occurrences = occurrences.filter(start__gte=since)
    if only is not None:
        occurrences = occurrences.filter(pk__in=only)
    bookings = list(occurrences.select_related("resource__centre", "organisation", "created_by").order_by("start"))
    if not bookings:
        return []
    now = timezone.now()
    Booking.objects.filter(pk__in=[booking.pk for booking in bookings]).update(
        status=to, sequence=F("sequence") + 1, updated_at=now, **{reason_field: reason},
    )
    from_statuses = [booking.status for booking in bookings]
    for booking in bookings:
        booking.status, booking.sequence, booking.updated_at = to, booking.sequence + 1, now
        setattr(booking, reason_field, reason)
    _record_all(series, bookings, action=action, actor=actor, from_statuses=from_statuses, reason=reason,
                from_date=from_date)
    return bookings


def approve_series(*, series, actor, reason=""):
    """Staff confirm every pending occurrence of the series at once; single ones go through `approve_booking`."""
    with transaction.atomic():
        series = _fresh(series)
        _require_staff(actor, series)
        approved = _transition_all(series, statuses=[BookingStatus.PENDING], to=BookingStatus.CONFIRMED,
                                   action=SeriesAction.APPROVED, actor=actor, reason=reason,
                                   reason_field="decision_reason")
        if not approved:
            raise RuleViolation("nothing_pending", _("No meeting of this series awaits approval."), "status")
    return approved


def reject_series(*, series, actor, reason):
    """Staff reject every pending occurrence of the series at once, with a reason."""
    check_rejection_reason(reason)
    reason = reason.strip()
    with transaction.atomic():
        series = _fresh(series)
        _require_staff(actor, series)
        rejected = _transition_all(series, statuses=[BookingStatus.PENDING], to=BookingStatus.REJECTED,
                                   action=SeriesAction.REJECTED, actor=actor, reason=reason,
                                   reason_field="decision_reason")
        if not rejected:
            raise RuleViolation("nothing_pending", _("No meeting of this series awaits approval."), "status")
    return rejected


def _cancellable_since(centre, from_date, now):
    """The first start a cancellation of the series reaches: the meetings that have not started, from `from_date`."""
    since = now + timedelta.resolution
    if from_date is not None:
        since = max(since, local_instant(from_date, centre.tz))
    return since


def meetings_to_cancel(series, *, from_date=None, now=None):
    """The meetings `cancel_series` with these arguments would cancel (to show them before asking)."""
    since = _cancellable_since(series.resource.centre, from_date, now or timezone.now())
    return series.bookings.filter(status__in=ACTIVE_STATUSES, start__gte=since)


def cancel_series(*, series, actor, reason="", from_date=None, now=None):
    """Cancel the series' active occurrences that have not started, all of them or those from `from_date` on.

    Members cancel their organisation's series; the centre's staff cancel any, with a reason. Meetings that have
    started stay as they are (staff cancel a single one with `cancel_booking`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        series = _fresh(series)
        centre = series.resource.centre
        if is_centre_staff(actor, centre):
            if not (reason or "").strip() and not is_member(actor, series.organisation):
                raise RuleViolation("reason_required", _("Say why the booking is cancelled."), "reason")
        elif not is_member(actor, series.organisation):
            raise PermissionDenied(_("You can cancel only your organisation's bookings."))
        since = _cancellable_since(centre, from_date, now)
        cancelled = _transition_all(series, statuses=list(ACTIVE_STATUSES), since=since, to=BookingStatus.CANCELLED,
                                    action=SeriesAction.CANCELLED, actor=actor, reason=reason,
                                    reason_field="cancellation_reason", from_date=from_date)
        if not cancelled:
            raise RuleViolation("nothing_to_cancel", _("No future meeting of this series is left to cancel."), "from")
    return cancelled


def cancel_meetings(*, series, actor, bookings, reason):
    """The centre's staff cancel some meetings of a series (those a closure falls on), saying why; the others stay.
    The organisation gets one message listing the cancelled meetings. Returns them."""
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("Say why the booking is cancelled."), "reason")
    with transaction.atomic():
        series = _fresh(series)
        _require_staff(actor, series)
        return _transition_all(series, statuses=list(ACTIVE_STATUSES), only=[booking.pk for booking in bookings],
                               to=BookingStatus.CANCELLED, action=SeriesAction.CANCELLED, actor=actor,
                               reason=reason.strip(), reason_field="cancellation_reason")


def update_series_details(*, series, actor, title=None, purpose=None, now=None):
    """Change the title or purpose of the series and of its future active occurrences; returns how many changed.

    Each changed booking's `sequence` rises, so subscribed calendars pick the change up, and gets an audit event;
    `series_changed` tells the listeners (the e-mail updates the invitations) which meetings changed.
    """
    now = now or timezone.now()
    changes = {}
    if title is not None:
        changes["title"] = check_title(title)
    if purpose is not None:
        changes["purpose"] = purpose
    with transaction.atomic():
        series = _fresh(series, lock=True)
        if not (is_member(actor, series.organisation) or is_centre_staff(actor, series.resource.centre)):
            raise PermissionDenied(_("You can change only your organisation's bookings."))
        if not changes:
            return 0
        for name, value in changes.items():
            setattr(series, name, value)
        series.save(update_fields=list(changes))
        future = series.bookings.select_for_update(of=("self",)).filter(status__in=ACTIVE_STATUSES, start__gt=now)
        bookings = list(future.select_related("resource__centre", "organisation", "created_by").order_by("start"))
        if not bookings:
            return 0
        changed_at = timezone.now()
        Booking.objects.filter(pk__in=[booking.pk for booking in bookings]).update(
            sequence=F("sequence") + 1, updated_at=changed_at, **changes,
        )
        for booking in bookings:
            booking.sequence, booking.updated_at = booking.sequence + 1, changed_at
            for name, value in changes.items():
                setattr(booking, name, value)
        reason = describe_changes(changes)
        BookingEvent.objects.bulk_create([
            BookingEvent(booking=booking, actor=actor, from_status=booking.status, to_status=booking.status,
                         reason=reason)
            for booking in bookings
        ])
        series_changed.send(sender=BookingSeries, series=series, action=SeriesAction.UPDATED, bookings=bookings,
                            from_statuses=[booking.status for booking in bookings], actor=actor, reason="",
                            skipped=[], from_date=None)
        return len(bookings)


def describe_changes(names):
    """The reason of the audit event of a change of details: which fields changed."""
    fields = ", ".join(str(Booking._meta.get_field(name).verbose_name) for name in names)
    return _("Changed: %(fields)s") % {"fields": fields}
