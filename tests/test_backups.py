"""Backups restore for real: demo data and bookings are backed up, restored into a fresh database (a scratch
PostgreSQL database, or a new SQLite file) and every table of the restored database is compared, row by row,
with the original; on PostgreSQL the no-overlap guarantee works again. Runs in both passes of `make test`."""
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import timezone

from booking import services
from booking.models import Booking, BookingEvent, BookingSeries, Resource
from ngo.models import Letter, Organisation
from notifications.models import OutboxMessage
from ops import backups
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db(transaction=True)

RESTORED = "restored"


def fill_with_data(django_capture_on_commit_callbacks):
    """The demo data, plus bookings (one approved), a weekly series, a letter and the outbox's e-mails."""
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=None)
    room = Resource.objects.get(name="Sala spotkań", centre__short_name="CAS")
    desk = Resource.objects.get(name="Biurko 1", centre__short_name="CAS")
    seniors = Organisation.objects.get(name="Stowarzyszenie Aktywni Seniorzy")
    member, staff = seniors.members.get(username="member"), room.centre.staff.get(username="staff")
    day = factories.next_open_weekday(1, weeks_ahead=2, centre=room.centre)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = factories.make_booking(actor=member, resource=room, organisation=seniors, day=day, hour=10)
        services.approve_booking(booking=meeting, actor=staff)
        factories.make_booking(actor=member, resource=desk, organisation=seniors, day=day, hour=9, hours=4)
        factories.make_series(actor=member, resource=room, organisation=seniors, day=day + timedelta(days=1),
                              hour=12, rrule="FREQ=WEEKLY;COUNT=4",
                              mode=BookingSeries.Mode.SKIP_CONFLICTS)
        Letter.objects.create(organisation=seniors, sender="Urząd Miasta Chorzów", description="Decyzja",
                              received_at=timezone.now(), logged_by=staff)
    for model in (Booking, BookingSeries, BookingEvent, OutboxMessage, Letter, Organisation):
        assert model.objects.exists(), f"no {model.__name__} to compare"
    return room, seniors, day


def table_contents(alias):
    """Every table of the database and its rows, in an order independent of storage."""
    db = connections[alias]
    with db.cursor() as cursor:
        tables = db.introspection.table_names(cursor)
        contents = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {db.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            contents[table] = sorted((dict(zip(columns, row, strict=True)) for row in cursor.fetchall()), key=repr)
    return contents


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database of the suite's kind, reachable as the alias RESTORED; dropped afterwards."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        settings_dict["NAME"] = f"{connection.settings_dict['NAME'][:40]}_restore_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    else:
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    # A connection made here, not declared in settings: the test may use it (Django lets dynamic aliases be).
    connections[RESTORED] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, RESTORED)
    yield RESTORED
    connections[RESTORED].close()
    del connections[RESTORED]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


def test_a_backup_restores_into_a_fresh_database_identical(tmp_path, fresh_database,
                                                           django_capture_on_commit_callbacks):
    room, seniors, day = fill_with_data(django_capture_on_commit_callbacks)
    call_command("backup", dir=str(tmp_path / "backups"), stdout=None)
    [made] = backups.backups_in(tmp_path / "backups")
    assert Path(f"{made.path}.sha256").read_text().split() == [backups.sha256_of(made.path), made.path.name]

    call_command("restore", str(made.path), database=fresh_database, stdout=None)

    original, restored = table_contents("default"), table_contents(fresh_database)
    assert sorted(restored) == sorted(original)
    for table, rows in original.items():
        assert restored[table] == rows, f"table {table} differs after the restore"
    for model in (Booking, BookingSeries, BookingEvent, OutboxMessage, Letter, Organisation):
        assert original[model._meta.db_table], model
    executor = MigrationExecutor(connections[fresh_database])
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []  # fully migrated, as it was

    if connection.vendor == "postgresql":
        # The exclusion constraint and its trigger are back and refuse an overlap, even one claiming not to be
        # exclusive.
        with connections[fresh_database].cursor() as cursor:
            cursor.execute("SELECT conname FROM pg_constraint WHERE conname = 'booking_no_overlap'")
            assert cursor.fetchall() == [("booking_no_overlap",)]
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
            assert [name for (name,) in cursor.fetchall()] == ["booking_resource_units_changed",
                                                               "booking_set_exclusive"]
        start, end = at(day, 10, 30), at(day, 11, 30)
        with pytest.raises(IntegrityError) as refused, transaction.atomic(using=fresh_database), \
                connections[fresh_database].cursor() as cursor:
            cursor.execute(
                'INSERT INTO booking_booking (resource_id, organisation_id, title, purpose, attendees, quantity, '
                'public, "start", "end", status, sequence, override_reason, decision_reason, cancellation_reason, '
                "created_at, updated_at, exclusive) VALUES (%s, %s, 'x', '', 1, 1, false, %s, %s, 'confirmed', 0, "
                "'', '', '', %s, %s, false)", [room.pk, seniors.pk, start, end, start, start])
        assert refused.value.__cause__.sqlstate == "23P01"


