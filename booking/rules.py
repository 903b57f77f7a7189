"""The booking rules of DESIGN §3. Each check raises RuleViolation with a machine code and a translated message.

`check_request_rules` (what and by whom) and `check_time_rules` (when) are the entry points: the API, the web
pages, the admin, the CSV import and the shell all reach them through `services.book`. Pages that show what
could be booked ask the same functions (`slot_refusal`, `is_open_day`, `can_cancel`) instead of repeating them.
"""
from datetime import time, timedelta
from functools import cached_property

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ngo.models import Organisation

from .availability import Usage, opening_intervals, overlapping_closures, public_holiday, subtract
from .exceptions import RuleViolation
from .formatting import clock, long_date, opening_hours_text
from .localtime import check_in_range, day_bounds, local_day, local_instant, week_of
from .models import ACTIVE_STATUSES, HOLDING_STATUSES, Booking, Closure, Resource
from .selectors import can_book_for, is_centre_staff, member_organisation_ids, staffed_centres
from .wording import quantity_text

TITLE_MAX_LENGTH = Booking._meta.get_field("title").max_length
# Far above any room's or dormitory's real numbers, far below what a database integer holds.
MAX_ATTENDEES = 10_000


def check_interval(start, end):
    """An aware, non-empty [start, end) within the service's calendar (1970 to 2999)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RuleViolation("invalid_interval", _("Start and end must carry a time zone."), "start")
    check_in_range(start, "start")
    check_in_range(end, "end")
    if start >= end:
        raise RuleViolation("invalid_interval", _("The end must be later than the start."), "end")


def booking_interval(resource, start, end):
    """[start, end) as asked for `resource`, checked (`check_interval`): a naive time is a wall-clock time at the
    resource's centre."""
    start, end = local_instant(start, resource.centre.tz), local_instant(end, resource.centre.tz)
    check_interval(start, end)
    return start, end


def check_title(title):
    """A booking's title is not blank and fits its column; returns it stripped."""
    title = (title or "").strip()
    if not title:
        raise RuleViolation("title_required", _("Give the booking a title."), "title")
    if len(title) > TITLE_MAX_LENGTH:
        raise RuleViolation("title_too_long", _("The title is at most %(max)d characters long.")
                            % {"max": TITLE_MAX_LENGTH}, "title")
    return title


def check_quantity(resource, quantity, attendees):
    if attendees < 1:
        raise RuleViolation("invalid_attendees", _("At least one person comes."), "attendees")
    if attendees > MAX_ATTENDEES:
        raise RuleViolation("over_capacity", _("At most %(capacity)d people can come.") % {"capacity": MAX_ATTENDEES},
                            "attendees")
    if quantity < 1:
        raise RuleViolation("invalid_quantity", _("Book at least one unit."), "quantity")
    if quantity > resource.units:
        raise RuleViolation(
            "too_many_units",
            _("%(name)s: at most %(quantity)s at once.") % {"name": resource.name,
                                                             "quantity": quantity_text(resource.kind, resource.units)},
            "quantity",
        )
    if resource.capacity is not None and attendees > resource.capacity:
        raise RuleViolation(
            "over_capacity",
            _("%(name)s holds at most %(capacity)d people.") % {"name": resource.name, "capacity": resource.capacity},
            "attendees",
        )


def check_resource_active(resource):
    if not resource.is_active:
        raise RuleViolation("resource_inactive", _("This resource cannot be booked at the moment."), "resource")


def check_organisation_exists(organisation):
    """An organisation that has left the centre books nothing, whoever asks (staff overriding the rules too)."""
    if organisation.removed_at is not None:
        raise RuleViolation("organisation_removed",
                            _("%(name)s no longer uses the centre.") % {"name": organisation.name}, "organisation")


def check_organisation(organisation, actor, centre, actor_is_member=None):
    check_organisation_exists(organisation)
    if organisation.status == Organisation.Status.SUSPENDED:
        raise RuleViolation(
            "organisation_not_verified",
            _("%(name)s is suspended by the centre and cannot book.") % {"name": organisation.name},
            "organisation",
        )
    if organisation.status != Organisation.Status.VERIFIED:
        raise RuleViolation(
            "organisation_not_verified",
            _("%(name)s has not been verified by the centre yet.") % {"name": organisation.name},
            "organisation",
        )
    if not can_book_for(actor, organisation, centre, actor_is_member=actor_is_member):
        raise RuleViolation("not_a_member", _("You can book only for an organisation you belong to."), "organisation")


