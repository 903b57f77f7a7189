"""Many people press "book" at the same moment: exactly the allowed number win, on SQLite and on PostgreSQL.

Each worker is a thread with its own database connection, opened before a barrier releases them all
together. Losers must get the booking conflict, never a database error ("database is locked",
a deadlock, an IntegrityError).
"""
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from booking import services
from booking.availability import public_holiday
from booking.exceptions import BookingConflict
from booking.models import Booking, BookingEvent, BookingStatus, Resource
from tests import factories
from tests.factories import at

WORKERS = 20

pytestmark = pytest.mark.django_db(transaction=True)


def race(resource, organisation, user, start, end, *, quantity=1, workers=WORKERS):
    """`workers` threads try to book the same thing at once; returns their outcomes and the seconds it took."""
    barrier = threading.Barrier(workers)
    outcomes = [None] * workers
    connection_ids = [None] * workers

    def worker(n):
        try:
            connection.ensure_connection()
            connection_ids[n] = id(connection.connection)
            barrier.wait(timeout=60)
            services.book(actor=user, resource=resource, organisation=organisation, start=start, end=end,
                          title=f"Zgłoszenie {n}", quantity=quantity)
            outcomes[n] = "won"
        except BookingConflict:
            outcomes[n] = "conflict"
        except Exception as error:  # noqa: BLE001 - any other error is what the test reports
            outcomes[n] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert len(set(connection_ids)) == workers, "workers shared a database connection"
    print(f"\n{connection.vendor}: {workers} workers, units={resource.units}, quantity={quantity}: "
          f"{dict(Counter(outcomes))} in {elapsed:.2f} s")
    return Counter(outcomes), elapsed


@pytest.fixture
def stay_day(centre):
    """A Tuesday whose Wednesday is open too, for a one-night stay."""
    day = factories.next_open_weekday(1, centre=centre)
    while public_holiday(centre, day + timedelta(days=1)):
        day += timedelta(weeks=1)
    return day


def test_one_wins_a_single_unit_room(room, organisation, member, open_day):
    outcomes, _elapsed = race(room, organisation, member, at(open_day, 10), at(open_day, 11))
    assert outcomes == Counter(won=1, conflict=WORKERS - 1)
    booking = Booking.objects.get(resource=room)
    assert (booking.status, booking.start, booking.end) == (BookingStatus.PENDING, at(open_day, 10), at(open_day, 11))
    assert BookingEvent.objects.filter(booking=booking).count() == 1
    assert BookingEvent.objects.count() == 1


def test_one_wins_among_overlapping_requests(room, organisation, member, open_day):
    """Different but overlapping times: still one winner, whichever it is."""
    outcomes, _elapsed = race(room, organisation, member, at(open_day, 9), at(open_day, 12))
    assert outcomes["won"] == 1


def test_units_win_a_multi_unit_room(centre, organisation, member, stay_day):
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, units=4, capacity=4)
    outcomes, _elapsed = race(beds, organisation, member, at(stay_day, 15), at(stay_day + timedelta(days=1), 10))
    assert outcomes == Counter(won=4, conflict=WORKERS - 4)
    assert sum(Booking.objects.filter(resource=beds).values_list("quantity", flat=True)) == 4


def test_several_units_per_request(centre, organisation, member, open_day):
    desks = factories.make_resource(centre, Resource.Kind.DESK, units=5, requires_approval=False)
    outcomes, _elapsed = race(desks, organisation, member, at(open_day, 8), at(open_day, 16), quantity=2)
    assert outcomes == Counter(won=2, conflict=WORKERS - 2)
    assert Booking.objects.filter(resource=desks, status=BookingStatus.CONFIRMED).count() == 2


# --- the database's own guarantee on PostgreSQL ---------------------------------------------

def raw_insert(resource, organisation, start, end, *, status="confirmed", exclusive=None):
    """Insert a booking by SQL, past the services, as a script or a careless migration might."""
    columns = ["resource_id", "organisation_id", "title", "purpose", "attendees", "quantity", "public", '"start"',
               '"end"', "status", "sequence", "override_reason", "decision_reason", "cancellation_reason",
               "created_at", "updated_at"]
    values = [resource.pk, organisation.pk, "Wpis z pominięciem systemu", "", 1, 1, False, start, end, status, 0,
              "", "", "", start, start]
    if exclusive is not None:
        columns.append("exclusive")
        values.append(exclusive)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO booking_booking ({', '.join(columns)}) "
                       f"VALUES ({', '.join(['%s'] * len(values))})", values)


def assert_refused_by_the_database(*args, **kwargs):
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        raw_insert(*args, **kwargs)
    assert info.value.__cause__.sqlstate == "23P01"  # exclusion_violation


@pytest.mark.postgres
def test_the_database_refuses_a_raw_overlapping_insert(room, organisation, member, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                           title="Zebranie")
    assert_refused_by_the_database(room, organisation, at(open_day, 10, 30), at(open_day, 11, 30))
    # Claiming the row is not exclusive does not help: the database derives that from the resource.
    assert_refused_by_the_database(room, organisation, at(open_day, 9), at(open_day, 12), exclusive=False)
    assert_refused_by_the_database(room, organisation, at(open_day, 10), at(open_day, 11), status="pending")
    assert Booking.objects.filter(resource=room).count() == 1
    # Adjacent intervals, and inactive bookings, are accepted.
    raw_insert(room, organisation, at(open_day, 11), at(open_day, 12))
    raw_insert(room, organisation, at(open_day, 9), at(open_day, 10))
    raw_insert(room, organisation, at(open_day, 10), at(open_day, 11), status="cancelled")
    assert Booking.objects.filter(resource=room).count() == 4


@pytest.mark.postgres
def test_the_database_follows_a_change_of_units(centre, organisation, member, open_day):
    desks = factories.make_resource(centre, Resource.Kind.DESK, units=2)
    raw_insert(desks, organisation, at(open_day, 10), at(open_day, 11))
    raw_insert(desks, organisation, at(open_day, 10), at(open_day, 11))  # two desks, two people

    def set_units(units):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE booking_resource SET units = %s WHERE id = %s", [units, desks.pk])

    # One desk cannot hold two overlapping bookings: the database refuses the change.
    with pytest.raises(IntegrityError), transaction.atomic():
        set_units(1)
    Booking.objects.filter(resource=desks).update(status=BookingStatus.CANCELLED)
    raw_insert(desks, organisation, at(open_day, 10), at(open_day, 11))
    set_units(1)
    assert_refused_by_the_database(desks, organisation, at(open_day, 10, 30), at(open_day, 11, 30))
