"""Every benchmark runs end to end on a tiny dataset, so that `make bench` does not rot.

The figures are not checked (they mean nothing at this size); the guarantees the benchmarks assert are:
the generated history never double-books, contended slots end 201 or 409 with one winner each.
"""
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection

from bench import availability, booking, common, data, feed, framework_floor, profiling
from booking.availability import Usage
from booking.models import ACTIVE_STATUSES, Booking, Resource

TINY = 300


@pytest.fixture
def tiny(transactional_db, settings):
    # Logins hash passwords on purpose slowly; the smoke test signs in a few times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # throttle counts of earlier tests in this process
    data.build(TINY, anchor=date.today(), quiet=True)
    return TINY


def figures(capsys):
    """The printed figures, name to value, in order."""
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line and not line.startswith("#")]
    return {row[0]: row[1] for row in rows}


def lines(capsys):
    return list(figures(capsys))


def test_dataset_has_every_kind_and_never_double_books(tiny):
    assert Booking.objects.count() == TINY
    assert Resource.objects.count() == 200
    # A consultant's agenda comes with a consultant, which the benchmark's dataset does not have.
    assert set(Resource.objects.values_list("kind", flat=True)) == set(Resource.Kind.values) - {
        Resource.Kind.CONSULTANT}
    assert data.read_marker(connection)["n"] == TINY
    for resource in Resource.objects.all():
        usage = Usage(resource.bookings.filter(status__in=ACTIVE_STATUSES))
        assert max(usage.levels, default=0) <= resource.units, resource
    assert data.ensure(TINY, quiet=True)["n"] == TINY  # reused, not rebuilt


def test_availability_and_search(tiny, live_server, capsys):
    availability.service_figures(tiny, runs=3, warmup=1)
    availability.http_figures(tiny, live_server.url, runs=2, warmup=1)
    assert lines(capsys) == [
        "availability.service.median", "availability.service.p95", "availability.service.empty_window.median",
        "search.service.median", "search.service.p95",
        "availability.http.median", "availability.http.p95", "search.http.median", "search.http.p95",
    ]


def test_booking_creation_contention_floor_and_statements(tiny, live_server, capsys):
    clients = booking.make_clients(2, 8)
    booking.fetch_tokens(live_server.url, clients)
    booking.http_figures(tiny, live_server.url, clients, counts=(1, 2), requests={1: 2, 2: 2})
    booking.contention_figures(tiny, live_server.url, clients, slots=2)
    booking.floor_figures(tiny, clients, counts=(1, 2), requests={1: 2, 2: 2})
    booking.sql_statements(tiny, clients[0])
    printed = figures(capsys)
    assert "booking.http.c2.throughput" in printed and "booking.floor.c2.throughput" in printed
    assert (printed["booking.contention.201"], printed["booking.contention.409"]) == ("2", "2")
    assert printed["booking.contention.5xx"] == printed["booking.contention.other"] == "0"
    assert int(printed["booking.sql_statements"]) > 0
    assert not Booking.objects.filter(title=booking.TITLE).exists()  # the benchmark leaves no trace


def test_framework_floor_beside_our_booking_creation(tiny, live_server, capsys, settings):
    settings.ROOT_URLCONF = "bench.framework_urls"  # what bench.framework_settings gives the bench's gunicorn
    clients = booking.make_clients(2, 8)
    booking.fetch_tokens(live_server.url, clients)
    framework_floor.figures(tiny, live_server.url, clients, counts=(1, 2), requests={1: 2, 2: 2})
    printed = figures(capsys)
    assert list(printed) == [name for count in (1, 2) for name in (
        f"booking.http.c{count}.throughput", f"booking.http.c{count}.latency.median",
        f"booking.framework_floor.c{count}.throughput", f"booking.framework_floor.c{count}.latency.median",
        f"booking.http_over_framework_floor.c{count}")]
    assert float(printed["booking.http_over_framework_floor.c2"]) > 0
    assert not Booking.objects.filter(title=booking.TITLE).exists()  # the benchmark leaves no trace


def test_feed_against_icalendar_alone(tiny, live_server, capsys):
    feed.figures(tiny, live_server.url, runs=1, warmup=0, public_events=20)
    printed = figures(capsys)
    assert list(printed) == ["feed.http.median", "feed.http.p95", "feed.http.warm.median",
                             "feed.http.not_modified.median", "feed.public.http.median", "feed.public.http.p95",
                             "feed.public.http.warm.median", "feed.public.http.not_modified.median",
                             "feed.inprocess.warm.median", "feed.inprocess.not_modified.median",
                             "feed.icalendar_alone.median", "feed.http_over_icalendar"]
    assert not Resource.objects.filter(name=feed.PUBLIC_ROOM).exists()  # the benchmark leaves no trace


def test_booking_parts_in_process(tiny, capsys):
    profiling.booking_parts(tiny, runs=2)
    assert lines(capsys) == ["booking.inprocess.request.median", "booking.inprocess.service.median",
                             "booking.inprocess.service_without_signal_receivers.median"]
    assert not Booking.objects.filter(title=booking.TITLE).exists()


def test_bench_databases_are_never_the_configured_one(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/booking")
    assert common.database_url(1000) == "postgres://postgres@127.0.0.1:5432/bench_booking_1000"
    monkeypatch.delenv("DATABASE_URL")
    assert common.database_url(1000).endswith("bench/data/bench-1000.sqlite3")
    monkeypatch.setenv("BENCH_SIZES", "10_000,1000000")
    assert common.sizes() == (10_000, 1_000_000)