def _closures_within(resource, start, end, closures=None):
    """Closures of the resource overlapping [start, end): filtered from `closures` when they are preloaded
    (a series checks many occurrences against one query), else queried."""
    if closures is None:
        return list(overlapping_closures(resource, start, end))
    return [closure for closure in closures if closure.start < end and closure.end > start]


def is_open_day(resource, day, hours, closures=None):
    """Whether the local `day` has opening hours left after holidays and closures (check-in and check-out days)."""
    start, end = day_bounds(day, resource.centre.tz)
    closures = [(c.start, c.end) for c in _closures_within(resource, start, end, closures)]
    return bool(subtract(opening_intervals(resource.centre, hours, start, end), closures))


def bookings_hit_by(*, centre, resource=None, start, end, now=None):
    """The active bookings that a closure of `centre` (or only of its `resource`) over [start, end) falls on, by
    start: time-slot bookings that overlap it, and stays whose check-in or check-out day it closes. Whole-day
    bookings (lockers) do not mind the centre's days, and bookings that have ended do not count."""
    now = now or timezone.now()
    resources = Resource.objects.filter(centre=centre)
    if resource is not None:
        resources = resources.filter(pk=resource.pk)
    closure = Closure(centre=centre, resource=resource, start=start, end=end)
    # A day either side: a stay whose check-in or check-out day the closure closes may lie just outside it.
    candidates = list(Booking.objects.filter(
        resource__in=resources, status__in=ACTIVE_STATUSES, end__gt=max(now, start - timedelta(days=1)),
        start__lt=end + timedelta(days=1),
    ).exclude(resource__booking_mode=Resource.BookingMode.DAYS).select_related(
        "resource__centre", "organisation", "series").order_by("start", "pk"))
    if not candidates:
        return []
    hours = list(centre.opening_hours.all())
    tz = centre.tz
    hit = []
    for booking in candidates:
        if booking.resource.booking_mode == Resource.BookingMode.SLOTS:
            if booking.start < end and booking.end > start:
                hit.append(booking)
            continue
        days = {booking.start.astimezone(tz).date(), booking.end.astimezone(tz).date()}
        existing = list(overlapping_closures(booking.resource, booking.start - timedelta(days=1),
                                             booking.end + timedelta(days=1)))
        if any(is_open_day(booking.resource, day, hours, existing)
               and not is_open_day(booking.resource, day, hours, [*existing, closure]) for day in days):
            hit.append(booking)
    return hit


def _closed_message(resource, day, closures=()):
    """Why `day` cannot be booked, in the words staff gave: the public holiday, or the first closure's reason."""
    words = {"day": date_format(day), "resource": resource.name}
    holiday = public_holiday(resource.centre, day)
    if holiday:
        return _("The centre is closed on %(day)s (%(why)s).") % {**words, "why": holiday}
    if not closures:
        return _("The centre is closed on %(day)s.") % words
    closure = closures[0]
    if closure.resource_id:
        return _("%(resource)s is closed on %(day)s (%(why)s).") % {**words, "why": closure.reason}
    return _("The centre is closed on %(day)s (%(why)s).") % {**words, "why": closure.reason}


def _opening_hours_message(resource, day, hours):
    """Why a time is outside the opening hours: the hours of that day, or the week's hours when it is closed."""
    centre = resource.centre
    tz = centre.tz
    intervals = opening_intervals(centre, hours, *day_bounds(day, tz))
    if not intervals:
        return _("The centre is closed on %(day)s. Opening hours: %(hours)s.") % {
            "day": long_date(day), "hours": "; ".join(opening_hours_text(hours))}
    hours_that_day = ", ".join(f"{clock(opens.astimezone(tz))}–{clock(closes.astimezone(tz))}"
                               for opens, closes in intervals)
    return " ".join([_("The centre is not open for the whole of this time."),
                     _("Opening hours that day (%(day)s): %(hours)s.") % {"day": long_date(day),
                                                                          "hours": hours_that_day}])


