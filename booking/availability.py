"""When a resource is open, taken and free: interval arithmetic over one statement per question.

Intervals are half-open `[start, end)` aware datetimes: 10:00-11:00 and 11:00-12:00 do not touch.
"""
import json
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Q

from .localtime import local_midnight
from .models import HOLDING_STATUSES, Booking, Centre, Closure, OpeningHours, Resource


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


def bookable_intervals(resource, start, end, hours, closures, *, opening=None):
    """When, within [start, end), a booking of the resource may lie, by its booking mode.

    `opening`: the centre's `opening_intervals` over [start, end) when the caller has them already.
    """
    if resource.booking_mode == Resource.BookingMode.SLOTS:
        if opening is None:
            opening = opening_intervals(resource.centre, hours, start, end)
        return subtract(opening, [(closure.start, closure.end) for closure in closures])
    return [(start, end)]


def json_moment(value):
    """A datetime read from JSON: PostgreSQL writes it with its offset, SQLite as naive UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


HOURS_FIELDS = ("weekday", "opens", "closes")
CLOSURE_FIELDS = ("id", "resource_id", "start", "end", "reason")
# What availability reads of a booking: its time and units, and what `title_visible` and the busy titles read;
# in the model's order of fields, as Model.from_db takes them.
BOOKING_FIELDS = ("id", "resource_id", "organisation_id", "title", "quantity", "public", "start", "end", "status")


class WeeklyHours(NamedTuple):
    """What `opening_intervals` reads of an OpeningHours row."""

    weekday: int
    opens: time
    closes: time


def _hours(rows):
    return sorted(WeeklyHours(weekday, time.fromisoformat(opens), time.fromisoformat(closes))
                  for weekday, opens, closes in rows or [])


def _closures(centre_id, rows):
    return [Closure(pk=pk, centre_id=centre_id, resource_id=resource_id, start=json_moment(start),
                    end=json_moment(end), reason=reason) for pk, resource_id, start, end, reason in rows or []]


def _bookings(resource, rows, db):
    """Booking instances of `resource` holding BOOKING_FIELDS only, as `.only()` loads them: another field is
    read from the database when asked for."""
    bookings = []
    for pk, organisation_id, title, quantity, public, start, end, status in rows or []:
        booking = Booking.from_db(db, BOOKING_FIELDS, (pk, resource.pk, organisation_id, title, quantity, bool(public),
                                                       json_moment(start), json_moment(end), status))
        booking.resource = resource
        bookings.append(booking)
    return bookings


class Taken(NamedTuple):
    """What `Usage` reads of a booking."""

    start: datetime
    end: datetime
    quantity: int


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


class _Spelling:
    """The SQL that PostgreSQL and SQLite spell apart, for the statements written out below: the one place."""

    def __init__(self, connection):
        self.postgresql = connection.vendor == "postgresql"

    def json_rows(self, columns):
        """An aggregate of a group's `columns` as one JSON array of arrays."""
        quoted = ", ".join(f'"{column}"' for column in columns)
        if self.postgresql:
            return f"JSONB_AGG(JSONB_BUILD_ARRAY({quoted}))"
        return f"JSON_GROUP_ARRAY(JSON_ARRAY({quoted}))"

    def shifted(self, sign, duration):
        """A moment given as a parameter, plus or minus (`sign`) a duration column (SQLite: Django's function)."""
        if self.postgresql:
            return f"(%s {sign} {duration})"
        return f"django_format_dtdelta('{sign}', %s, {duration})"


def _decoded(value):
    """A JSON column: psycopg decodes it, sqlite3 hands over the text."""
    return json.loads(value) if isinstance(value, str) else value


def _window_rows(resource, start, end):
    """In one statement: the centre's opening hours, the closures over [start, end) and the bookings taking time
    within it, buffers included, each as a JSON array of rows (None when empty); and the database read.

    Written out rather than built by the ORM: composing the three subqueries cost more than running them.
    """
    db = router.db_for_read(Booking)
    connection = connections[db]
    sql, moment = _Spelling(connection), connection.ops.adapt_datetimefield_value
    booking_columns = [field for field in BOOKING_FIELDS if field != "resource_id"]
    statuses = ", ".join("%s" for _ in HOLDING_STATUSES)
    statement = (
        f"SELECT (SELECT {sql.json_rows(HOURS_FIELDS)} FROM {OpeningHours._meta.db_table} WHERE centre_id = %s),"
        f" (SELECT {sql.json_rows(CLOSURE_FIELDS)} FROM {Closure._meta.db_table}"
        ' WHERE centre_id = %s AND (resource_id IS NULL OR resource_id = %s) AND "start" < %s AND "end" > %s),'
        f" (SELECT {sql.json_rows(booking_columns)} FROM {Booking._meta.db_table}"
        f' WHERE resource_id = %s AND status IN ({statuses}) AND "start" < %s AND "end" > %s)'
    )
    params = [resource.centre_id, resource.centre_id, resource.pk, moment(end), moment(start),
              resource.pk, *HOLDING_STATUSES, moment(end + resource.buffer), moment(start - resource.buffer)]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchone()
    return (*map(_decoded, rows), db)


