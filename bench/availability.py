"""Availability of one room over four weeks, and the search for a room free on an afternoon.

Median and 95th percentile, in the service function (`booking.availability`) and through HTTP (gunicorn,
2 workers, one client). Windows and rooms are drawn at random (seeded) over the year ahead, where people
look, so every call reads another part of the history.
"""
import random
from datetime import datetime, time, timedelta
from time import perf_counter

from bench import data
from bench.common import Http, median_ms, p95_ms, report, run_per_size, vendor

WINDOW = timedelta(days=28)
AFTERNOON = (time(14), time(17))


def _rooms():
    from booking.models import Resource

    return list(Resource.objects.filter(kind=Resource.Kind.ROOM, is_active=True).values_list("pk", flat=True))


def _four_weeks(rng, after_days=0):
    """Midnight, local time, of a random day in the 48 weeks from `after_days` on, and four weeks later."""
    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=after_days + rng.randint(1, 48 * 7))
    start = datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())
    return start, start + WINDOW


def _afternoon(rng):
    """14:00-17:00 local on a random Monday-Thursday in the coming 48 weeks."""
    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=rng.randint(1, 48 * 7))
    while day.weekday() > 3:
        day += timedelta(days=1)
    tz = timezone.get_current_timezone()
    return datetime.combine(day, AFTERNOON[0], tzinfo=tz), datetime.combine(day, AFTERNOON[1], tzinfo=tz)


def service_figures(n, runs=200, warmup=10):
    from booking.availability import resource_availability, resources_free_throughout
    from booking.models import Centre, Resource

    rng = random.Random(1)
    rooms = _rooms()

    def four_weeks(after_days):
        seconds, busy = [], []
        for index in range(warmup + runs):
            resource = Resource.objects.select_related("centre").get(pk=rng.choice(rooms))
            start, end = _four_weeks(rng, after_days)
            started = perf_counter()
            answer = resource_availability(resource, start, end)
            if index >= warmup:
                seconds.append(perf_counter() - started)
                busy.append(len(answer.busy))
        return seconds, dict(db=vendor(), n=n, window="28d", runs=runs, busy_median=sorted(busy)[len(busy) // 2])

    seconds, params = four_weeks(0)
    report("availability.service.median", median_ms(seconds), "ms", **params)
    report("availability.service.p95", p95_ms(seconds), "ms", **params)
    # Four weeks past the last booking: nothing in the window, only the history behind it, at every size.
    seconds, params = four_weeks(data.YEARS_AHEAD * 366 + 7)
    report("availability.service.empty_window.median", median_ms(seconds), "ms", **params)

    def search(rooms_query, name):
        seconds, found = [], []
        for index in range(warmup + runs):
            start, end = _afternoon(rng)
            started = perf_counter()
            free = resources_free_throughout(rooms_query, start, end)
            if index >= warmup:
                seconds.append(perf_counter() - started)
                found.append(len(free))
        params = dict(db=vendor(), n=n, rooms=rooms_query.count(), afternoon="14-17h", runs=runs,
                      free_rooms_median=sorted(found)[len(found) // 2])
        report(f"{name}.median", median_ms(seconds), "ms", **params)
        report(f"{name}.p95", p95_ms(seconds), "ms", **params)

    all_rooms = Resource.objects.filter(kind=Resource.Kind.ROOM, is_active=True)
    # The town's eight centres (96 rooms) at every size; a city (10M) is also searched as a whole.
    town = list(Centre.objects.order_by("pk").values_list("pk", flat=True)[:data.TOWN[0]])
    search(all_rooms.filter(centre_id__in=town), "search.service")
    if Centre.objects.count() > len(town):
        search(all_rooms, "search.service.city")


def http_figures(n, base_url, runs=100, warmup=10):
    """The same questions through the API, anonymous (both endpoints are open to anyone)."""
    rng = random.Random(2)
    rooms = _rooms()
    http = Http(base_url)
    seconds = []
    for index in range(warmup + runs):
        start, end = _four_weeks(rng)
        status, body, elapsed = http.get(
            f"/api/v1/resources/{rng.choice(rooms)}/availability/?start={_q(start)}&end={_q(end)}")
        if status != 200:
            raise RuntimeError(f"availability: HTTP {status} {body[:300]!r}")
        if index >= warmup:
            seconds.append(elapsed)
    params = dict(db=vendor(), n=n, window="28d", runs=runs, server="gunicorn-2")
    report("availability.http.median", median_ms(seconds), "ms", **params)
    report("availability.http.p95", p95_ms(seconds), "ms", **params)

    seconds = []
    for index in range(warmup + runs):
        start, end = _afternoon(rng)
        status, body, elapsed = http.get(
            f"/api/v1/resources/?kind=room&available_from={_q(start)}&available_to={_q(end)}")
        if status != 200:
            raise RuntimeError(f"resource search: HTTP {status} {body[:300]!r}")
        if index >= warmup:
            seconds.append(elapsed)
    params = dict(db=vendor(), n=n, afternoon="14-17h", runs=runs, server="gunicorn-2")
    report("search.http.median", median_ms(seconds), "ms", **params)
    report("search.http.p95", p95_ms(seconds), "ms", **params)


def _q(moment):
    from urllib.parse import quote

    return quote(moment.isoformat())


def measure(n):
    from bench.common import gunicorn

    service_figures(n)
    with gunicorn() as server:
        http_figures(n, server.url)


def main():
    return run_per_size("bench.availability", measure)


if __name__ == "__main__":
    raise SystemExit(main())
