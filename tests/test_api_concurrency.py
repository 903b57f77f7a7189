"""Twenty people press "book" for the same slot at once, over real HTTP against a live server on PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pytest_django.live_server_helper import LiveServer

from api.authentication import issue_token
from booking.models import Booking
from tests import factories
from tests.factories import at

PORTS = range(8110, 8120)
RACERS = 20

pytestmark = pytest.mark.postgres


@pytest.fixture
def server(transactional_db, settings):
    """A threaded live server (one database connection per request) on the first free port of ours."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    for port in PORTS:
        try:
            live = LiveServer(f"127.0.0.1:{port}")
        except OSError:
            continue
        yield live
        live.stop()
        return
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def test_twenty_concurrent_requests_for_one_slot_make_one_booking(server):
    centre = factories.make_centre()
    room = factories.make_resource(centre, requires_approval=False)
    members = [factories.make_user() for _ in range(RACERS)]
    organisations = [factories.make_organisation(members=[member]) for member in members]
    day = factories.next_open_weekday(2, centre=centre)
    tokens = [issue_token(member) for member in members]
    start = threading.Barrier(RACERS)

    def book(index):
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {tokens[index]}"
            start.wait()
            return session.post(f"{server.url}/api/v1/bookings/", timeout=60, json={
                "resource": room.pk, "organisation": organisations[index].pk,
                "start": at(day, 10).isoformat(), "end": at(day, 12).isoformat(), "title": f"Zebranie {index}",
            })

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(book, range(RACERS)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (RACERS - 1), [r.text for r in responses if r.status_code not in (201, 409)]
    winner = next(r.json() for r in responses if r.status_code == 201)
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == "conflict"
            # Another organisation's booking: the time is shown, the title is not.
            assert body["conflicts"] == [{"start": winner["start"], "end": winner["end"], "title": None}]
    assert list(Booking.objects.values_list("pk", flat=True)) == [winner["id"]]
