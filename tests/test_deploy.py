"""Production deployment: hardened settings, structured logs, error reports, the compose file, and the
processes it describes (migrate, gunicorn, Celery worker and beat) run for real against PostgreSQL and Redis.

There is no Docker engine on these machines, so images are not built; the compose file's own commands
and health checks are run here instead, with only the listening address and the scratch paths changed.
"""
import gzip
import http.client
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from celery import Celery
from django.core.management import call_command
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from config.logs import JsonFormatter
from tests import factories
from tests.conftest import need_service

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WEB_PORT = 8140
SENTRY_PORT = 8141


def production_env(**overrides):
    """The environment `.env.example` describes, with a fresh key; nothing inherited from a local .env."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "SENTRY_DSN", "EMAIL_URL", "SECURE_SSL_REDIRECT")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="rezerwacje.example.org,127.0.0.1", PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(*args, env, timeout=60):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)


# --- settings -----------------------------------------------------------------------------------

def test_check_deploy_passes_with_no_warnings_under_production_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_notices_when_the_https_redirect_is_switched_off():
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_SSL_REDIRECT="false"))
    assert done.returncode == 1
    assert "security.W008" in done.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    done = manage("check", env=env)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_log_records_are_one_json_object_per_line():
    record = logging.LogRecord("booking.services", logging.ERROR, __file__, 1, "Booking %s refused", (42,),
                               None)
    record.resource = "Sala spotkań"
    try:
        raise ValueError("no free slot\nat all")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "booking.services"
    assert entry["message"] == "Booking 42 refused" and entry["resource"] == "Sala spotkań"
    assert "ValueError: no free slot" in entry["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


class _Collector(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        elif self.headers.get("Content-Encoding") == "br":  # sentry-sdk prefers brotli when it is installed
            body = __import__("brotli").decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_error_logs_reach_the_error_tracker_when_sentry_dsn_is_set():
    """A local stand-in for Sentry receives the event that an ERROR log record produces."""
    pytest.importorskip("sentry_sdk", reason="sentry-sdk is optional; install it with the test extra")
    server = ThreadingHTTPServer(("127.0.0.1", SENTRY_PORT), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Collector.received = []
    script = ("import django, logging, sentry_sdk; django.setup(); "
              "logging.getLogger('notifications').error('Outbox relay failed for message 7'); sentry_sdk.flush(5)")
    try:
        done = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, timeout=60, capture_output=True,
                              text=True, env=production_env(SENTRY_DSN=f"http://public@127.0.0.1:{SENTRY_PORT}/1"))
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert any(b"Outbox relay failed for message 7" in body for body in _Collector.received), _Collector.received


# --- docker-compose.yml -------------------------------------------------------------------------

def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def compose_command():
    """`docker compose` (v2 plugin) or `docker-compose` (v1, Debian's package), whichever is here."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    need_service("neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)")


def filled_env_file(directory, **values):
    text = (BASE_DIR / ".env.example").read_text()
    for name, value in values.items():
        text, count = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.M)
        assert count == 1, name
    (directory / ".env").write_text(text)


