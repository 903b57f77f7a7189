"""Two web nodes, one database: two gunicorn servers on two ports, against the same PostgreSQL and Redis, and 30
clients racing across both for one slot. Exactly one gets 201, the 29 others 409, none a 5xx: the guarantee is
the database's (the resource's row lock, the exclusion constraint), not a process's. The nodes keep no state of
their own either: a login on one node is a session on the other."""
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter

import pytest
from django.db import connection

from api.authentication import issue_token
from booking.models import ACTIVE_STATUSES, Booking
from tests import factories
from tests.factories import at
from tests.test_deploy import BASE_DIR, Processes, cookies, manage, production_env

CLIENTS = 30


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _exchange(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _request(port, method, path, headers=None, body=None):
    status, _, body = _exchange(port, method, path, headers, body)
    return status, body


def _log_in_on_one_node_and_read_on_the_other(ports, user):
    """A browser whose requests the proxy spreads over both nodes: the login form from node 0, the login posted
    to node 1, "our bookings" read from node 0."""
    status, headers, page = _exchange(ports[0], "GET", "/en/accounts/login/")
    assert status == 200
    csrf = cookies(headers)["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.decode()).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": user.username,
                                   "password": user.username})
    status, headers, _ = _exchange(ports[1], "POST", "/en/accounts/login/", {
        "Origin": f"https://127.0.0.1:{ports[1]}", "Cookie": f"csrftoken={csrf}",
        "Content-Type": "application/x-www-form-urlencoded"}, form)
    assert status == 302, status
    session = cookies(headers)["sessionid"].value
    status, _, page = _exchange(ports[0], "GET", "/en/bookings/", {"Cookie": f"sessionid={session}"})
    return status, page.decode()


def _wait_until_up(port, processes, name):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not processes.alive(name):
            pytest.fail(f"{name} exited:\n{processes.log(name)}")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} did not answer /healthz within 60 s:\n{processes.log(name)}")


@pytest.mark.postgres
def test_thirty_clients_on_two_nodes_race_for_one_slot(transactional_db, redis_url, tmp_path):
    centre = factories.make_centre()
    room = factories.make_resource(centre, requires_approval=False)
    day = factories.next_open_weekday(centre=centre)
    clients, members = [], []
    for _ in range(CLIENTS):
        member = factories.make_user()
        organisation = factories.make_organisation(members=[member], centres=[centre])
        clients.append((issue_token(member), organisation.pk))
        members.append(member)

    db = connection.settings_dict
    database_url = (f"postgres://{urllib.parse.quote(db['USER'] or '')}:{urllib.parse.quote(db['PASSWORD'] or '')}"
                    f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    env = production_env(DATABASE_URL=database_url, REDIS_URL=redis_url, EMAIL_URL="consolemail://",
                         STATIC_ROOT=str(tmp_path / "static"), API_ANON_RATE="100000/minute")
    assert manage("collectstatic", "--noinput", "-v0", env=env, timeout=120).returncode == 0  # as in the image
    ports = [_free_port(), _free_port()]
    processes = Processes(tmp_path)
    try:
        for number, port in enumerate(ports):
            processes.start(f"web{number}", [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                                             f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"], env)
        for number, port in enumerate(ports):
            _wait_until_up(port, processes, f"web{number}")

        barrier = threading.Barrier(CLIENTS)
        statuses = [None] * CLIENTS

        def race(index):
            token, organisation = clients[index]
            body = json.dumps({"resource": room.pk, "organisation": organisation, "start": at(day, 10).isoformat(),
                               "end": at(day, 11).isoformat(), "title": f"Klient {index}"})
            barrier.wait()
            statuses[index] = _request(ports[index % 2], "POST", "/api/v1/bookings/", {
                "Authorization": f"Token {token}", "Content-Type": "application/json"}, body)[0]

        threads = [threading.Thread(target=race, args=(index,)) for index in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        winner = statuses.index(201) if 201 in statuses else 0
        status, our_bookings = _log_in_on_one_node_and_read_on_the_other(ports, members[winner])
    finally:
        processes.stop()
        subprocess.run(["redis-cli", "-u", redis_url, "DEL", "celery"], capture_output=True, cwd=BASE_DIR)

    assert Counter(statuses) == {201: 1, 409: CLIENTS - 1}, statuses
    assert Booking.objects.filter(resource=room, status__in=ACTIVE_STATUSES).count() == 1
    # Logged in through node 1, the winner reads its booking on node 0.
    assert status == 200 and f"Klient {winner}" in our_bookings
