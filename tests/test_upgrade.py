"""Upgrading loses nothing: from the last released state of the migrations, on a database full of data, the
migrations to main apply and leave every row as it was.

There is no release tag yet, so the released state is RELEASED, a node of each app's migration graph; move it
forward at each release (to the migrations the release shipped). The database is migrated back there, filled
through the historical models of that state (as the code of that release wrote it), migrated forward to the
latest migrations, and every table of the project's apps that existed then is compared row by row on the columns
that existed then. A migration that rightly changes existing values must say so here, by name.
"""
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_APPS = ("ngo", "booking", "notifications", "api")
# The migrations of the last release (update at each release).
RELEASED = [("ngo", "0001_initial"), ("booking", "0005_booking_exclusive_from_resource"),
            ("notifications", "0001_initial"), ("api", "0001_initial")]
ROWS_PER_RESOURCE = 150  # bookings per resource: enough rows for the data migrations to work on


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] in PROJECT_APPS]


def fill(apps):
    """A centre's data as the released code wrote it, through that state's models."""
    User = apps.get_model("ngo", "User")
    Organisation = apps.get_model("ngo", "Organisation")
    Membership = apps.get_model("ngo", "Membership")
    Centre = apps.get_model("booking", "Centre")
    Resource = apps.get_model("booking", "Resource")
    Series = apps.get_model("booking", "BookingSeries")
    Booking = apps.get_model("booking", "Booking")
    Event = apps.get_model("booking", "BookingEvent")
    Outbox = apps.get_model("notifications", "OutboxMessage")
    Token = apps.get_model("api", "ApiToken")

    staff = User.objects.create(username="anna", email="anna@example.org", is_staff=True, password="!")
    member = User.objects.create(username="jan", email="jan@example.org", password="!")
    organisations = [Organisation.objects.create(name=f"Stowarzyszenie {n}", email=f"org{n}@example.org",
                                                 contact_person="Jan Kowalski", krs=f"{n:010d}", status="verified")
                     for n in range(1, 4)]
    for organisation in organisations:
        Membership.objects.create(user=member, organisation=organisation, role="coordinator")
    centre = Centre.objects.create(name="Centrum Aktywizacji Społecznej", short_name="CAS", email="cas@example.org")
    centre.staff.add(staff)
    resources = [Resource.objects.create(centre=centre, name=name, kind=kind, units=units, capacity=10)
                 for name, kind, units in [("Sala", "room", 1), ("Biurko", "desk", 1), ("Szafki", "locker", 8)]]
    first = datetime(2026, 1, 5, 8, tzinfo=UTC)
    series = Series.objects.create(resource=resources[0], organisation=organisations[0], created_by=member,
                                   rrule="FREQ=WEEKLY;COUNT=10", title="Klub seniora", local_start=first,
                                   duration=timedelta(hours=1))
    bookings = []
    for r, resource in enumerate(resources):
        for n in range(ROWS_PER_RESOURCE):
            start = first + timedelta(days=n, hours=r)
            bookings.append(Booking(
                resource=resource, organisation=organisations[n % 3], created_by=member, title=f"Spotkanie {n}",
                start=start, end=start + timedelta(hours=1), status=["confirmed", "pending", "cancelled"][n % 3],
                series=series if r == 0 and n % 7 == 0 else None, attendees=n % 10 + 1, purpose="Warsztaty"))
    Booking.objects.bulk_create(bookings)
    for booking in Booking.objects.all():
        Event.objects.create(booking=booking, actor=member, from_status="", to_status=booking.status)
        Outbox.objects.create(recipient="jan@example.org", kind="booking_confirmed", language="pl",
                              subject="Rezerwacja potwierdzona", body_text="Treść", booking=booking)
    Token.objects.create(user=member, key_hash="0" * 64)


def snapshot(tables_and_columns):
    contents = {}
    with connection.cursor() as cursor:
        for table, columns in tables_and_columns.items():
            quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY 1")
            contents[table] = cursor.fetchall()
    return contents


def project_tables(apps):
    """{table: [columns]} of the project apps' models (with their many-to-many tables) in state `apps`."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in PROJECT_APPS and not model._meta.proxy:
            tables[model._meta.db_table] = sorted(field.column for field in model._meta.local_fields)
    return tables


def test_the_migrations_since_the_release_keep_every_row(django_db_blocker):
    try:
        released_apps = migrate(RELEASED)
        fill(released_apps)
        before_tables = project_tables(released_apps)
        before = snapshot(before_tables)

        migrate(latest())

        after_tables = project_tables(current_apps)
        assert set(before_tables) <= set(after_tables), "a table of the release is gone"
        common = {table: [c for c in columns if c in after_tables[table]] for table, columns in before_tables.items()}
        lost = {table: sorted(set(columns) - set(common[table])) for table, columns in before_tables.items()}
        assert not any(lost.values()), f"columns of the release are gone: {lost}"
        assert snapshot(common) == {table: rows for table, rows in before.items()}
        assert len(before["booking_booking"]) == 3 * ROWS_PER_RESOURCE
        # The data migrations did their part: every organisation is hosted (booking 0010).
        assert current_apps.get_model("booking", "Hosting").objects.values("organisation").distinct().count() == 3
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
