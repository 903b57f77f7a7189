"""The orchestrator's probes: /healthz (alive) and /readyz (database, migrations, broker), and their
failure modes against really unreachable services (closed port 127.0.0.1:1), not mocks."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CLOSED_PORT = "127.0.0.1:1"


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django would fail the test on any database access.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_every_check_when_ready(client, db, settings, redis_url):
    settings.REDIS_URL = redis_url
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "failed": [],
        "checks": {"database": {"ok": True}, "migrations": {"ok": True, "unapplied": 0}, "broker": {"ok": True}},
    }


def test_readyz_skips_the_broker_when_none_is_configured(client, db, settings):
    settings.REDIS_URL = ""
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and set(body["checks"]) == {"database", "migrations"}


def test_readyz_fails_fast_when_the_broker_is_down(client, db, settings):
    settings.REDIS_URL = f"redis://{CLOSED_PORT}/6"
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}
    assert elapsed < 2.5


def test_readyz_rejects_other_methods(client, db):
    assert client.post("/readyz").status_code == 405


# The other failure modes need a process whose database is different from the test database.
PROBE = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
client = Client()
results = []
for step in {steps!r}:
    if step == "migrate":
        call_command("migrate", verbosity=0)
        continue
    response = client.get(step)
    results.append([step, response.status_code, json.loads(response.content)])
print(json.dumps(results))
"""


def probe_in_process(database_url, steps):
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "SENTRY_DSN")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=database_url, ALLOWED_HOSTS="testserver",
               DEBUG="true", LOG_LEVEL="CRITICAL")
    done = subprocess.run([sys.executable, "-c", PROBE.format(steps=steps)], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("database_url", [
    f"postgres://postgres@{CLOSED_PORT}/booking",
    "sqlite:////nonexistent-directory/booking.sqlite3",
])
def test_readyz_fails_when_the_database_is_down_while_healthz_still_answers(database_url):
    (_, ready_status, ready), (_, alive_status, alive) = probe_in_process(database_url, ["/readyz", "/healthz"])
    assert ready_status == 503
    assert ready["failed"] == ["database", "migrations"]
    assert ready["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert ready["checks"]["migrations"] == {"ok": False, "error": "database unavailable"}
    assert (alive_status, alive) == (200, {"status": "ok"})


def test_readyz_fails_until_the_migrations_are_applied(tmp_path):
    before, after = probe_in_process(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", ["/readyz", "migrate", "/readyz"])
    assert before[1] == 503
    assert before[2]["failed"] == ["migrations"]
    assert before[2]["checks"]["migrations"]["unapplied"] > 10
    assert after[1] == 200 and after[2]["checks"]["migrations"] == {"ok": True, "unapplied": 0}
