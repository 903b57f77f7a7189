"""Ten people ask for the same consultation time at once, each on their own database connection: one consultant's
time is won once; with two consultants on duty two win and the rest are refused (SQLite and PostgreSQL)."""
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from booking.consultations import book_appointment
from booking.exceptions import BookingConflict
from booking.models import Appointment, BookingStatus, ConsultationService
from tests import factories
from tests.factories import at

WORKERS = 10

pytestmark = pytest.mark.django_db(transaction=True)


def race(service, organisation, user, start, *, consultant=None):
    barrier = threading.Barrier(WORKERS)
    outcomes = [None] * WORKERS
    connection_ids = [None] * WORKERS

    def worker(n):
        try:
            connection.ensure_connection()
            connection_ids[n] = id(connection.connection)
            barrier.wait(timeout=60)
            book_appointment(actor=user, service=service, organisation=organisation, start=start,
                             topic=f"Pytanie {n}", device="Laptop", consultant=consultant)
            outcomes[n] = "won"
        except BookingConflict:
            outcomes[n] = "conflict"
        except Exception as error:  # noqa: BLE001 - any other error is what the test reports
            outcomes[n] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert len(set(connection_ids)) == WORKERS, "workers shared a database connection"
    print(f"\n{connection.vendor}: {WORKERS} workers: {dict(Counter(outcomes))}")
    return Counter(outcomes)


@pytest.fixture
def it_help(centre):
    return factories.make_consultation_service(centre, ConsultationService.Kind.IT_HELP)


def test_one_wins_the_same_consultants_time(centre, it_help, organisation, member, open_day):
    consultant = factories.make_consultant(centre, [it_help])
    outcomes = race(it_help, organisation, member, at(open_day, 10), consultant=consultant)
    assert outcomes == Counter(won=1, conflict=WORKERS - 1)
    appointment = Appointment.objects.get()
    assert (appointment.consultant, appointment.booking.status) == (consultant, BookingStatus.CONFIRMED)


def test_two_consultants_on_duty_two_win_the_rest_are_refused(centre, it_help, organisation, member, open_day):
    first, second = factories.make_consultant(centre, [it_help]), factories.make_consultant(centre, [it_help])
    outcomes = race(it_help, organisation, member, at(open_day, 10))
    assert outcomes == Counter(won=2, conflict=WORKERS - 2)
    assert sorted(Appointment.objects.values_list("consultant", flat=True)) == [first.pk, second.pk]
    for appointment in Appointment.objects.select_related("booking"):
        assert appointment.booking.end - appointment.booking.start == timedelta(minutes=30)


@pytest.mark.postgres
def test_the_database_refuses_a_second_appointment_written_around_the_services(centre, it_help, organisation,
                                                                               member, open_day):
    """The agenda is a one-unit resource, so PostgreSQL's exclusion constraint covers its appointments too."""
    from tests.test_concurrency import assert_refused_by_the_database

    consultant = factories.make_consultant(centre, [it_help])
    book_appointment(actor=member, service=it_help, organisation=organisation, start=at(open_day, 10),
                     topic="Drukarka", device="Drukarka")
    assert_refused_by_the_database(consultant.resource, organisation, at(open_day, 10, 15), at(open_day, 10, 45))
