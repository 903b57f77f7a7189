"""When a resource is open, taken and free. Pure interval arithmetic over a handful of queries.

Intervals are half-open `[start, end)` aware datetimes: 10:00-11:00 and 11:00-12:00 do not touch.
"""
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays
from django.db.models import Q

from .localtime import local_midnight
from .models import HOLDING_STATUSES, Booking, Closure, OpeningHours, Resource


@dataclass(frozen=True)
class FreeInterval:
    start: datetime
    end: datetime
    units: int


@dataclass(frozen=True)
class BusyInterval:
    start: datetime
    end: datetime
    title: str | None
    booking: Booking


@dataclass(frozen=True)
class Availability:
    resource: Resource
    start: datetime
    end: datetime
    free: list[FreeInterval]
    busy: list[BusyInterval]


@lru_cache(maxsize=64)
def _polish_holidays(year):
    return holidays.country_holidays("PL", years=year, language="pl")


def public_holiday(centre, day: date) -> str | None:
    """The name of the Polish public holiday that closes the centre on `day`, or None."""
    if not centre.closed_on_public_holidays:
        return None
    return _polish_holidays(day.year).get(day)


def local_days(tz, start, end):
    """Every local date that the interval [start, end) touches."""
    day = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def opening_intervals(centre, hours, start, end):
    """Aware intervals within [start, end) when the centre is open by its weekly hours, holidays excluded."""
    tz = centre.tz
    by_weekday = defaultdict(list)
    for interval in hours:
        by_weekday[interval.weekday].append(interval)
    result = []
    for day in local_days(tz, start, end):
        if public_holiday(centre, day):
            continue
        for interval in sorted(by_weekday[day.weekday()], key=lambda h: h.opens):
            opens = max(datetime.combine(day, interval.opens, tzinfo=tz), start)
            closes = min(datetime.combine(day, interval.closes, tzinfo=tz), end)
            if opens < closes:
                result.append((opens, closes))
    return result


def subtract(intervals, cuts):
    """`intervals` (sorted, disjoint) minus every interval in `cuts`."""
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for cut_start, cut_end in cuts:
            pieces = [
                piece
                for piece_start, piece_end in pieces
                for piece in ((piece_start, min(piece_end, cut_start)), (max(piece_start, cut_end), piece_end))
                if piece[0] < piece[1]
            ]
        result.extend(pieces)
    return result


def overlapping_bookings(resource, start, end):
    """Bookings of `resource` that take time within [start, end): active ones, and offers held for the waitlist."""
    # Through the related manager, so each booking's `.resource` is this instance, not another query.
    return resource.bookings.filter(status__in=HOLDING_STATUSES, start__lt=end, end__gt=start)


def overlapping_closures(resource, start, end):
    """Closures of the resource's centre, or of the resource itself, that overlap [start, end)."""
    return Closure.objects.filter(
        Q(resource__isnull=True) | Q(resource=resource), centre_id=resource.centre_id, start__lt=end, end__gt=start,
    )


def bookable_intervals(resource, start, end, hours, closures):
    """When, within [start, end), a booking of the resource may lie, by its booking mode."""
    if resource.booking_mode == Resource.BookingMode.SLOTS:
        return subtract(opening_intervals(resource.centre, hours, start, end),
                        [(closure.start, closure.end) for closure in closures])
    return [(start, end)]


class Usage:
    """How many units of a resource are taken at each instant, bookings widened by the buffer."""

    def __init__(self, bookings, buffer=timedelta(0)):
        deltas = defaultdict(int)
        for booking in bookings:
            deltas[booking.start - buffer] += booking.quantity
            deltas[booking.end + buffer] -= booking.quantity
        self.instants = sorted(deltas)
        self.levels = []
        level = 0
        for instant in self.instants:
            level += deltas[instant]
            self.levels.append(level)

    def at(self, instant):
        index = bisect_right(self.instants, instant) - 1
        return self.levels[index] if index >= 0 else 0

    def changes_within(self, start, end):
        return self.instants[bisect_right(self.instants, start):bisect_right(self.instants, end - timedelta.resolution)]

    def peak(self, start, end):
        return max([self.at(start)] + [self.at(instant) for instant in self.changes_within(start, end)])


def free_intervals(bookable, usage, units):
    """Split the bookable intervals where usage changes; keep the parts with a unit left, merging equals."""
    result = []
    for start, end in bookable:
        cuts = [start, *usage.changes_within(start, end), end]
        for piece_start, piece_end in zip(cuts, cuts[1:], strict=False):
            free = units - usage.at(piece_start)
            if free <= 0:
                continue
            if result and result[-1].end == piece_start and result[-1].units == free:
                result[-1] = FreeInterval(result[-1].start, piece_end, free)
            else:
                result.append(FreeInterval(piece_start, piece_end, free))
    return result