def test_docker_compose_accepts_the_file(tmp_path):
    command = compose_command()
    shutil.copy(BASE_DIR / "docker-compose.yml", tmp_path)
    filled_env_file(tmp_path, SECRET_KEY="x" * 50, POSTGRES_PASSWORD="s3cret")
    done = subprocess.run([*command, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # Without the database password from .env it refuses, as an operator would want.
    filled_env_file(tmp_path, SECRET_KEY="x" * 50, POSTGRES_PASSWORD="")
    done = subprocess.run([*command, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "POSTGRES_PASSWORD" in done.stderr


def test_compose_runs_every_service_with_a_health_check_and_migrates_first():
    services = compose()["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "db", "replica", "redis", "mailpit"}
    for name, service in services.items():
        assert name == "migrate" or service["healthcheck"]["test"], name
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["env_file"] == ".env"
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "postgres-data:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "postgres-data" in compose()["volumes"]


def test_compose_scales_web_over_a_port_range_and_starts_a_replica_only_on_request():
    services = compose()["services"]
    assert services["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}-${WEB_PORT_LAST:-8003}:8000"]
    replica = services["replica"]
    assert replica["profiles"] == ["replica"] and replica["image"] == services["db"]["image"]
    assert replica["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "replica-data:/var/lib/postgresql/data" in replica["volumes"]
    # The replica's copy is made by deploy/postgres/replica-entrypoint.sh, run for real by tests/test_replicas.py.
    assert replica["entrypoint"][-1] == "/usr/local/bin/replica-entrypoint.sh"
    assert "./deploy/postgres/replica-entrypoint.sh:/usr/local/bin/replica-entrypoint.sh:ro" in replica["volumes"]
    assert ("./deploy/postgres/primary-replication.sh:/docker-entrypoint-initdb.d/10-replication.sh:ro"
            in services["db"]["volumes"])
    # Without DATABASE_REPLICA_URL in .env every read stays on the primary.
    assert compose()["x-env"]["DATABASE_REPLICA_URL"] == "${DATABASE_REPLICA_URL:-}"


def _run_primary_replication(pg_data, **env):
    settings = connection.settings_dict
    return subprocess.run(
        ["sh", str(BASE_DIR / "deploy" / "postgres" / "primary-replication.sh")], capture_output=True, text=True,
        timeout=60, env={**os.environ, "PGDATA": str(pg_data), "PGHOST": settings["HOST"] or "127.0.0.1",
                         "PGPORT": str(settings["PORT"] or 5432), "POSTGRES_USER": settings["USER"] or "postgres",
                         "POSTGRES_DB": settings["NAME"], **env})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_primary_gets_one_replication_role_and_one_pg_hba_line(tmp_path):
    hba = tmp_path / "pg_hba.conf"
    hba.write_text("local all all trust\n")
    role = f"replicator_test_{os.getpid()}"
    done = _run_primary_replication(tmp_path, REPLICATION_USER=role, POSTGRES_REPLICATION_PASSWORD="")
    assert done.returncode == 0 and "not set" in done.stdout
    assert hba.read_text() == "local all all trust\n"
    try:
        for _ in range(2):  # run again on an existing database: nothing doubled
            done = _run_primary_replication(tmp_path, REPLICATION_USER=role, POSTGRES_REPLICATION_PASSWORD="s3cret")
            assert done.returncode == 0, done.stderr
        assert hba.read_text() == f"local all all trust\nhost replication {role} all scram-sha-256\n"
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolreplication, rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", [role])
            assert cursor.fetchall() == [(True, True, False)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


# --- the processes, for real ----------------------------------------------------------------------

def service_command(name, replacements=()):
    """A service's command as the container would run it: compose's `$$` unescaped, split like compose."""
    command = compose()["services"][name]["command"]
    command = shlex.split(command.replace("$$", "$")) if isinstance(command, str) else list(command)
    for old, new in replacements:
        assert any(old in part for part in command), (name, old)
        command = [part.replace(old, new) for part in command]
    return command


def health_command(name):
    test = compose()["services"][name]["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1].replace("$$", "$")]
    return test[1:]


class Processes:
    """Long-running processes of one test, each in its own session so that its children stop with it."""

    def __init__(self, directory):
        self.directory = directory
        self.running = {}

    def start(self, name, command, env):
        log = open(self.directory / f"{name}.log", "w")
        self.running[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True)

    def log(self, name):
        return (self.directory / f"{name}.log").read_text()

    def alive(self, name):
        return self.running[name].poll() is None

    def stop(self):
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def fetch(method, path, headers=(), body=None):
    conn = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=10)
    try:
        conn.request(method, path, body=body, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def cookies(headers):
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


def wait_for(what, condition, processes, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes.alive(name):
            pytest.fail(f"{name} exited while waiting for {what}:\n{processes.log(name)}")
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s:\n{processes.log(name)}")


def json_records(text):
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


@pytest.mark.postgres
def test_compose_processes_serve_the_app_against_postgresql_and_redis(transactional_db, redis_url, tmp_path):
    started = time.monotonic()
    db = connection.settings_dict
    database_url = (f"postgres://{urllib.parse.quote(db['USER'] or '')}:{urllib.parse.quote(db['PASSWORD'] or '')}"
                    f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    env = production_env(DATABASE_URL=database_url, REDIS_URL=redis_url, EMAIL_URL="consolemail://",
                         STATIC_ROOT=str(tmp_path / "static"), WEB_CONCURRENCY="2", CELERY_CONCURRENCY="1",
                         PORT=str(WEB_PORT), HOSTNAME=socket.gethostname(), XDG_RUNTIME_DIR=str(tmp_path))
    processes = Processes(tmp_path)
    try:
        # The image's build step and the one-shot migrate service.
        collect = subprocess.Popen([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR,
                                   env=env, stderr=subprocess.PIPE, text=True)
        migrate = subprocess.run(service_command("migrate"), cwd=BASE_DIR, env=env, capture_output=True,
                                 text=True, timeout=60)
        assert migrate.returncode == 0, migrate.stderr
        processes.start("worker", service_command("worker"), env)
        processes.start("beat", service_command("beat", [("/tmp/celerybeat-schedule", str(tmp_path / "beat"))]), env)
        assert collect.wait(timeout=60) == 0, collect.stderr.read()

        centre = factories.make_centre("Centrum Aktywizacji Społecznej", short_name="CAS")
        os.environ["CENTRE_STAFF_PASSWORD"] = "Kasztanowa-Aleja-17"
        try:
            call_command("create_centre_staff", "ewa", "--centre", "CAS", "--first-name", "Ewa", "--no-input",
                         stdout=open(os.devnull, "w"))
        finally:
            del os.environ["CENTRE_STAFF_PASSWORD"]

        # As the compose file sets it for web: the gunicorn workers add up their counts for /metrics.
        web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"), "METRICS_TOKEN": "metrics-token"}
        processes.start("web", service_command("web", [("0.0.0.0:8000", f"127.0.0.1:{WEB_PORT}")]), web_env)

        def healthz():
            try:
                return fetch("GET", "/healthz")
            except OSError:
                return None

        # Probes come over plain HTTP from inside the network: not redirected to HTTPS.
        status, _, body = wait_for("answer on /healthz", healthz, processes, "web")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _, body = fetch("GET", "/readyz")
        assert status == 200, body
        assert json.loads(body)["checks"] == {"database": {"ok": True}, "migrations": {"ok": True, "unapplied": 0},
                                              "broker": {"ok": True}}
        assert subprocess.run(health_command("web"), cwd=BASE_DIR, env=env, timeout=30).returncode == 0

        # Pages: plain HTTP is sent to HTTPS; behind the proxy the page is served hardened.
        status, headers, _ = fetch("GET", "/admin/login/")
        assert status == 301 and headers["Location"] == f"https://127.0.0.1:{WEB_PORT}/admin/login/"
        proxy = {"X-Forwarded-Proto": "https"}
        status, headers, page = fetch("GET", "/admin/login/", proxy)
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        csrf = cookies(headers)["csrftoken"]
        assert csrf["secure"]

        # Static files from WhiteNoise, under their hashed names, cached for good.
        stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page).group(1)
        status, headers, css = fetch("GET", stylesheet, proxy)
        assert status == 200 and "body" in css
        assert "immutable" in headers["Cache-Control"]

        # Logging in writes a session to PostgreSQL; the cookie is secure.
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "ewa",
                                       "password": "Kasztanowa-Aleja-17", "next": "/admin/"})
        status, headers, _ = fetch("POST", "/admin/login/", {
            **proxy, "Origin": f"https://127.0.0.1:{WEB_PORT}", "Cookie": f"csrftoken={csrf.value}",
            "Content-Type": "application/x-www-form-urlencoded"}, form)
        assert status == 302 and headers["Location"] == "/admin/"
        session = cookies(headers)["sessionid"]
        assert session["secure"] and session["httponly"]
        status, _, page = fetch("GET", "/admin/", {**proxy, "Cookie": f"sessionid={session.value}"})
        assert status == 200 and "Ewa" in page
        assert centre.staff.filter(username="ewa").exists()

        # /metrics over plain HTTP from inside the network, with the token only; the counts of both gunicorn
        # workers add up: /readyz was asked twice (above and by the health check), whichever worker answered.
        assert fetch("GET", "/metrics")[0] == 403
        for _ in range(2):
            status, _, text = fetch("GET", "/metrics", {"Authorization": "Bearer metrics-token"})
            assert status == 200
            readyz = sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                      if sample.name == "django_http_requests_total_by_view_transport_method_total"
                      and sample.labels["view"] == "readyz")
            assert readyz == 2  # one over http, one as if through the proxy (https)
        assert "booking_celery_broker_up 1.0" in text

        # Once ready, the worker answers the compose health check and runs a task sent through Redis.
        wait_for("worker ready", lambda: any(r["message"].endswith(" ready.")
                                             for r in json_records(processes.log("worker"))), processes, "worker")
        assert subprocess.run(health_command("worker"), cwd=BASE_DIR, env=env, capture_output=True,
                              timeout=30).returncode == 0
        # Not set as current: the shared tasks of this process must stay on its own (eager) app.
        task_id = Celery(broker=redis_url, set_as_current=False).send_task("celery.accumulate", args=[7, 8]).id
        succeeded = wait_for("task run by the worker", lambda: [
            r for r in json_records(processes.log("worker"))
            if task_id in r["message"] and "succeeded" in r["message"]], processes, "worker")
        assert succeeded[0]["logger"] == "celery.app.trace"

        # Beat runs, logs in the same structured form, and passes its health check.
        wait_for("beat start", lambda: any(r["message"].startswith("beat: Starting")
                                           for r in json_records(processes.log("beat"))), processes, "beat")
        assert subprocess.run(health_command("beat"), cwd=BASE_DIR, env=env, timeout=30).returncode == 0
        assert processes.alive("web") and processes.alive("worker") and processes.alive("beat")
    finally:
        processes.stop()
    assert time.monotonic() - started < 60
