"""Booking creation: through HTTP against gunicorn (2 sync workers), and the database floor beside it.

- HTTP: `POST /api/v1/bookings/` with `Authorization: Token ...` (from `POST /api/v1/auth/token/`), by 1, 4
  and 16 concurrent clients, each booking free slots of its own room; then 16 clients all trying the same
  slots of one room, where every answer must be 201 or 409 and exactly one client wins each slot.
- Floor: the same inserts on the same rooms and slots, straight through the driver in one transaction each,
  under the same guarantee: on PostgreSQL psycopg takes the room's row lock (`SELECT ... FOR UPDATE`) and
  inserts, the exclusion constraint refusing overlaps; on SQLite `BEGIN IMMEDIATE`, an overlap check, insert.
- SQL statements of one creation, counted in-process through Django's test client.
- Peak RSS (VmHWM) of the gunicorn workers after these loads.

Every booking the benchmark makes is deleted again, so the dataset stays as generated.
"""
import random
import threading
import time as clock
from datetime import datetime, time, timedelta

from bench.common import (
    Http,
    api_token,
    gunicorn,
    median_ms,
    p95_ms,
    report,
    report_peak_rss,
    run_clients,
    run_per_size,
    task_mode,
    vendor,
)
from bench.data import FEED_ORGANISATION

TITLE = "[bench] Spotkanie robocze"
CLIENT_COUNTS = (1, 4, 16)
REQUESTS = {1: 100, 4: 60, 16: 20}  # per client
CONTESTED_SLOTS = 15
SQL_TARGET = 8


class Client:
    """A member of a verified organisation booking one room."""

    def __init__(self, username, organisation_id, resource_id, slots):
        self.username, self.organisation_id = username, organisation_id
        self.resource_id, self.slots = resource_id, slots
        self.token = None

    def payload(self, start, end):
        return {"resource": self.resource_id, "organisation": self.organisation_id, "start": start.isoformat(),
                "end": end.isoformat(), "title": TITLE, "attendees": 1}


def free_slots(resource, count, length=timedelta(hours=1)):
    """`count` free, aligned slots of `resource`, from the day after tomorrow on (the service's own answer)."""
    from django.utils import timezone

    from booking.availability import resource_availability

    slots = []
    day = timezone.localdate() + timedelta(days=2)
    while len(slots) < count:
        start = datetime.combine(day, time(0), tzinfo=resource.centre.tz)
        for interval in resource_availability(resource, start, start + timedelta(days=14)).free:
            moment = interval.start
            while moment < interval.end and len(slots) < count:
                end = min(moment + length, interval.end)
                slots.append((moment, end))
                moment = end
        day += timedelta(days=14)
        if day > timezone.localdate() + timedelta(days=350):
            raise RuntimeError(f"{resource} has fewer than {count} free slots within a year")
    return slots


def make_clients(count, slots_each):
    """`count` members of distinct verified organisations, each with a room of their own and its free slots."""
    from booking.models import Resource
    from ngo.models import Membership, Organisation

    memberships = list(
        Membership.objects.filter(organisation__status=Organisation.Status.VERIFIED, role=Membership.Role.COORDINATOR)
        .exclude(organisation__name=FEED_ORGANISATION)
        .select_related("user").order_by("organisation_id")[:count]
    )
    rooms = list(Resource.objects.filter(kind=Resource.Kind.ROOM, is_active=True).select_related("centre")
                 .order_by("centre_id", "pk"))
    rng = random.Random(3)
    rooms = rng.sample(rooms, count)
    return [Client(m.user.username, m.organisation_id, room.pk, free_slots(room, slots_each))
            for m, room in zip(memberships, rooms, strict=True)]


def fetch_tokens(base_url, clients):
    """Each client signs in through the API (two at a time: password hashing is slow by design)."""
    lock, pending = threading.Lock(), list(clients)

    def work():
        while True:
            with lock:
                if not pending:
                    return
                client = pending.pop()
            client.token = api_token(base_url, client.username)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def delete_tokens(clients):
    """The API tokens the clients signed in for: the dataset stays as it was generated."""
    from api.models import ApiToken

    ApiToken.objects.filter(user__username__in=[client.username for client in clients]).delete()


def delete_bench_bookings():
    """Remove the benchmark's bookings with everything written about them (audit events, e-mail outbox)."""
    from django.db import models

    from booking.models import Booking

    bookings = Booking.objects.filter(title=TITLE)
    for relation in Booking._meta.related_objects:
        if relation.on_delete is models.SET_NULL:  # rows that would outlive the booking otherwise
            relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": bookings}).delete()
    bookings.delete()
    purge_task_queue()


def purge_task_queue():
    """Drop the e-mail tasks the bookings queued: no worker listens to the bench's broker."""
    from django.conf import settings

    if settings.REDIS_URL:
        from config.celery import app

        app.control.purge()


