"""Reads from a read replica (config/replicas.py): which reads go there, and, against a real PostgreSQL streaming
replica made for the test, that they are served there, that it refuses writes, and that a booking is visible to
its maker at once while the replica lags.

The real replica is a second PostgreSQL cluster on this machine, a `pg_basebackup -R` of the primary in a
temporary directory made by the compose service `replica`'s own script (deploy/postgres/replica-entrypoint.sh),
started with `pg_ctl` as the `postgres` user. It needs the PostgreSQL server programs, root or the `postgres`
user, and a `host replication` line in the primary's `pg_hba.conf` (`.ci/run` adds it): without them the test
is skipped with the reason, and fails under REQUIRE_SERVICES=1. It takes about 10 s here.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.utils import ConnectionRouter
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from api.authentication import issue_token
from booking.models import Booking
from config import replicas
from tests import factories
from tests.conftest import need_service
from tests.factories import at

router = ConnectionRouter(["config.replicas.ReplicaRouter"])
REPLICA_SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "replica-entrypoint.sh"


@pytest.fixture
def replica_set(monkeypatch):
    """As when DATABASE_REPLICA_URL is set."""
    monkeypatch.setattr(replicas, "replica_configured", lambda: True)


def test_only_marked_reads_go_to_the_replica(replica_set, monkeypatch):
    assert router.db_for_read(Booking) == DEFAULT_DB_ALIAS
    with replicas.reading_replica():
        assert router.db_for_read(Booking) == replicas.REPLICA
        assert router.db_for_write(Booking) == DEFAULT_DB_ALIAS  # writes always go to the primary
        monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "in_atomic_block", True)
        assert router.db_for_read(Booking) == DEFAULT_DB_ALIAS  # a transaction (the lock, a booking) stays whole
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "booking") and not router.allow_migrate(replicas.REPLICA, "booking")


def test_without_a_replica_every_read_goes_to_the_primary():
    with replicas.reading_replica():
        assert router.db_for_read(Booking) == DEFAULT_DB_ALIAS


def test_a_browser_that_just_changed_something_reads_from_the_primary(replica_set):
    requests = RequestFactory()
    pinned = requests.get("/")
    pinned.COOKIES[replicas.PIN_COOKIE] = "1"
    for request, replica in [(requests.get("/"), True), (requests.head("/"), True), (requests.post("/"), False),
                             (pinned, False)]:
        with replicas.replica_for(request):
            assert (router.db_for_read(Booking) == replicas.REPLICA) is replica, request

    middleware = replicas.PrimaryPinMiddleware(lambda request: HttpResponse())
    assert replicas.PIN_COOKIE in middleware(requests.post("/")).cookies
    assert replicas.PIN_COOKIE not in middleware(requests.get("/")).cookies


# --- a real streaming replica -----------------------------------------------------------------

def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(command, **kwargs):
    if os.geteuid() != 0:
        return subprocess.run(command, capture_output=True, text=True, **kwargs)
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, **kwargs)


def _give_to_postgres(path):
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@pytest.fixture
def streaming_replica(transactional_db):
    """The port of a hot-standby replica of the test database's cluster, running for the test."""
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        pytest.skip("a streaming replica needs PostgreSQL (the suite's PostgreSQL pass)")
    version = primary.cursor().connection.info.server_version // 10000
    bin_dir = Path(f"/usr/lib/postgresql/{version}/bin")
    if not (bin_dir / "pg_basebackup").exists() or not (bin_dir / "pg_ctl").exists():
        need_service(f"no PostgreSQL {version} server programs in {bin_dir}")
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        need_service("pg_ctl must run as root (through runuser) or as the postgres user")
    host = primary.settings_dict["HOST"] or "127.0.0.1"
    primary_port = str(primary.settings_dict["PORT"] or 5432)
    user = primary.settings_dict["USER"] or "postgres"
    directory = Path(tempfile.mkdtemp(prefix="booking-replica-"))
    _give_to_postgres(directory)
    data = directory / "data"
    # Made by the compose service's own script, as the `replica` container makes its copy on first start.
    backup = _as_postgres(["env", f"PATH={bin_dir}:{os.environ['PATH']}", f"PGDATA={data}", f"PRIMARY_HOST={host}",
                           f"PRIMARY_PORT={primary_port}", f"REPLICATION_USER={user}", "sh", str(REPLICA_SCRIPT),
                           "true"], timeout=120)
    if backup.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        need_service(f"pg_basebackup failed (the primary's pg_hba.conf needs `host replication all 127.0.0.1/32 "
                    f"trust`): {backup.stderr.strip()[:300]}")
    port = _free_port()
    config = (f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\n"
              "hot_standby = on\nfsync = off\n")  # max_connections etc.: as the primary's, as a standby needs
    for name, text in (("postgresql.conf", config),
                       ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")):
        (data / name).write_text(text)
        _give_to_postgres(data / name)
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w", "-t", "60"]
    started = _as_postgres([*pg_ctl, "start"], timeout=90)
    try:
        if started.returncode != 0:
            log = (directory / "log").read_text() if (directory / "log").exists() else ""
            pytest.fail(f"the replica did not start: {started.stderr.strip()[:300]} {log[-500:]}")
        yield port
    finally:
        _as_postgres([*pg_ctl, "-m", "immediate", "stop"], timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def replica_alias(streaming_replica, replica_set):
    """The `replica` alias, as settings make it from DATABASE_REPLICA_URL, pointed at the running replica (made
    here rather than in settings: the test framework would flush it after the test, and a replica refuses that)."""
    primary = connections[DEFAULT_DB_ALIAS]
    replica = type(primary)({**primary.settings_dict, "HOST": "127.0.0.1", "PORT": streaming_replica},
                            alias=replicas.REPLICA)
    connections[replicas.REPLICA] = replica
    try:
        yield replica
    finally:
        replica.close()
        del connections[replicas.REPLICA]


def _caught_up(replica):
    """Wait until the replica has replayed everything the primary has committed so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail("the replica did not catch up within 30 s")


def _busy(client, room, day):
    response = client.get(f"/api/v1/resources/{room.pk}/availability/",
                          {"start": at(day, 7).isoformat(), "end": at(day, 18).isoformat()})
    assert response.status_code == 200, response.content
    return [(busy["start"], busy.get("title")) for busy in response.json()["busy"]]


@pytest.mark.postgres
def test_reads_come_from_the_replica_writes_are_refused_there_and_the_maker_sees_a_booking_at_once(replica_alias):
    replica = replica_alias
    staff = factories.make_user()
    member = factories.make_user()
    centre = factories.make_centre(staff=[staff])
    room = factories.make_resource(centre, requires_approval=False, occupancy_public=True)
    organisation = factories.make_organisation(members=[member], centres=[centre])
    day = factories.next_open_weekday(centre=centre)
    first = factories.make_booking(resource=room, organisation=organisation, day=day, hour=9, title="Pierwsze")
    _caught_up(replica)

    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    # Reads served by the replica: the availability asks it, not the primary.
    anonymous = Client()
    with CaptureQueriesContext(replica) as on_replica, \
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        assert len(_busy(anonymous, room, day)) == 1
    assert len(on_replica) > 0 and len(on_primary) == 0
    # Writes refused there.
    with pytest.raises(DatabaseError, match="read-only"):
        Booking.objects.using(replicas.REPLICA).filter(pk=first.pk).update(title="Zmienione")

    # The replica stops replaying: what is booked now reaches only the primary.
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    maker = Client(HTTP_AUTHORIZATION=f"Token {issue_token(member)}")
    response = maker.post("/api/v1/bookings/", {
        "resource": room.pk, "organisation": organisation.pk, "start": at(day, 12).isoformat(),
        "end": at(day, 13).isoformat(), "title": "Drugie"}, content_type="application/json")
    assert response.status_code == 201, response.content  # booked on the primary, the conflict check with it
    assert replicas.PIN_COOKIE in maker.cookies
    assert [title for _, title in _busy(maker, room, day)] == ["Pierwsze", "Drugie"]  # the maker, at once
    assert len(_busy(anonymous, room, day)) == 1  # others read the lagging replica

    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    _caught_up(replica)
    assert len(_busy(anonymous, room, day)) == 2
