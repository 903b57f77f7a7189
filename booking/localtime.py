"""Local time of a centre: its midnights, days and weeks, and how a booking mode's dates become start and end.

Bookings are stored in UTC; people think in the centre's local days. Every conversion between the two lives
here, so that the rules, the pages, the reports and the e-mails agree on where a day or a week begins.
"""
from datetime import UTC, date, datetime, time, timedelta

from django.utils.translation import gettext as _

from .exceptions import RuleViolation
from .models import Resource

# The instants the service stores and shows: far beyond any booking, and clear of the calendar's ends (a year-9999
# date has no next day, and no time zone can shift it).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def out_of_range(field):
    return RuleViolation("out_of_range", _("Give a time between 1970 and 2999."), field)


def check_in_range(moment: datetime, field):
    """Refuse an aware instant outside [EARLIEST, LATEST)."""
    if not EARLIEST <= moment < LATEST:
        raise out_of_range(field)


def local_midnight(day: date, tz) -> datetime:
    """The aware instant at which `day` begins in `tz`."""
    return datetime.combine(day, time(0), tzinfo=tz)


def local_day(moment: datetime, tz) -> date:
    """The local date of an aware instant."""
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz):
    """[start, end) of the local `day`: 23, 24 or 25 hours, by daylight saving."""
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, tz):
    """[start, end) of the local week beginning on `monday`."""
    return local_midnight(monday, tz), local_midnight(monday + timedelta(days=7), tz)


def check_week_in_range(monday: date, tz):
    """Refuse a week the calendar cannot show: one reaching outside [EARLIEST, LATEST), counting the two days after
    it, where the week's last check-out falls."""
    try:
        start, end = local_midnight(monday, tz), local_midnight(monday + timedelta(days=9), tz)
    except OverflowError:
        raise out_of_range("date") from None
    check_in_range(start, "date")
    check_in_range(end, "date")


def week_of(moment: datetime, tz):
    """[start, end) of the local week (Monday to Sunday) that holds the aware instant `moment`."""
    return week_bounds(monday_of(local_day(moment, tz)), tz)


def local_instant(moment, tz) -> datetime:
    """An aware instant from a date (its local midnight), a naive date-time (read as local) or an aware one."""
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if isinstance(moment, date):
        return local_midnight(moment, tz)
    raise TypeError(moment)


def booking_span(resource, first_day: date, last_day: date | None = None, start_time=None, end_time=None):
    """Start and end of a booking given as people give it, by the resource's booking mode.

    - slots: on `first_day`, from `start_time` to `end_time`;
    - days: from the midnight of `first_day` to the midnight after `last_day` (both days included);
    - nights: check-in on `first_day`, check-out on `last_day`, at the centre's times.
    Raises RuleViolation (`out_of_range`) for a date the calendar cannot reach (the day after 9999-12-31).
    """
    centre = resource.centre
    tz = centre.tz
    mode = resource.booking_mode
    try:
        if mode == Resource.BookingMode.SLOTS:
            return datetime.combine(first_day, start_time, tzinfo=tz), datetime.combine(first_day, end_time, tzinfo=tz)
        if mode == Resource.BookingMode.DAYS:
            return local_midnight(first_day, tz), local_midnight(last_day + timedelta(days=1), tz)
        return (datetime.combine(first_day, centre.check_in_time, tzinfo=tz),
                datetime.combine(last_day, centre.check_out_time, tzinfo=tz))
    except OverflowError:
        raise out_of_range("end") from None


def booking_dates(resource, start: datetime, end: datetime):
    """The inverse of `booking_span`: the fields a person fills in for a booking from `start` to `end`, as a dict
    of `date`, `start_time`, `end_time` (slots) or `start_date`, `end_date` (days and nights)."""
    tz = resource.centre.tz
    start, end = start.astimezone(tz), end.astimezone(tz)
    mode = resource.booking_mode
    if mode == Resource.BookingMode.SLOTS:
        return {"date": start.date(), "start_time": start.time(), "end_time": end.time()}
    last = end.date() - timedelta(days=1) if mode == Resource.BookingMode.DAYS else end.date()
    return {"start_date": start.date(), "end_date": last}


def closure_span(tz, first_day: date, last_day: date, start_time=None, end_time=None):
    """Start and end of a closure as staff give it: whole days from `first_day` to `last_day`, both included
    (without times), or from `start_time` on the first day to `end_time` on the last.
    Raises RuleViolation (`out_of_range`) for a date the calendar cannot reach."""
    try:
        if start_time is None and end_time is None:
            return local_midnight(first_day, tz), local_midnight(last_day + timedelta(days=1), tz)
        return datetime.combine(first_day, start_time, tzinfo=tz), datetime.combine(last_day, end_time, tzinfo=tz)
    except OverflowError:
        raise out_of_range("end") from None
