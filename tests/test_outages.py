"""When a service the site leans on is away: Redis (cache, throttles, broker) refusing or hanging.

The outages are real: a closed port (127.0.0.1:1, refused at once) and a local server that accepts
connections and never answers (what a hung Redis looks like from here), not mocks.
"""
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from booking.models import Booking
from notifications.models import OutboxMessage
from tests.conftest import need_service
from tests.factories import at
from tests.test_notifications import worker_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
API = "/api/v1"
CLOSED_REDIS = "redis://127.0.0.1:1/14"


@pytest.fixture
def silent_server():
    """A TCP server on a free local port that accepts connections and never answers: its address."""
    listener = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held + [listener]:
        connection.close()


@pytest.fixture(params=["refused", "silent"])
def redis_down(request, settings):
    """The production cache (settings.CACHES with REDIS_URL set) aimed at a Redis that is away."""
    url = CLOSED_REDIS if request.param == "refused" else f"redis://{request.getfixturevalue('silent_server')}/14"
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": url}}
    return url


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_with_redis_up_the_cache_counts_token_logins(redis_url, settings, member):
    """Failing open changes nothing while Redis answers: the token endpoint's throttle (10/minute) still bites."""
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    cache.clear()
    client = APIClient()
    statuses = [client.post(f"{API}/auth/token/", {"username": "jan", "password": "wrong"}).status_code
                for _ in range(11)]
    cache.clear()
    assert statuses == [400] * 10 + [429]


@pytest.mark.parametrize("call", [
    lambda client, room: client.get(f"{API}/centres/"),
    lambda client, room: client.get(f"{API}/resources/{room.pk}/"),
    lambda client, room: client.post(f"{API}/auth/token/", {"username": "jan", "password": "jan"}),
], ids=["centres", "resource", "token-login"])
def test_with_redis_down_anonymous_calls_and_the_token_login_still_answer(redis_down, call, room, member, caplog):
    with caplog.at_level(logging.WARNING):
        response, elapsed = timed(lambda: call(APIClient(), room))

    assert response.status_code == 200, response.content
    assert elapsed < 2.5, f"{elapsed:.2f} s with Redis away"
    [warning] = [record for record in caplog.records if record.name == "config.cache"]
    assert warning.levelno == logging.WARNING and "Redis cache unavailable" in warning.getMessage()


def test_with_redis_down_a_visitor_waits_on_it_once_not_on_every_call(redis_down, room):
    client = APIClient()
    client.get(f"{API}/centres/")  # the first call finds Redis away and waits for it once
    _, elapsed = timed(lambda: [client.get(f"{API}/resources/{room.pk}/") for _ in range(5)])
    assert elapsed < 1, f"five calls took {elapsed:.2f} s: each waited on Redis"


def test_with_the_broker_silent_a_booking_commits_without_waiting_on_it(
        silent_server, celery_broker, member, staff_user, room, organisation, open_day, mailoutbox, caplog,
        django_capture_on_commit_callbacks):
    celery_broker(f"redis://{silent_server}/14")
    client = APIClient()
    client.force_authenticate(member)
    payload = {"resource": room.pk, "organisation": organisation.pk, "title": "Walne zebranie",
               "start": at(open_day, 10).isoformat(), "end": at(open_day, 12).isoformat()}

    started = time.monotonic()
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}/bookings/", payload)
    elapsed = time.monotonic() - started  # the commit hooks, which publish, included

    assert response.status_code == 201, response.content
    assert elapsed < 1.8, f"booking took {elapsed:.2f} s with the broker silent"
    assert Booking.objects.filter(pk=response.json()["id"]).exists()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}  # the relay sends them later
    assert any("not queued" in record.getMessage() for record in caplog.records)
    assert mailoutbox == []


PROBE = """
import json, time, django
django.setup()
from django.test import Client
client, timings = Client(), []
for path in ("/api/v1/centres/", "/api/v1/resources/"):
    started = time.monotonic()
    status = client.get(path).status_code
    timings.append([path, status, time.monotonic() - started])
print(json.dumps(timings))
"""


def test_the_deployed_settings_fail_open_when_redis_hangs(db, silent_server):
    """The app as configured from the environment (REDIS_URL set, as in production), not test overrides."""
    env = {key: value for key, value in os.environ.items() if key not in ("SENTRY_DSN",)}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=worker_database_url(), ALLOWED_HOSTS="testserver",
               REDIS_URL=f"redis://{silent_server}/14", DEBUG="true", LOG_FORMAT="text", LOG_LEVEL="WARNING")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    (_, first_status, first), (_, second_status, second) = json.loads(done.stdout.strip().splitlines()[-1])
    assert (first_status, second_status) == (200, 200)
    assert first < 2.5 and second < 0.5, (first, second)
    assert "Redis cache unavailable" in done.stdout + done.stderr


def test_once_redis_is_back_the_cache_uses_it_again(settings, tmp_path):
    """Left alone for `retry_after` seconds after a failure, then used again: throttles count again."""
    import redis

    server = shutil.which("redis-server")
    if server is None:
        need_service("redis-server is not installed")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free, and closed again once the block ends
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": url,
                                   "OPTIONS": {"retry_after": 1}}}
    assert cache.get("count", "miss") == "miss"  # refused: nothing listens yet

    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        direct = redis.Redis.from_url(url)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                direct.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        cache.set("count", 1)
        assert cache.get("count", "miss") == "miss"  # still left alone
        time.sleep(1)
        cache.set("count", 2)
        assert cache.get("count") == 2
    finally:
        process.terminate()
        process.wait(timeout=10)

