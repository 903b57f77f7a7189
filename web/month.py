"""The month calendar of the web pages: each day of a resource's month at a glance, each day a link to its week.

A day is free (every unit free whenever it can be booked that day), partly booked, full (no unit free at any
bookable time), closed (no time to book: holiday, closure, no opening hours; for a night, also no check-out the
next day) or past. Without `occupancy_visible` (`selectors.OccupancyAccess`) the bookings are not read and an
open day is only open. Times are the centre's local time.
"""
from calendar import Calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from booking.availability import Usage, bookable_intervals, free_intervals, overlapping_bookings, public_holiday
from booking.localtime import booking_span, day_bounds, local_midnight
from booking.models import Resource
from booking.rules import is_open_day

from .week import OPEN, PAST

FREE, PARTLY, FULL, CLOSED = "free", "partly", "full", "closed"


@dataclass
class MonthDay:
    date: date
    state: str
    note: str = ""
    is_today: bool = False


def first_of_next_month(first: date) -> date:
    return (first + timedelta(days=31)).replace(day=1)


def _length(intervals):
    return sum((end - start for start, end in intervals), timedelta(0))


def _state(bookable, free, units):
    """FREE, PARTLY or FULL by how much of the bookable time has every unit, or some unit, free."""
    some_free = sum((interval.end - interval.start for interval in free), timedelta(0))
    all_free = sum((interval.end - interval.start for interval in free if interval.units == units), timedelta(0))
    if not some_free:
        return FULL
    return FREE if all_free >= _length(bookable) else PARTLY


class MonthBuilder:
    """Builds the weeks (Monday first, days of other months as None) of one resource's month starting `first`.

    `hours` and `closures` (the centre's, over the month and the day after it) are passed in; the bookings cost one
    query for the whole month.
    """

    def __init__(self, resource, first, *, hours, closures, occupancy_visible=True, now=None):
        self.resource = resource
        self.centre = resource.centre
        self.tz = self.centre.tz
        self.first = first
        self.hours = hours
        self.closures = [c for c in closures if c.resource_id in (None, resource.pk)]
        self.occupancy_visible = occupancy_visible
        self.now = now or timezone.now()
        self.today = self.now.astimezone(self.tz).date()

    def weeks(self):
        usage = self._usage() if self.occupancy_visible else None
        return [[self._day(day, usage) if day.month == self.first.month else None for day in week]
                for week in Calendar().monthdatescalendar(self.first.year, self.first.month)]

    def _usage(self):
        # a night starting on the last day ends the next day
        start = local_midnight(self.first, self.tz)
        end = local_midnight(first_of_next_month(self.first) + timedelta(days=1), self.tz)
        buffer = self.resource.buffer
        return Usage(overlapping_bookings(self.resource, start - buffer, end + buffer).order_by(), buffer)

    def _bookable(self, day):
        """The times of `day` a booking may take; with none, why (a holiday's name, a closure's reason, or "")."""
        start, end = day_bounds(day, self.tz)
        mode = self.resource.booking_mode
        if mode == Resource.BookingMode.DAYS:
            return [(start, end)], ""
        if mode == Resource.BookingMode.SLOTS:
            bookable = bookable_intervals(self.resource, start, end, self.hours, self.closures)
        elif is_open_day(self.resource, day, self.hours, self.closures):
            if not is_open_day(self.resource, day + timedelta(days=1), self.hours, self.closures):
                return [], _("No check-out the next day")
            bookable = [booking_span(self.resource, day, day + timedelta(days=1))]
        else:
            bookable = []
        if bookable:
            return bookable, ""
        closure = next((c for c in self.closures if c.start < end and c.end > start), None)
        return [], public_holiday(self.centre, day) or (closure.reason if closure else "")

    def _day(self, day, usage):
        is_today = day == self.today
        if day < self.today:
            return MonthDay(day, PAST)
        bookable, note = self._bookable(day)
        if not bookable:
            return MonthDay(day, CLOSED, note, is_today)
        if is_today:  # only what is still ahead counts
            bookable = [(max(start, self.now), end) for start, end in bookable if end > self.now]
            if not bookable:
                return MonthDay(day, PAST, is_today=True)
        if usage is None:
            return MonthDay(day, OPEN, is_today=is_today)
        free = free_intervals(bookable, usage, self.resource.units)
        return MonthDay(day, _state(bookable, free, self.resource.units), is_today=is_today)
