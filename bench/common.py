"""What every benchmark shares: the bench databases, Django set-up, timing, printed figures, gunicorn.

A benchmark module is run alone (`python -m bench.availability`) or by `python -m bench`. Without
`BENCH_N` in its environment it runs itself once per dataset size in `BENCH_SIZES`, each in a fresh
process pointed at that size's own database (settings are read once per process):

- SQLite (default): `bench/data/bench-<N>.sqlite3`;
- PostgreSQL when `DATABASE_URL` is a PostgreSQL URL: database `bench_booking_<N>` on that server
  (`BENCH_DB_PREFIX` changes the prefix). The database named in `DATABASE_URL` is never touched.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
DEFAULT_SIZES = (10_000, 100_000)
PORTS = range(8150, 8160)
BENCH_PASSWORD = "bench-password-1"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"


def sizes():
    raw = os.environ.get("BENCH_SIZES", "")
    return tuple(int(size) for size in raw.replace("_", "").split(",") if size.strip()) or DEFAULT_SIZES


def database_url(n):
    """The bench database for a dataset of `n` bookings (see the module docstring)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://", "pgsql://")):
        parts = urlsplit(base)
        prefix = os.environ.get("BENCH_DB_PREFIX", "bench_booking")
        return urlunsplit(parts._replace(path=f"/{prefix}_{n}"))
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / f'bench-{n}.sqlite3'}"


def _redis_url():
    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if not url:
        return ""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # no Redis: Celery runs eagerly, as in the embedded default
        return ""
    return url


def bench_environment(n):
    """The environment of a bench process: production-like settings over the size's own database."""
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "BENCH_N": str(n),
        "DATABASE_URL": database_url(n),
        "DEBUG": "false",
        "SECRET_KEY": env.get("BENCH_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": _redis_url(),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(DATA_DIR / "static"),
        # One address plays every client: throttles still run, at rates a crowd of clients would share.
        "API_ANON_RATE": "1000000/minute",
        "API_TOKEN_RATE": "1000000/minute",
        "FEED_RATE": "1000000/minute",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    })
    return env


def create_postgres_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def run_per_size(module, measure):
    """Entry point of a benchmark module: in a bench process measure, else spawn one per size."""
    if os.environ.get("BENCH_N"):
        n = setup()
        measure(n)
        return 0
    failures = sum(not run_module(module, n) for n in sizes())
    return 1 if failures else 0


def run_module(module, n):
    """Run a benchmark module in a bench process for the dataset of `n` bookings; True when it succeeded."""
    return subprocess.run([sys.executable, "-m", module], env=bench_environment(n), cwd=ROOT).returncode == 0


def setup():
    """Set Django up against this process's bench database, migrated and holding its dataset."""
    n = int(os.environ["BENCH_N"])
    if os.environ["DATABASE_URL"].startswith("postgres"):
        create_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from bench import data

    with _without_statement_timeout():
        call_command("migrate", verbosity=0, interactive=False)
        data.ensure(n)
    return n


@contextmanager
def _without_statement_timeout():
    """Building or migrating a large dataset outlasts the per-statement limit of requests (PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def vendor():
    from django.db import connection

    return connection.vendor


def task_mode():
    """How e-mail tasks leave a request: queued on Redis (as deployed), or run in it (embedded default)."""
    from django.conf import settings

    return "redis" if settings.REDIS_URL else "eager"


def report(name, value, unit, **params):
    """One figure per line: name, value, unit, then the parameters it was measured with."""
    if isinstance(value, float):
        value = f"{value:.3f}" if value < 100 else f"{value:.1f}"
    details = " ".join(f"{key}={val}" for key, val in params.items())
    print(f"{name:<40} {value:>10} {unit:<10} {details}", flush=True)


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return ordered[index]


def median_ms(seconds):
    return statistics.median(seconds) * 1000


def p95_ms(seconds):
    return percentile(seconds, 0.95) * 1000


# --- HTTP -----------------------------------------------------------------------------------------

class Http:
    """A minimal HTTP client: one connection per request, as gunicorn's sync workers close them anyway."""

    def __init__(self, base_url, token=None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Host": f"{self.host}:{self.port}", "X-Forwarded-Proto": "https"}
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def request(self, method, path, body=None, headers=None):
        """Return (status, body bytes, elapsed seconds); the response's headers are kept in `last_headers`."""
        all_headers = dict(self.headers, **(headers or {}))
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
            self.last_headers = dict(response.getheaders())
        finally:
            connection.close()
        return response.status, content, time.perf_counter() - started

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body, **kwargs):
        return self.request("POST", path, body, **kwargs)


def api_token(base_url, username, password=BENCH_PASSWORD):
    status, content, _ = Http(base_url).post("/api/v1/auth/token/", {"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"token for {username}: HTTP {status} {content[:300]!r}")
    return json.loads(content)["token"]


def run_clients(tasks_per_client):
    """Run each client's task list in its own thread, all starting together.

    A task is a callable returning (status, elapsed seconds); one that raises counts as status 0 (no answer).
    Returns (wall seconds, [(status, elapsed)]).
    """
    barrier = threading.Barrier(len(tasks_per_client) + 1)
    results = [[] for _ in tasks_per_client]

    def client(index, tasks):
        barrier.wait()
        for task in tasks:
            try:
                results[index].append(task())
            except Exception as error:
                print(f"# client {index}: {type(error).__name__}: {error}", file=sys.stderr)
                results[index].append((0, 0.0))

    threads = [threading.Thread(target=client, args=(i, tasks)) for i, tasks in enumerate(tasks_per_client)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return wall, [result for client_results in results for result in client_results]


# --- gunicorn -------------------------------------------------------------------------------------

def free_port():
    import socket

    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


class Gunicorn:
    """A gunicorn master started for the benchmark; its workers' memory is read from /proc."""

    def __init__(self, process, url):
        self.process, self.url = process, url

    def worker_pids(self):
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def workers_memory_kib(self, field):
        """`field` of /proc/<worker>/status (VmHWM = peak RSS, VmRSS = current) for every worker."""
        values = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    values.append(int(line.split()[1]))
        return values


@contextmanager
def gunicorn(workers=2, port=None, env=None):
    """gunicorn with `workers` sync workers on a bench port, serving this process's settings (or `env`'s)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "sync", "--timeout", "120", "--backlog", "256",
               "--log-level", "warning"]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log_path = DATA_DIR / f"gunicorn-{port}.log"
    log = open(log_path, "w")  # the server's own log (a 409 is logged as a warning), kept out of the figures
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}")
            try:
                status, _, _ = Http(url).get("/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        server = Gunicorn(process, url)
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def report_peak_rss(server, **params):
    """The highest peak RSS among the server's workers since they started."""
    peaks = server.workers_memory_kib("VmHWM")
    report("gunicorn.worker.peak_rss", max(peaks) / 1024, "MiB", workers=len(peaks), **params)