def _within_one_interval(resource, day, hours, start, end):
    day_start, day_end = day_bounds(day, resource.centre.tz)
    intervals = opening_intervals(resource.centre, hours, day_start, day_end)
    return any(opens <= start and end <= closes for opens, closes in intervals)


def check_slots_shape(resource, start, end, hours, closures=None):
    tz = resource.centre.tz
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    slot_minutes = max(int(resource.slot_length.total_seconds() // 60), 1)
    for moment in (local_start, local_end):
        if moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % slot_minutes:
            raise RuleViolation(
                "misaligned",
                _("Bookings start and end on whole %(minutes)d-minute slots.") % {"minutes": slot_minutes},
                "start" if moment is local_start else "end",
            )
    day = local_start.date()
    if (local_end - timedelta.resolution).date() != day:
        raise RuleViolation("outside_opening_hours", _("A booking must start and end on the same day."), "end")
    if public_holiday(resource.centre, day):
        raise RuleViolation("closed", _closed_message(resource, day), "start")
    if not _within_one_interval(resource, day, hours, start, end):
        raise RuleViolation("outside_opening_hours", _opening_hours_message(resource, day, hours), "start")
    closing = _closures_within(resource, start, end, closures)
    if closing:
        raise RuleViolation("closed", _closed_message(resource, day, closing), "start")


def check_days_shape(resource, start, end):
    tz = resource.centre.tz
    for moment, field in ((start.astimezone(tz), "start"), (end.astimezone(tz), "end")):
        if moment.timetz().replace(tzinfo=None) != time(0):
            raise RuleViolation("misaligned", _("Book whole days: from midnight to midnight."), field)


def check_nights_shape(resource, start, end, hours, closures=None):
    centre = resource.centre
    local_start, local_end = start.astimezone(centre.tz), end.astimezone(centre.tz)
    if local_start.time() != centre.check_in_time or local_end.time() != centre.check_out_time \
            or local_end.date() <= local_start.date():
        raise RuleViolation(
            "misaligned",
            _("Stays start at check-in (%(check_in)s) and end at check-out (%(check_out)s) on a later day.")
            % {"check_in": centre.check_in_time.strftime("%H:%M"),
               "check_out": centre.check_out_time.strftime("%H:%M")},
            "start",
        )
    for day, field in ((local_start.date(), "start"), (local_end.date(), "end")):
        if not is_open_day(resource, day, hours, closures):
            closing = _closures_within(resource, *day_bounds(day, centre.tz), closures)
            raise RuleViolation("closed", _closed_message(resource, day, closing), field)


def check_shape(resource, start, end, hours, closures=None):
    """Start and end fit the resource's booking mode: slots, whole days or nights."""
    mode = resource.booking_mode
    if mode == Resource.BookingMode.SLOTS:
        check_slots_shape(resource, start, end, hours, closures)
    elif mode == Resource.BookingMode.DAYS:
        check_days_shape(resource, start, end)
    else:
        check_nights_shape(resource, start, end, hours, closures)


def _human_duration(duration):
    """A duration in whole words ("8 hours", "90 minutes"): abbreviations would end a sentence in two full stops."""
    minutes = int(duration.total_seconds() // 60)
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def booked_duration(resource, start, end):
    """How long a booking lasts as people count it.

    Whole days and nights are counted on the wall clock, so a day stays a day when daylight saving makes
    it 23 or 25 hours long; time slots are counted in elapsed time.
    """
    if resource.booking_mode == Resource.BookingMode.SLOTS:
        return end - start
    tz = resource.centre.tz
    return end.astimezone(tz).replace(tzinfo=None) - start.astimezone(tz).replace(tzinfo=None)


def longest_span(resource):
    """The longest booking the resource's mode allows, whatever its own `max_duration`: one local day of slots,
    `BOOKING_MAX_DAYS` days, `BOOKING_MAX_NIGHTS` nights (settings). It keeps every stored date within reach of the
    calendars and e-mails that show it."""
    mode = resource.booking_mode
    if mode == Resource.BookingMode.SLOTS:
        return timedelta(days=1)
    if mode == Resource.BookingMode.DAYS:
        return timedelta(days=settings.BOOKING_MAX_DAYS)
    return timedelta(days=settings.BOOKING_MAX_NIGHTS)


def check_span(resource, start, end):
    """The outer bounds that no path sets aside, staff overriding the rules included: the mode's longest span."""
    duration = booked_duration(resource, start, end)
    longest = longest_span(resource)
    if duration > longest:
        raise RuleViolation("too_long", _("A booking lasts at most %(d)s.") % {"d": _human_duration(longest)}, "end")


def check_duration(resource, start, end):
    check_span(resource, start, end)
    duration = booked_duration(resource, start, end)
    if resource.min_duration and duration < resource.min_duration:
        raise RuleViolation("too_short", _("A booking lasts at least %(d)s.")
                            % {"d": _human_duration(resource.min_duration)}, "end")
    if resource.max_duration and duration > resource.max_duration:
        raise RuleViolation("too_long", _("A booking lasts at most %(d)s.")
                            % {"d": _human_duration(resource.max_duration)}, "end")


def check_advance_window(resource, start, now):
    """No booking starts beyond the resource's advance window, whoever books it."""
    if start > now + resource.advance_window:
        raise RuleViolation(
            "too_far_ahead",
            _("This resource can be booked at most %(d)s ahead.") % {"d": _human_duration(resource.advance_window)},
            "start",
        )


def check_timing(resource, start, now):
    if start < now:
        raise RuleViolation("in_the_past", _("This time has already passed."), "start")
    if start < now + resource.minimum_notice:
        raise RuleViolation(
            "too_late", _("Book at least %(d)s ahead.") % {"d": _human_duration(resource.minimum_notice)}, "start",
        )
    check_advance_window(resource, start, now)


def quota_bookings(resource, organisation, start, end):
    """The organisation's active bookings at the resource's centre over [start, end) that count towards its quota."""
    return Booking.objects.filter(
        organisation=organisation, resource__centre_id=resource.centre_id,
        resource__booking_mode=Resource.BookingMode.SLOTS, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start,
    ).exclude(resource__kind=Resource.Kind.CONSULTANT).only("start", "end")


def check_weekly_quota(resource, organisation, start, end, exclude_pk=None, booked=None):
    """The organisation's booked hours at the centre in the local week of `start` stay within the quota.

    Only time-slot bookings (rooms, desks, equipment) count: a locker kept for a week or a night's stay
    is not hours of use, and would otherwise exhaust any quota at once; nor do consultation appointments, which
    take a person's time, not the centre's space.
    `booked` may carry what `quota_bookings` gives over a longer span, preloaded once (a series adds its
    occurrences accepted so far); otherwise the week is queried.
    """
    quota = resource.centre.weekly_hours_per_organisation
    if quota is None or resource.booking_mode != Resource.BookingMode.SLOTS \
            or resource.kind == Resource.Kind.CONSULTANT:
        return
    week_start, week_end = week_of(start, resource.centre.tz)
    if booked is None:
        booked = quota_bookings(resource, organisation, week_start, week_end).exclude(pk=exclude_pk)
    used = sum(((min(b.end, week_end) - max(b.start, week_start)) for b in booked
                if b.start < week_end and b.end > week_start), timedelta(0))
    wanted = min(end, week_end) - max(start, week_start)
    if used + wanted > timedelta(hours=quota):
        raise RuleViolation(
            "quota_exceeded",
            _("%(name)s may book at most %(quota)d hours a week here; %(used).1f are already booked.")
            % {"name": organisation.name, "quota": quota, "used": used.total_seconds() / 3600},
            "end",
        )


def check_booked_as_appointment(resource, appointment):
    """A consultant's agenda is booked only as a consultation appointment (`consultations.book_appointment`), which
    checks their duty hours first; never through the resource pages, a series or a staff override alone."""
    if resource.kind == Resource.Kind.CONSULTANT and not appointment:
        raise RuleViolation("consultation_only",
                            _("A consultant's time is booked as a consultation appointment."), "resource")


def check_request_rules(*, resource, organisation, actor, title, quantity, attendees, override=False,
                        appointment=False, actor_is_member=None):
    """The rules about what is booked and by whom, the same for every occurrence of a series.

    `actor_is_member` may carry whether the actor belongs to the organisation, read already (with the lock).

    With `override` (staff setting the rules aside) the resource may be inactive and the organisation unverified or
    not the actor's, but the title, the numbers and an organisation that has left the centre still count.
    """
    if override and not is_centre_staff(actor, resource.centre):
        raise PermissionDenied(_("Only the centre's staff may override the booking rules."))
    check_booked_as_appointment(resource, appointment)
    check_title(title)
    check_quantity(resource, quantity, attendees)
    if override:
        check_organisation_exists(organisation)
        return
    check_resource_active(resource)
    check_organisation(organisation, actor, resource.centre, actor_is_member)


def check_time_rules(*, resource, organisation, start, end, now, hours, closures=None, booked=None, override=False):
    """The rules about when: shape, duration, notice and advance window, weekly quota.

    With `override` only the bounds no one sets aside remain: the mode's longest span and the advance window.
    With `closures` (`overlapping_closures`) and `booked` (`quota_bookings`) preloaded over a longer span,
    as a series does, these checks run no query.
    """
    if override:
        check_span(resource, start, end)
        check_advance_window(resource, start, now)
        return
    check_time_for_anyone(resource, start, end, now, hours, closures)
    check_weekly_quota(resource, organisation, start, end, booked=booked)


def check_time_for_anyone(resource, start, end, now, hours, closures=None):
    """The rules about when that hold whoever books: shape, duration, notice and advance window (the search for a
    free room asks them before it offers a time)."""
    check_shape(resource, start, end, hours, closures)
    check_duration(resource, start, end)
    check_timing(resource, start, now)


def slot_refusal(resource, start, now):
    """Why a free slot starting at `start` cannot be booked now (a RuleViolation: `in_the_past`, `too_late`,
    `too_far_ahead`), or None: the week page asks this instead of repeating the timing rules."""
    try:
        check_timing(resource, start, now)
    except RuleViolation as violation:
        return violation
    return None


def check_rejection_reason(reason):
    """A request is never rejected without telling the organisation why (every path: API, pages, series)."""
    if not (reason or "").strip():
        raise RuleViolation("reason_required", _("Say why the request is rejected."), "reason")


class CancellationCheck:
    """Whether `actor` may cancel bookings now. Members cancel their organisations' bookings that have not started;
    the centre's staff cancel any active booking, saying why when it is another organisation's; a consultant cancels
    the appointments of their own agenda that have not started. Built once (two
    queries), so that a page of bookings asks it for each booking at no further cost.
    """

    def __init__(self, actor, *, now=None):
        self.actor = actor
        self.now = now or timezone.now()
        self.centre_ids = set(staffed_centres(actor).values_list("pk", flat=True))
        self.organisation_ids = set(member_organisation_ids(actor).values_list("organisation_id", flat=True)) \
            if actor.is_authenticated else set()

    def _is_staff(self, booking):
        return booking.resource.centre_id in self.centre_ids

    @cached_property
    def _agenda_ids(self):
        """The consultant agendas (resources) that are the actor's own: asked only when a booking of one comes up."""
        if not self.actor.is_authenticated:
            return frozenset()
        return frozenset(Resource.objects.filter(consultant__user=self.actor).values_list("pk", flat=True))

    def _is_consultant(self, booking):
        return booking.resource.kind == Resource.Kind.CONSULTANT and booking.resource_id in self._agenda_ids

    def refusal(self, booking):
        """Why `booking` cannot be cancelled by the actor (PermissionDenied or RuleViolation), or None."""
        staff = self._is_staff(booking)
        if not staff and booking.organisation_id not in self.organisation_ids and not self._is_consultant(booking):
            return PermissionDenied(_("You can cancel only your organisation's bookings."))
        if booking.status not in ACTIVE_STATUSES:
            return RuleViolation("invalid_transition", _("This booking is %(status)s and cannot change that way.")
                                 % {"status": booking.get_status_display().lower()}, "status")
        if not staff and booking.start <= self.now:
            return RuleViolation("already_started", _("A booking that has started can no longer be cancelled."),
                                 "start")
        return None

    def allows(self, booking):
        return self.refusal(booking) is None

    def needs_reason(self, booking):
        """Staff cancelling another organisation's booking say why; its members need not."""
        return self._is_staff(booking) and booking.organisation_id not in self.organisation_ids

    def check(self, booking, *, reason=""):
        refusal = self.refusal(booking)
        if refusal is not None:
            raise refusal
        if self.needs_reason(booking) and not (reason or "").strip():
            raise RuleViolation("reason_required", _("Say why the booking is cancelled."), "reason")


def can_cancel(actor, booking, *, now=None):
    """Whether the page shows `actor` a cancel button for `booking` (lists build one CancellationCheck instead)."""
    return CancellationCheck(actor, now=now).allows(booking)


def cancellation_needs_reason(actor, booking):
    """Whether `actor` must say why they cancel `booking` (or, as the same people decide, the rest of its series)."""
    return CancellationCheck(actor).needs_reason(booking)


def check_cancellation(actor, booking, *, reason="", now=None):
    """Raise why `actor` may not cancel `booking` now."""
    CancellationCheck(actor, now=now).check(booking, reason=reason)


def check_units_cover_bookings(resource, units, buffer, now):
    """`units` (with `buffer` around each booking) still hold what the resource's bookings that have not ended
    take at once. Bookings that are over do not count: a dormitory that lost a bed keeps its history."""
    bookings = resource.bookings.filter(status__in=HOLDING_STATUSES, end__gt=now).only("start", "end", "quantity")
    usage = Usage(bookings, buffer)
    peak = max(usage.levels, default=0)
    if peak <= units:
        return
    when = usage.instants[usage.levels.index(peak)].astimezone(resource.centre.tz)
    raise RuleViolation(
        "units_below_bookings",
        ngettext("%(count)d unit is booked on %(day)s at %(time)s; the resource cannot have fewer.",
                 "%(count)d units are booked on %(day)s at %(time)s; the resource cannot have fewer.", peak)
        % {"count": peak, "day": date_format(when.date()), "time": when.strftime("%H:%M")},
        "units",
    )


def check_certificate_period(first_day, last_day, today):
    """A certificate covers a period in order (first day not after the last) that has begun."""
    if first_day > last_day:
        raise RuleViolation("invalid_period", _("The last day must not be earlier than the first."), "last_day")
    if first_day > today:
        raise RuleViolation("period_not_begun", _("A certificate covers what took place: the period has not begun."),
                            "first_day")


def check_renewal(booking, last_day, now):
    """Only a lending by whole days that stands, has not ended and is not renewed yet can be renewed, to a later
    day than its own last."""
    if booking.resource.booking_mode != Resource.BookingMode.DAYS:
        raise RuleViolation("not_renewable", _("Only bookings by whole days (lockers, desks) can be renewed."))
    if booking.status not in ACTIVE_STATUSES or booking.end <= now:
        raise RuleViolation("not_renewable", _("This booking has ended or been called off; book anew."))
    if getattr(booking, "is_renewed", False):
        raise RuleViolation("already_renewed", _("This booking is renewed already."))
    if last_day < local_day(booking.end, booking.resource.centre.tz):
        raise RuleViolation("invalid_period", _("Choose a day after the booking's last day."), "last_day")


def check_key_handover(booking, key, taken_by, deposit, now):
    """A key is handed over for a standing booking, not ended, of a resource that has keys; with its number,
    who took it and a deposit that is not negative."""
    if not booking.resource.needs_key:
        raise RuleViolation("no_key", _("This resource has no key or card to hand over."), "booking")
    if booking.status not in ACTIVE_STATUSES or booking.end <= now:
        raise RuleViolation("booking_over", _("This booking has ended or been called off."), "booking")
    if not key:
        raise RuleViolation("required", _("Give the key or card number."), "key")
    if not taken_by:
        raise RuleViolation("required", _("Give the name of the person who took it."), "taken_by")
    if deposit is not None and deposit < 0:
        raise RuleViolation("invalid_deposit", _("A deposit cannot be negative."), "deposit")


def check_key_return(handover):
    if handover.returned_on is not None:
        raise RuleViolation("already_returned", _("This key has been returned already."))