def _http_task(http, client, slot):
    def task():
        status, _, elapsed = http.post("/api/v1/bookings/", client.payload(*slot))
        return status, elapsed
    return task


def http_run(base_url, clients, per_client):
    """Every client books `per_client` of its free slots; returns (wall seconds, [(status, seconds)])."""
    tasks = [[_http_task(Http(base_url, c.token), c, slot) for slot in c.slots[:per_client]] for c in clients]
    try:
        return run_clients(tasks)
    finally:
        delete_bench_bookings()


def http_figures(n, base_url, clients, counts=CLIENT_COUNTS, requests=REQUESTS):
    throughput = {}
    warm = Http(base_url, clients[0].token)
    for slot in clients[0].slots[:6]:  # both workers load their code and connect before the clock runs
        warm.post("/api/v1/bookings/", clients[0].payload(*slot))
    delete_bench_bookings()
    for count in counts:
        wall, results = http_run(base_url, clients[:count], requests[count])
        statuses = [status for status, _ in results]
        ok = [seconds for status, seconds in results if status == 201]
        if len(ok) != len(results):
            raise RuntimeError(f"booking creation with {count} clients: statuses {sorted(set(statuses))}")
        throughput[count] = len(ok) / wall
        params = dict(db=vendor(), n=n, clients=count, requests=len(results), server="gunicorn-2",
                      tasks=task_mode())
        report(f"booking.http.c{count}.throughput", throughput[count], "bookings/s", **params)
        report(f"booking.http.c{count}.latency.median", median_ms(ok), "ms", **params)
        report(f"booking.http.c{count}.latency.p95", p95_ms(ok), "ms", **params)
    return throughput


def contention_figures(n, base_url, clients, slots=CONTESTED_SLOTS):
    """16 clients (or as many as given) fight over the same slots of one room, in the same order."""
    from booking.availability import Usage, overlapping_bookings
    from booking.models import Resource

    target = clients[0]
    contested = target.slots[:slots]
    tasks = [[_http_task(Http(base_url, c.token), Client(c.username, c.organisation_id, target.resource_id, []),
                         slot) for slot in contested] for c in clients]
    try:
        wall, results = run_clients(tasks)
        resource = Resource.objects.get(pk=target.resource_id)
        usage = Usage(overlapping_bookings(resource, contested[0][0], contested[-1][1]))
        peak = max(usage.levels, default=0)
    finally:
        delete_bench_bookings()
    counts = {}
    for status, _ in results:
        counts[status] = counts.get(status, 0) + 1
    params = dict(db=vendor(), n=n, clients=len(clients), slots=len(contested), server="gunicorn-2",
                  tasks=task_mode())
    report("booking.contention.201", counts.get(201, 0), "responses", **params)
    report("booking.contention.409", counts.get(409, 0), "responses", **params)
    report("booking.contention.5xx", sum(v for k, v in counts.items() if k >= 500), "responses", **params)
    report("booking.contention.other", sum(v for k, v in counts.items() if k not in (201, 409) and k < 500),
           "responses", **params)
    report("booking.contention.throughput", len(results) / wall, "answers/s", **params)
    if counts.get(201, 0) != len(contested) or set(counts) - {201, 409} or peak > 1:
        raise RuntimeError(f"contention broke the guarantee: {counts}, peak use {peak}")


# --- the floor ------------------------------------------------------------------------------------

def _floor_row(client, start, end, now):
    """Column values of a booking as the service would write it (see bench.data for unknown columns)."""
    from django.db import connection

    from bench.data import _rows_columns
    from booking.models import Booking, Resource

    resource = Resource.objects.only("units", "requires_approval").get(pk=client.resource_id)
    values = {
        "resource_id": client.resource_id, "organisation_id": client.organisation_id, "created_by_id": None,
        "series_id": None, "title": TITLE, "purpose": "", "attendees": 1, "quantity": 1, "public": False,
        "start": start, "end": end, "status": "pending" if resource.requires_approval else "confirmed",
        "sequence": 0, "exclusive": resource.units == 1, "override_reason": "", "decision_reason": "",
        "cancellation_reason": "", "created_at": now, "updated_at": now,
    }
    columns, attnames, defaults = _rows_columns(Booking, set(values), connection)
    values.update(defaults)
    return columns, [values[name] for name in attnames]


def _postgres_floor_task(connection, client, slot, lock_sql, insert_sql, row):
    def task():
        started = clock.perf_counter()
        with connection.transaction():
            connection.execute(lock_sql, [client.resource_id])
            connection.execute(insert_sql, row)
        return 201, clock.perf_counter() - started
    return task


def _sqlite_floor_task(connection, client, slot, check_sql, insert_sql, row):
    def task():
        started = clock.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        try:
            taken = connection.execute(check_sql, [client.resource_id, slot[1], slot[0]]).fetchone()[0]
            if not taken:
                connection.execute(insert_sql, row)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return 409 if taken else 201, clock.perf_counter() - started
    return task