def test_a_restore_into_a_database_with_data_is_refused(tmp_path):
    factories.make_organisation("Klub Szachowy")
    made = backups.backup(directory=tmp_path)
    factories.make_organisation("Przybyła po kopii")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(made.path))
    assert Organisation.objects.filter(name="Przybyła po kopii").exists()  # nothing was touched

    call_command("restore", str(made.path), force=True, stdout=None)
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Klub Szachowy"]


def test_a_damaged_backup_or_one_without_its_checksum_is_refused(tmp_path, fresh_database):
    made = backups.backup(directory=tmp_path)
    with made.path.open("ab") as file:
        file.write(b"\0")
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(made.path), database=fresh_database)
    Path(f"{made.path}.sha256").unlink()
    with pytest.raises(CommandError, match="No checksum file"):
        call_command("restore", str(made.path), database=fresh_database)
    assert backups.is_empty(fresh_database)


def test_an_encrypted_backup_needs_its_key(tmp_path, fresh_database, settings):
    factories.make_organisation("Fundacja Szyfr")
    settings.BACKUP_ENCRYPTION_KEY = backups.new_key()
    made = backups.backup(directory=tmp_path)
    assert made.path.name.endswith(".enc")
    assert b"Fundacja Szyfr" not in made.path.read_bytes()

    settings.BACKUP_ENCRYPTION_KEY = backups.new_key()
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore", str(made.path), database=fresh_database)
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(CommandError, match="set BACKUP_ENCRYPTION_KEY"):
        call_command("restore", str(made.path), database=fresh_database)


def test_retention_keeps_seven_daily_four_weekly_twelve_monthly(tmp_path, settings):
    """A backup every night for two years: after pruning, the newest of the last 7 days, 4 weeks, 12 months."""
    settings.BACKUP_DIR = tmp_path
    last = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    for days_ago in range(730):
        name = f"booking-sqlite-{(last - timedelta(days=days_ago)):%Y%m%dT%H%M%SZ}.sqlite3"
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    (tmp_path / "notes.txt").write_text("not a backup")

    call_command("backup", "--no-prune", "--dry-run", stdout=None)  # writes nothing, deletes nothing
    assert len(list(tmp_path.iterdir())) == 1461
    backups.prune()

    kept = [item.taken_at.date().isoformat() for item in backups.backups_in(tmp_path)]
    assert kept[:7] == [(last - timedelta(days=n)).date().isoformat() for n in range(7)]  # daily
    # Weekly: the newest of each of the last 4 ISO weeks (Fri 4 Dec is in week 49; Sundays end the others).
    assert {"2026-11-29", "2026-11-22", "2026-11-15"} <= set(kept)
    # Monthly: the newest of each of the last 12 months (the last day of each, back to January 2026).
    assert {"2026-11-30", "2026-06-30", "2026-01-31"} <= set(kept)
    assert "2025-12-31" not in kept and len(kept) == len(set(kept))
    # 7 days (4 Dec back to 28 Nov, which hold the weeks of 4 Dec and 29 Nov, and the months of 4 Dec and 30 Nov),
    # 2 more weeks (22 and 15 Nov), 10 more months (31 Oct back to 31 Jan).
    assert len(kept) == 7 + 2 + 10
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("booking-")) == ["notes.txt"]
    assert all(Path(f"{item.path}.sha256").exists() for item in backups.backups_in(tmp_path))
    assert len([path for path in tmp_path.iterdir() if path.name.endswith(".sha256")]) == len(kept)


def test_beat_runs_the_backup_every_night(tmp_path, settings):
    from config.celery import app
    from ops.tasks import nightly_backup

    entry = app.conf.beat_schedule["nightly-backup"]
    assert entry["task"] == nightly_backup.name and entry["schedule"].hour == {2}
    settings.BACKUP_DIR = tmp_path
    nightly_backup.delay()
    [made] = backups.backups_in(tmp_path)
    backups.verify_checksum(made.path)
