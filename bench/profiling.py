"""Where the time goes: cProfile of the in-process paths the benchmarks time over HTTP.

    python -m bench.profiling booking        # POST /api/v1/bookings/ through Django's test client
    python -m bench.profiling feed           # GET /feeds/<token>.ics, changed before each (built whole)
    python -m bench.profiling availability   # GET /api/v1/resources/<id>/availability/ (four weeks)
    python -m bench.profiling booking-parts  # medians, no profiler: request, service, service without e-mails

Prints the top entries by cumulative time, then by own time, for each size in BENCH_SIZES.
`BENCH_PROFILE_TOP` sets how many (default 30).
"""
import cProfile
import io
import os
import pstats
import random
import sys

from bench.common import run_per_size


def _booking(n):
    from django.test import Client as TestClient

    from api.authentication import issue_token
    from bench.booking import delete_bench_bookings, delete_tokens, make_clients
    from ngo.models import User

    client = make_clients(1, 60)[0]
    browser = TestClient(HTTP_AUTHORIZATION=f"Token {issue_token(User.objects.get(username=client.username))}",
                         HTTP_X_FORWARDED_PROTO="https")
    slots = iter(client.slots)

    def once():
        response = browser.post("/api/v1/bookings/", client.payload(*next(slots)), content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    def clean_up():
        delete_bench_bookings()
        delete_tokens([client])

    return once, 40, clean_up


def _feed(n):
    from django.test import Client as TestClient
    from django.utils import timezone

    from bench.feed import create_feed, delete_feeds, touch
    from booking.feeds import feed_bookings

    delete_feeds()
    feed, token = create_feed()
    browser = TestClient(HTTP_X_FORWARDED_PROTO="https")

    def once():
        touch(feed_bookings(feed, now=timezone.now()))  # a new version each time: the whole feed is built
        response = browser.get(f"/feeds/{token}.ics")
        assert response.status_code == 200, response.content[:300]

    return once, 3, delete_feeds


def _availability(n):
    from django.test import Client as TestClient

    from bench.availability import _four_weeks, _q, _rooms

    rng, rooms = random.Random(4), _rooms()
    browser = TestClient(HTTP_X_FORWARDED_PROTO="https")

    def once():
        start, end = _four_weeks(rng)
        response = browser.get(f"/api/v1/resources/{rng.choice(rooms)}/availability/?start={_q(start)}&end={_q(end)}")
        assert response.status_code == 200, response.content[:300]

    return once, 100, lambda: None


def booking_parts(n, runs=40):
    """Median time of one booking creation, whole and in parts, without a profiler's overhead:
    the request in-process, the service alone, and the service without the `booking_changed` receivers
    (the e-mail outbox), which shows what the notifications cost inside the request."""
    from statistics import median
    from time import perf_counter

    from django.test import Client as TestClient

    from api.authentication import issue_token
    from bench.booking import delete_bench_bookings, delete_tokens, make_clients
    from bench.common import report, vendor
    from booking import services
    from booking.models import Resource
    from booking.signals import booking_changed
    from ngo.models import Organisation, User

    client = make_clients(1, 3 * runs + 6)[0]
    user = User.objects.get(username=client.username)
    browser = TestClient(HTTP_AUTHORIZATION=f"Token {issue_token(user)}", HTTP_X_FORWARDED_PROTO="https")
    slots = iter(client.slots)
    resource = Resource.objects.get(pk=client.resource_id)
    organisation = Organisation.objects.get(pk=client.organisation_id)

    def request():
        response = browser.post("/api/v1/bookings/", client.payload(*next(slots)), content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    def service():
        start, end = next(slots)
        services.book(actor=user, resource=resource, organisation=organisation, start=start, end=end,
                      title=client.payload(start, end)["title"])

    def timed(function):
        function()  # warm
        seconds = []
        for _ in range(runs):
            started = perf_counter()
            function()
            seconds.append(perf_counter() - started)
        return median(seconds) * 1000

    try:
        parts = {"request": timed(request), "service": timed(service)}
        receivers = booking_changed.receivers
        booking_changed.receivers = []  # measured without them, then put back at once
        booking_changed.sender_receivers_cache.clear()
        try:
            parts["service_without_signal_receivers"] = timed(service)
        finally:
            booking_changed.receivers = receivers
            booking_changed.sender_receivers_cache.clear()
    finally:
        delete_bench_bookings()
        delete_tokens([client])
    for name, value in parts.items():
        report(f"booking.inprocess.{name}.median", value, "ms", db=vendor(), n=n, runs=runs)


PATHS = {"booking": _booking, "feed": _feed, "availability": _availability}


def measure(n):
    which = os.environ["BENCH_PROFILE"]
    if which == "booking-parts":
        return booking_parts(n)
    once, runs, clean_up = PATHS[which](n)
    try:
        for _ in range(3):
            once()  # warm: first requests load code and fill caches
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            once()
        profiler.disable()
    finally:
        clean_up()
    top = int(os.environ.get("BENCH_PROFILE_TOP", "30"))
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"# profile of {which}, {runs} calls, n={n}, sorted by {order}")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in [*PATHS, "booking-parts"]:
        print(__doc__)
        return 2
    os.environ["BENCH_PROFILE"] = sys.argv[1]
    return run_per_size("bench.profiling", measure)


if __name__ == "__main__":
    raise SystemExit(main() if not os.environ.get("BENCH_N") else run_per_size("bench.profiling", measure))