def floor_run(clients, per_client):
    """The clients' inserts straight through the driver, one connection each. Returns (wall, results)."""
    from django.db import connection as django_connection
    from django.utils import timezone

    from booking.models import Booking, Resource

    settings = django_connection.settings_dict
    table, resources = Booking._meta.db_table, Resource._meta.db_table
    now = timezone.now()
    connections, tasks = [], []
    try:
        for client in clients:
            client_tasks = []
            if django_connection.vendor == "postgresql":
                import psycopg

                connection = psycopg.connect(dbname=settings["NAME"], user=settings["USER"],
                                             password=settings["PASSWORD"] or None, host=settings["HOST"] or None,
                                             port=settings["PORT"] or None, autocommit=True)
                lock_sql = f"SELECT id FROM {resources} WHERE id = %s FOR UPDATE"
                for slot in client.slots[:per_client]:
                    columns, row = _floor_row(client, *slot, now)
                    insert_sql = (f"INSERT INTO {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
                                  f"VALUES ({', '.join('%s' for _ in columns)})")
                    client_tasks.append(_postgres_floor_task(connection, client, slot, lock_sql, insert_sql, row))
            else:
                import sqlite3

                connection = sqlite3.connect(settings["NAME"], isolation_level=None, timeout=30,
                                             check_same_thread=False)
                connection.execute("PRAGMA synchronous=NORMAL")
                check_sql = (f"SELECT COUNT(*) FROM {table} WHERE resource_id = ?"
                             " AND status IN ('pending', 'confirmed') AND \"start\" < ? AND \"end\" > ?")
                for slot in client.slots[:per_client]:
                    columns, row = _floor_row(client, *slot, now)
                    row = [_sqlite_value(value) for value in row]
                    insert_sql = (f"INSERT INTO {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
                                  f"VALUES ({', '.join('?' for _ in columns)})")
                    client_tasks.append(_sqlite_floor_task(
                        connection, client, [_sqlite_value(moment) for moment in slot], check_sql, insert_sql, row))
            connections.append(connection)
            tasks.append(client_tasks)
        return run_clients(tasks)
    finally:
        for connection in connections:
            connection.close()
        delete_bench_bookings()


def _sqlite_value(value):
    from datetime import UTC

    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def floor_figures(n, clients, counts=CLIENT_COUNTS, requests=REQUESTS):
    throughput = {}
    driver = "psycopg" if vendor() == "postgresql" else "sqlite3"
    for count in counts:
        wall, results = floor_run(clients[:count], requests[count])
        ok = [seconds for status, seconds in results if status == 201]
        if len(ok) != len(results):
            raise RuntimeError(f"floor with {count} clients: {len(results) - len(ok)} inserts refused")
        throughput[count] = len(ok) / wall
        params = dict(db=vendor(), n=n, clients=count, requests=len(results), driver=driver)
        report(f"booking.floor.c{count}.throughput", throughput[count], "bookings/s", **params)
        report(f"booking.floor.c{count}.latency.median", median_ms(ok), "ms", **params)
    return throughput


def sql_statements(n, client, verbose=False):
    """Statements of one booking creation through the API, in-process (Django's test client)."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from api.authentication import issue_token
    from ngo.models import User

    token = issue_token(User.objects.get(username=client.username))
    browser = TestClient(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_FORWARDED_PROTO="https")
    try:
        first, second = client.slots[-2:]
        browser.post("/api/v1/bookings/", client.payload(*first), content_type="application/json")
        with CaptureQueriesContext(connection) as queries:
            response = browser.post("/api/v1/bookings/", client.payload(*second), content_type="application/json")
    finally:
        delete_bench_bookings()
    if response.status_code != 201:
        raise RuntimeError(f"in-process booking: HTTP {response.status_code} {response.content[:300]!r}")
    report("booking.sql_statements", len(queries), "statements", db=vendor(), n=n, target=SQL_TARGET)
    if verbose or len(queries) > SQL_TARGET:
        for query in queries.captured_queries:
            print(f"#   {query['sql'][:160]}")
    return len(queries)


def measure(n):
    import os

    delete_bench_bookings()
    clients = make_clients(max(CLIENT_COUNTS), max(REQUESTS.values()) + 8)
    try:
        sql_statements(n, clients[0], verbose=os.environ.get("BENCH_VERBOSE") == "1")
        with gunicorn() as server:
            fetch_tokens(server.url, clients)
            http = http_figures(n, server.url, clients)
            contention_figures(n, server.url, clients)
            report_peak_rss(server, db=vendor(), n=n, load="booking")
        floor = floor_figures(n, clients)
    finally:
        delete_tokens(clients)
    for count in CLIENT_COUNTS:
        report(f"booking.http_over_floor.c{count}", http[count] / floor[count], "ratio", db=vendor(), n=n,
               clients=count, target=">=0.40" if count == 4 else "-")


def main():
    return run_per_size("bench.booking", measure)


if __name__ == "__main__":
    raise SystemExit(main())
