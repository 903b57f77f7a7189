"""Consultants' duty hours as free appointment times: one list, soonest first, for a consultation service.

A time is offered when a consultant serving the service is on duty for all of it (their weekly duty hours, in the
centre's local wall-clock time, so a 10:00 duty stays at 10:00 across a daylight-saving change), is not on a date
off, the centre is open (opening hours, Polish public holidays and closures, as for every booking: `availability.
opening_intervals`), and the consultant's agenda is free. Appointments follow each other from the start of the duty
interval, one appointment length apart; the arithmetic is in UTC, as the bookings' is.

The same `on_duty` answers the booking rule (`consultations.check_on_duty`) and the list, so the list offers only
what the service will accept. A handful of queries per list, whatever its length.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from .availability import opening_intervals, subtract
from .localtime import local_day, local_midnight
from .models import ACTIVE_STATUSES, Booking, Closure, DateOff, DutyHours


@dataclass(frozen=True)
class FreeTime:
    start: datetime
    end: datetime
    consultants: tuple  # the consultants free then, by name


def is_off(consultant, day: date, dates_off=None) -> bool:
    """Whether `day` falls in one of the consultant's dates off (preloaded `dates_off`, else queried)."""
    if dates_off is None:
        return consultant.dates_off.filter(first_day__lte=day, last_day__gte=day).exists()
    return any(off.first_day <= day <= off.last_day for off in dates_off)


def duty_intervals(consultant, service, day: date, duty_hours=None):
    """The aware intervals of `day` in which `consultant` gives `service` by their weekly duty hours."""
    tz = consultant.centre.tz
    if duty_hours is None:
        duty_hours = consultant.duty_hours.filter(service=service)
    return [(datetime.combine(day, duty.starts, tzinfo=tz).astimezone(UTC),
             datetime.combine(day, duty.ends, tzinfo=tz).astimezone(UTC))
            for duty in duty_hours if duty.service_id == service.pk and duty.weekday == day.weekday()]


def appointment_starts(intervals, length):
    """The appointment times of duty `intervals`: back to back from each interval's start, each wholly inside."""
    for start, end in intervals:
        moment = start
        while moment + length <= end:
            yield moment
            moment += length


def on_duty(consultant, service, start, end) -> bool:
    """Whether `consultant` gives `service` over the whole of [start, end) and is not off that day."""
    day = local_day(start, consultant.centre.tz)
    if not consultant.is_active or is_off(consultant, day):
        return False
    return any(opens <= start and end <= closes for opens, closes in duty_intervals(consultant, service, day))


def serving_consultants(service, consultant=None):
    """The active consultants giving `service` at its centre (only `consultant`, when given), by name."""
    consultants = service.consultants.filter(is_active=True, centre_id=service.centre_id)
    if consultant is not None:
        consultants = consultants.filter(pk=consultant.pk)
    return consultants.select_related("user", "resource", "centre").order_by("resource__name", "pk")


def free_times(service, *, now=None, day: date | None = None, consultant=None) -> list[FreeTime]:
    """The service's free appointment times from now to its horizon (only on `day`, when given), soonest first."""
    now = now or timezone.now()
    centre = service.centre
    tz = centre.tz
    first, last = local_day(now, tz), local_day(now + service.horizon, tz)
    if day is not None:
        if not first <= day <= last:
            return []
        first = last = day
    window_start, window_end = local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)
    consultants = list(serving_consultants(service, consultant).prefetch_related(
        Prefetch("duty_hours", queryset=DutyHours.objects.filter(service=service)),
        Prefetch("dates_off", queryset=DateOff.objects.filter(first_day__lte=last, last_day__gte=first)),
    ))
    if not consultants:
        return []
    agendas = [person.resource_id for person in consultants]
    open_hours = opening_intervals(centre, list(centre.opening_hours.all()), window_start, window_end)
    closures = list(Closure.objects.filter(Q(resource__isnull=True) | Q(resource_id__in=agendas), centre=centre,
                                           start__lt=window_end, end__gt=window_start))
    taken = defaultdict(list)
    for resource_id, start, end in Booking.objects.filter(
            resource_id__in=agendas, status__in=ACTIVE_STATUSES, start__lt=window_end,
            end__gt=window_start).values_list("resource_id", "start", "end"):
        taken[resource_id].append((start, end))
    length, latest = service.appointment_length, now + service.horizon
    free = defaultdict(list)
    for person in consultants:
        bookable = subtract(open_hours, [(closure.start, closure.end) for closure in closures
                                         if closure.resource_id in (None, person.resource_id)])
        busy = taken[person.resource_id]
        duty_hours, dates_off = list(person.duty_hours.all()), list(person.dates_off.all())
        current = first
        while current <= last:
            if not is_off(person, current, dates_off):
                for start in appointment_starts(duty_intervals(person, service, current, duty_hours), length):
                    end = start + length
                    if start < now or start > latest:
                        continue
                    if not any(opens <= start and end <= closes for opens, closes in bookable):
                        continue
                    if any(b_start < end and b_end > start for b_start, b_end in busy):
                        continue
                    free[start].append(person)
            current += timedelta(days=1)
    return [FreeTime(start, start + length, tuple(free[start])) for start in sorted(free)]


def free_days(times):
    """The local days that `times` (FreeTime) fall on, in order: what the day filter offers."""
    days = []
    for time in times:
        day = local_day(time.start, time.consultants[0].centre.tz)
        if not days or days[-1] != day:
            days.append(day)
    return days
