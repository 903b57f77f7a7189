"""The week calendar of the web pages: a resource's availability cut into what a person sees, day by day.

Slot resources (rooms, desks) show each free slot as a link to the booking form and merge the rest (busy,
closed, past) into ranges; day and night resources show one entry per day. Times are the centre's local time.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from booking.availability import opening_intervals, public_holiday, resource_availability
from booking.localtime import booking_span, day_bounds, local_midnight, week_bounds
from booking.models import Resource
from booking.rules import is_open_day, slot_refusal

FREE, BUSY, CLOSED, PAST, UNAVAILABLE = "free", "busy", "closed", "past", "unavailable"
OPEN = "open"  # the centre is open, but it does not publish whether the resource is booked
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class Cell:
    """One entry of a day: a free slot (a link), or a range that is busy, closed, past or not bookable."""

    state: str
    start: datetime
    end: datetime
    label: str = ""
    units: int = 0
    closure: str = ""  # a booking kept inside a closure: the closure's reason

    @property
    def start_label(self):
        return f"{self.start:%H:%M}"

    @property
    def end_label(self):
        return f"{self.end:%H:%M}"

    @property
    def time_label(self):
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def query(self):
        """The booking form's query string for this cell."""
        return urlencode({"start": self.start.strftime(LOCAL_INPUT_FORMAT),
                          "end": self.end.strftime(LOCAL_INPUT_FORMAT)})


@dataclass
class Day:
    date: date
    cells: list
    is_today: bool = False
    note: str = ""


def free_units(free, start, end):
    """How many units stay free over the whole of [start, end): the least over the free intervals covering it."""
    reached, least = start, None
    for interval in free:
        if interval.end <= reached:
            continue
        if interval.start > reached:
            break
        least = interval.units if least is None else min(least, interval.units)
        reached = interval.end
        if reached >= end:
            return least
    return 0


def _titles(busy, start, end):
    titles = []
    for interval in busy:
        if interval.start < end and interval.end > start and interval.title and interval.title not in titles:
            titles.append(interval.title)
    return ", ".join(titles)


def _merge(cells, merge_free=False):
    """Join neighbouring cells that say the same; free slots stay one link each unless `merge_free`."""
    merged = []
    for cell in cells:
        last = merged[-1] if merged else None
        if (last and last.end == cell.start and last.state == cell.state and last.label == cell.label
                and last.units == cell.units and last.closure == cell.closure and (cell.state != FREE or merge_free)):
            last.end = cell.end
        else:
            merged.append(Cell(cell.state, cell.start, cell.end, cell.label, cell.units, cell.closure))
    return merged


class WeekBuilder:
    """Builds the seven `Day`s of one resource for the week starting `monday`.

    `hours` and `closures` are passed in (already fetched for the whole centre), so a centre's week costs the
    availability queries of each resource and nothing per booking. Without `occupancy_visible` (see
    `selectors.OccupancyAccess`) the bookings are not read: open times show as OPEN, neither free nor busy.
    """

    def __init__(self, resource, monday, *, title_visible, hours, closures, occupancy_visible=True, now=None):
        self.resource = resource
        self.centre = resource.centre
        self.tz = self.centre.tz
        self.monday = monday
        self.title_visible = title_visible
        self.occupancy_visible = occupancy_visible
        self.hours = hours
        self.closures = [c for c in closures if c.resource_id in (None, resource.pk)]
        self.now = now or timezone.now()
        self.today = self.now.astimezone(self.tz).date()

    def days(self, merge_free=False):
        start, end = week_bounds(self.monday, self.tz)
        mode = self.resource.booking_mode
        if mode == Resource.BookingMode.NIGHTS:
            end = local_midnight(self.monday + timedelta(days=9), self.tz)  # the last check-out falls next week
        availability = (resource_availability(self.resource, start, end, title_visible=self.title_visible)
                        if self.occupancy_visible else None)
        days = []
        for offset in range(7):
            day = self.monday + timedelta(days=offset)
            if mode == Resource.BookingMode.SLOTS:
                result = self._slots_day(day, availability)
                result.cells = _merge(result.cells, merge_free)
            elif mode == Resource.BookingMode.DAYS:
                result = self._whole_day(day, availability)
            else:
                result = self._night(day, availability)
            result.is_today = day == self.today
            days.append(result)
        return days

    def _not_bookable(self, start):
        """The state and label of a free cell that cannot be booked at `start` (the booking rules say why), or None
        if it can."""
        refusal = slot_refusal(self.resource, start, self.now)
        if refusal is None:
            return None
        if refusal.code == "in_the_past":
            return PAST, _("Past")
        if refusal.code == "too_late":
            return UNAVAILABLE, _("Too late to book")
        return UNAVAILABLE, _("Not open for booking yet")

    def _closed_note(self, day):
        holiday = public_holiday(self.centre, day)
        return _("Closed: %(holiday)s") % {"holiday": holiday} if holiday else _("Closed")

    def _slots_day(self, day, availability):
        day_start, day_end = day_bounds(day, self.tz)
        opening = opening_intervals(self.centre, self.hours, day_start, day_end)
        if not opening:
            return Day(day, [], note=self._closed_note(day))
        slot_minutes = max(int(self.resource.slot_length.total_seconds() // 60), 1)
        step = timedelta(minutes=slot_minutes)
        cells = []
        for opens, closes in opening:
            opens = opens.astimezone(self.tz)
            misalignment = (opens.hour * 60 + opens.minute) % slot_minutes
            moment = opens + timedelta(minutes=(slot_minutes - misalignment) % slot_minutes)
            while moment + step <= closes:
                cells.append(self._slot(moment, moment + step, availability))
                moment += step
        return Day(day, cells)

    def _closure_over(self, start, end):
        return next((c for c in self.closures if c.start < end and c.end > start), None)

    def _kept(self, start, end, availability, closure):
        """A busy cell for bookings that staff kept inside `closure`, marked with it; None if there are none (or
        the bookings are not shown)."""
        if availability is None or not any(b.start < end and b.end > start for b in availability.busy):
            return None
        return Cell(BUSY, start, end, _titles(availability.busy, start, end), closure=closure.reason)

    def _slot(self, start, end, availability):
        closure = self._closure_over(start, end)
        if closure:
            return self._kept(start, end, availability, closure) or Cell(CLOSED, start, end, closure.reason)
        return self._span(start, end, availability)

    def _whole_day(self, day, availability):
        return Day(day, [self._span(*day_bounds(day, self.tz), availability)])

    def _open_day(self, day):
        return is_open_day(self.resource, day, self.hours, self.closures)

    def _night(self, day, availability):
        check_in, check_out = booking_span(self.resource, day, day + timedelta(days=1))
        if not self._open_day(day):
            closure = self._closure_over(check_in, check_out)
            kept = closure and self._kept(check_in, check_out, availability, closure)
            return Day(day, [kept] if kept else [], note=self._closed_note(day))
        if not self._open_day(day + timedelta(days=1)):
            return Day(day, [Cell(UNAVAILABLE, check_in, check_out, _("No check-out the next day"))])
        return Day(day, [self._span(check_in, check_out, availability)])

    def _span(self, start, end, availability):
        if availability is None:
            refusal = self._not_bookable(start)
            return Cell(refusal[0], start, end, refusal[1]) if refusal else Cell(OPEN, start, end)
        units = free_units(availability.free, start, end)
        if not units:
            return Cell(BUSY, start, end, _titles(availability.busy, start, end))
        refusal = self._not_bookable(start)
        if refusal:
            return Cell(refusal[0], start, end, refusal[1])
        return Cell(FREE, start, end, units=units)
