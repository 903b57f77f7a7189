"""The framework floor: the cheapest honest Django request that creates a booking, beside our own.

`POST /bench/floor/` runs through the same stack as `POST /api/v1/bookings/`: gunicorn, every middleware of the
settings, a DRF view with the project's authentication (`Authorization: Token`, hashed), permission, parser,
renderer and throttle classes. The view does only the job: lock the resource (`SELECT ... FOR UPDATE`), insert
the booking through the ORM, commit, answer 201 with its id. No rules, no serializer, no audit event, no
e-mail: what remains is what Django and DRF cost. The database's own guarantee still holds (on PostgreSQL the
exclusion constraint refuses an overlap: 409).

The view (`bench/framework_urls.py`) is served only by the bench's gunicorn, through `bench.framework_settings`
(the project's settings with that URLconf, which includes the project's URLs); the project never routes to it.

    python -m bench.framework_floor        # for each size in BENCH_SIZES

prints `booking.http.cN` (ours) and `booking.framework_floor.cN` (the floor) for 1 and 4 clients, measured in
turns on the same gunicorn, and `booking.http_over_framework_floor.cN`, their throughput ratio (target: 0.5).
"""
from bench.common import gunicorn, median_ms, report, run_per_size, task_mode, vendor

FLOOR_PATH = "/bench/floor/"
CLIENT_COUNTS = (1, 4)
REQUESTS = {1: 60, 4: 30}  # per client, for each of the two runs (ours, the floor)
TARGET = 0.5


def settings_environment():
    """The bench process's environment with the floor's settings (the project's, this module as URLconf)."""
    import os

    return dict(os.environ, DJANGO_SETTINGS_MODULE="bench.framework_settings")


def floor_http_task(http, client, slot):
    def task():
        response_status, _, elapsed = http.post(FLOOR_PATH, client.payload(*slot))
        return response_status, elapsed
    return task


def timed_run(base_url, clients, per_client, make_task, offset):
    """Every client books `per_client` of its free slots from `offset` on; returns (wall, [(status, seconds)])."""
    from bench.booking import delete_bench_bookings
    from bench.common import Http, run_clients

    tasks = [[make_task(Http(base_url, c.token), c, slot) for slot in c.slots[offset:offset + per_client]]
             for c in clients]
    try:
        return run_clients(tasks)
    finally:
        delete_bench_bookings()


def figures(n, base_url, clients, counts=CLIENT_COUNTS, requests=REQUESTS):
    """Ours and the floor in turns at each client count, on the same server; returns {count: ratio}."""
    from bench.booking import _http_task, delete_bench_bookings
    from bench.common import Http

    warm = Http(base_url, clients[0].token)
    for slot in clients[0].slots[:4]:  # both workers load their code and connect before the clock runs
        warm.post("/api/v1/bookings/", clients[0].payload(*slot))
        warm.post(FLOOR_PATH, clients[0].payload(*slot))
    delete_bench_bookings()
    ratios = {}
    for count in counts:
        throughput = {}
        for name, make_task in (("booking.http", _http_task), ("booking.framework_floor", floor_http_task)):
            wall, results = timed_run(base_url, clients[:count], requests[count], make_task, offset=0)
            ok = [seconds for answer, seconds in results if answer == 201]
            if len(ok) != len(results):
                raise RuntimeError(f"{name} with {count} clients: statuses {sorted({a for a, _ in results})}")
            throughput[name] = len(ok) / wall
            params = dict(db=vendor(), n=n, clients=count, requests=len(results), server="gunicorn-2",
                          tasks=task_mode())
            report(f"{name}.c{count}.throughput", throughput[name], "bookings/s", **params)
            report(f"{name}.c{count}.latency.median", median_ms(ok), "ms", **params)
        ratios[count] = throughput["booking.http"] / throughput["booking.framework_floor"]
        report(f"booking.http_over_framework_floor.c{count}", ratios[count], "ratio", db=vendor(), n=n,
               clients=count, target=f">={TARGET}")
    return ratios


def measure(n):
    from bench.booking import delete_bench_bookings, delete_tokens, fetch_tokens, make_clients

    delete_bench_bookings()
    clients = make_clients(max(CLIENT_COUNTS), max(REQUESTS.values()) + 4)
    try:
        with gunicorn(env=settings_environment()) as server:
            fetch_tokens(server.url, clients)
            figures(n, server.url, clients)
    finally:
        delete_tokens(clients)


def main():
    return run_per_size("bench.framework_floor", measure)


if __name__ == "__main__":
    raise SystemExit(main())