def resource_availability(resource, start, end, *, title_visible=lambda booking: booking.public):
    """Free and busy intervals of `resource` within [start, end).

    `title_visible(booking)` decides whether a busy interval shows the booking's title.
    Costs three queries (opening hours, closures, bookings) whatever the history holds.
    """
    # Unordered: sorted below; an ORDER BY would steer the planner to an index that scans the whole history.
    bookings = list(overlapping_bookings(resource, start - resource.buffer, end + resource.buffer).order_by())
    closures = list(overlapping_closures(resource, start, end))
    hours = list(resource.centre.opening_hours.all())
    usage = Usage(bookings, resource.buffer)
    free = free_intervals(bookable_intervals(resource, start, end, hours, closures), usage, resource.units)
    busy = [
        BusyInterval(booking.start, booking.end, booking.title if title_visible(booking) else None, booking)
        for booking in sorted(bookings, key=lambda b: (b.start, b.pk))
        if booking.start < end and booking.end > start
    ]
    return Availability(resource, start, end, free, busy)


def nearest_free_slots(resource, start, end, *, quantity=1, bookable=lambda start: True, count=3, days=14):
    """Free times of the same length as [start, end), to offer instead of it: up to `count`, one a day, on its
    local day and the next days (`days` at most) that have one, each the nearest to its time of day.

    Each starts on a whole slot, lies within the opening hours left after closures, has `quantity` units free
    (buffers counted) and passes `bookable(start)` (the caller's timing rules: notice, advance window).
    Costs the three queries of `resource_availability`, once for the whole span.
    """
    tz = resource.centre.tz
    length = end - start
    asked = start.astimezone(tz)
    first_day = asked.date()
    span = local_midnight(first_day, tz), local_midnight(first_day + timedelta(days=days + 1), tz)
    runs = []
    for interval in resource_availability(resource, *span).free:
        if interval.units < quantity:
            continue
        if runs and runs[-1][1] == interval.start:
            runs[-1][1] = interval.end
        else:
            runs.append([interval.start, interval.end])
    slot_minutes = max(int(resource.slot_length.total_seconds() // 60), 1)
    step = timedelta(minutes=slot_minutes)
    found = []
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        day_start, day_end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        target = datetime.combine(day, asked.time(), tzinfo=tz)
        candidates = []
        for run_start, run_end in runs:
            run_start, run_end = max(run_start, day_start).astimezone(tz), min(run_end, day_end)
            moment = run_start.replace(second=0, microsecond=0)
            if moment < run_start:
                moment += timedelta(minutes=1)
            moment += timedelta(minutes=-(moment.hour * 60 + moment.minute) % slot_minutes)  # the next whole slot
            moment = moment.astimezone(UTC)  # elapsed-time steps, whatever daylight saving does
            while moment + length <= run_end:
                if bookable(moment):
                    candidates.append(moment)
                moment += step
        if candidates:
            best = min(candidates, key=lambda moment: (abs(moment - target), moment))
            found.append((best.astimezone(tz), (best + length).astimezone(tz)))
            if len(found) == count:
                break
    return found


def free_throughout(free, start, end):
    """Whether `free` (sorted, as `free_intervals` gives them) leaves a unit free over the whole of [start, end)."""
    reached = start
    for interval in free:
        if interval.start > reached:
            break
        reached = max(reached, interval.end)
    return reached >= end


def resources_free_throughout(resources, start, end):
    """The ids of `resources` with a unit free for the whole of [start, end): hours, closures, buffers counted.

    The same arithmetic as `resource_availability`, in four queries however many resources there are.
    """
    resources = list(resources.select_related("centre"))
    if not resources:
        return set()
    centre_ids = {resource.centre_id for resource in resources}
    hours = defaultdict(list)
    for interval in OpeningHours.objects.filter(centre_id__in=centre_ids):
        hours[interval.centre_id].append(interval)
    closures = list(Closure.objects.filter(centre_id__in=centre_ids, start__lt=end, end__gt=start))
    widest_buffer = max(resource.buffer for resource in resources)
    bookings = defaultdict(list)
    for booking in Booking.objects.filter(resource__in=resources, status__in=HOLDING_STATUSES,
                                          start__lt=end + widest_buffer, end__gt=start - widest_buffer).order_by():
        bookings[booking.resource_id].append(booking)
    free_ids = set()
    for resource in resources:
        own_bookings = [b for b in bookings[resource.pk]
                        if b.start < end + resource.buffer and b.end > start - resource.buffer]
        own_closures = [c for c in closures
                        if c.centre_id == resource.centre_id and c.resource_id in (None, resource.pk)]
        bookable = bookable_intervals(resource, start, end, hours[resource.centre_id], own_closures)
        free = free_intervals(bookable, Usage(own_bookings, resource.buffer), resource.units)
        if free_throughout(free, start, end):
            free_ids.add(resource.pk)
    return free_ids