def resource_availability(resource, start, end, *, title_visible=lambda booking: booking.public):
    """Free and busy intervals of `resource` within [start, end).

    `title_visible(booking)` decides whether a busy interval shows the booking's title; each busy interval's
    booking carries BOOKING_FIELDS only. One statement whatever the history holds: the centre's opening hours,
    the closures and the bookings in the window, each as a JSON array (bench/README.md, issue 21).
    """
    hours_rows, closure_rows, booking_rows, db = _window_rows(resource, start, end)
    bookings = _bookings(resource, booking_rows, db)
    usage = Usage(bookings, resource.buffer)
    bookable = bookable_intervals(resource, start, end, _hours(hours_rows),
                                  _closures(resource.centre_id, closure_rows))
    free = free_intervals(bookable, usage, resource.units)
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
    Costs the one statement of `resource_availability`, once for the whole span.
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


class _Searched(NamedTuple):
    """A resource's row in the search: what `bookable_intervals`, `Usage` and `free_intervals` read, and the
    centre's time zone and holidays for `opening_intervals`; its centre's hours, the closures of the centres
    searched and its bookings as JSON rows."""

    pk: int
    centre_id: int
    booking_mode: str
    units: int
    buffer: timedelta
    time_zone: str
    closed_on_public_holidays: bool
    hours_rows: list | None
    closure_rows: list | None
    booking_rows: list | None


def resources_free_throughout(resources, start, end):
    """The ids of `resources` with a unit free for the whole of [start, end): hours, closures, buffers counted.

    The same arithmetic as `resource_availability`, in one statement however many resources there are: each
    resource's row carries its centre's opening hours, the closures and its bookings around [start, end) (its
    own buffer included) as JSON arrays, so no model instance is built for a resource or a booking.
    """
    connection = connections[resources.db]
    sql, moment = _Spelling(connection), connection.ops.adapt_datetimefield_value
    try:
        searched, searched_params = resources.order_by().values("pk").query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. `.none()`: nothing to search
        return set()
    statuses = ", ".join("%s" for _ in HOLDING_STATUSES)
    statement = (
        "SELECT r.id, r.centre_id, r.booking_mode, r.units, r.buffer, c.time_zone, c.closed_on_public_holidays,"
        f" (SELECT {sql.json_rows(HOURS_FIELDS)} FROM {OpeningHours._meta.db_table} h WHERE h.centre_id = r.centre_id),"
        f" (SELECT {sql.json_rows(('centre_id', *CLOSURE_FIELDS))} FROM {Closure._meta.db_table} k"
        f" WHERE k.centre_id IN (SELECT centre_id FROM {Resource._meta.db_table} WHERE id IN ({searched}))"
        ' AND k."start" < %s AND k."end" > %s),'
        f" (SELECT {sql.json_rows(('start', 'end', 'quantity'))} FROM {Booking._meta.db_table} b"
        f" WHERE b.resource_id = r.id AND b.status IN ({statuses})"
        f' AND b."start" < {sql.shifted("+", "r.buffer")} AND b."end" > {sql.shifted("-", "r.buffer")})'
        f" FROM {Resource._meta.db_table} r JOIN {Centre._meta.db_table} c ON c.id = r.centre_id"
        f" WHERE r.id IN ({searched})"
    )
    params = [*searched_params, moment(end), moment(start), *HOLDING_STATUSES, moment(end), moment(start),
              *searched_params]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    free_ids, opening, closures = set(), {}, None  # the centres' opening intervals, the same for their resources
    for pk, centre_id, mode, units, buffer, time_zone, closed, *json_columns in rows:
        if not isinstance(buffer, timedelta):  # SQLite keeps durations in microseconds
            buffer = timedelta(microseconds=buffer)
        resource = _Searched(pk, centre_id, mode, units, buffer, time_zone, closed, *map(_decoded, json_columns))
        if closures is None:  # every row carries the same closures
            closures = [Closure(pk=row[1], centre_id=row[0], resource_id=row[2], start=json_moment(row[3]),
                                end=json_moment(row[4]), reason=row[5]) for row in resource.closure_rows or []]
        if resource.centre_id not in opening:
            centre = Centre(pk=resource.centre_id, time_zone=resource.time_zone,
                            closed_on_public_holidays=resource.closed_on_public_holidays)
            opening[resource.centre_id] = opening_intervals(centre, _hours(resource.hours_rows), start, end)
        own_bookings = [Taken(json_moment(b_start), json_moment(b_end), quantity)
                        for b_start, b_end, quantity in resource.booking_rows or []]
        own_closures = [c for c in closures
                        if c.centre_id == resource.centre_id and c.resource_id in (None, resource.pk)]
        bookable = bookable_intervals(resource, start, end, None, own_closures, opening=opening[resource.centre_id])
        free = free_intervals(bookable, Usage(own_bookings, resource.buffer), resource.units)
        if free_throughout(free, start, end):
            free_ids.add(resource.pk)
    return free_ids
