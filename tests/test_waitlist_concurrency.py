"""An offer held for the waitlist and a direct booking racing for the same time: never both, on SQLite and on
PostgreSQL. Each side is a thread with its own database connection, released together by a barrier."""
import threading
from collections import Counter

import pytest
from django.db import connection

from booking import services
from booking.exceptions import BookingConflict
from booking.models import HOLDING_STATUSES, Booking, WaitlistEntry
from booking.waitlist import accept_offer, offer_freed_time
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4


def together(*actions):
    """Run `actions` at once, each in its own thread and connection; their outcomes: "won", "conflict" or the
    error."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(n):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            actions[n]()
            outcomes[n] = "won"
        except BookingConflict:
            outcomes[n] = "conflict"
        except Exception as error:  # noqa: BLE001 - any other error is what the test reports
            outcomes[n] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


@pytest.fixture
def others(centre):
    ola, ewa = factories.make_user("ola"), factories.make_user("ewa")
    return (factories.make_organisation("Fundacja Pomocna Dłoń", members=[ola], centres=[centre]),
            factories.make_organisation("Klub Rodziców", members=[ewa], centres=[centre]))


def holding(room, start, end):
    return Booking.objects.filter(resource=room, status__in=HOLDING_STATUSES, start__lt=end, end__gt=start)


def test_accepting_an_offer_and_booking_directly_never_both_win(room, organisation, member, others, open_day):
    holder, rival = others
    results = Counter()
    for hour in range(8, 8 + 2 * ROUNDS, 2):
        start, end = at(open_day, hour), at(open_day, hour + 2)
        taken = factories.make_booking(resource=room, organisation=holder, start=start, end=end)
        entry = factories.make_waitlist_entry(resource=room, organisation=organisation, start=start, end=end)
        services.cancel_booking(booking=taken, actor=holder.members.first())  # commits: the offer follows
        entry.refresh_from_db()
        assert entry.is_offered
        accepted, direct = together(
            lambda entry=entry: accept_offer(actor=member, entry=entry),
            lambda start=start, end=end: factories.make_booking(resource=room, organisation=rival, start=start,
                                                                end=end, title="Na skróty"))
        results[(accepted, direct)] += 1
        assert (accepted, direct) == ("won", "conflict")
        [booking] = holding(room, start, end)
        assert (booking.organisation, booking.status) == (organisation, "pending")
    print(f"\n{connection.vendor}: {dict(results)}")
    assert not WaitlistEntry.objects.exists()


def test_freeing_and_booking_directly_never_double_book(room, organisation, member, others, open_day):
    """Ola cancels while Ewa books the same time: either Ewa books it (and the waitlist waits on) or the waitlist
    gets the offer (and Ewa's booking is refused); the time is never held twice."""
    holder, rival = others
    results = Counter()
    for hour in range(8, 8 + 2 * ROUNDS, 2):
        start, end = at(open_day, hour), at(open_day, hour + 2)
        taken = factories.make_booking(resource=room, organisation=holder, start=start, end=end)
        factories.make_waitlist_entry(resource=room, organisation=organisation, start=start, end=end)
        cancelled, direct = together(
            lambda taken=taken: services.cancel_booking(booking=taken, actor=holder.members.first()),
            lambda start=start, end=end: factories.make_booking(resource=room, organisation=rival, start=start,
                                                                end=end, title="Na skróty"))
        assert cancelled == "won" and direct in {"won", "conflict"}, (cancelled, direct)
        offer_freed_time(resource_id=room.pk)  # what the beat would do, if the commit's task found it taken
        results[direct] += 1
        assert holding(room, start, end).count() == 1
    print(f"\n{connection.vendor}: direct booking {dict(results)}")


def test_postgresql_refuses_a_raw_insert_over_a_held_offer(room, organisation, others, open_day):
    """The guarantee is the database's: the exclusion constraint counts `offered` like an active booking."""
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; on SQLite the writers' lock is the guarantee")
    from django.db import IntegrityError, transaction

    holder, rival = others
    start, end = at(open_day, 10), at(open_day, 12)
    taken = factories.make_booking(resource=room, organisation=holder, start=start, end=end)
    factories.make_waitlist_entry(resource=room, organisation=organisation, start=start, end=end)
    services.cancel_booking(booking=taken, actor=holder.members.first())
    assert holding(room, start, end).get().status == "offered"
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Booking.objects.create(resource=room, organisation=rival, title="Bez kolejki", start=start, end=end,
                               status="confirmed")
    assert refused.value.__cause__.sqlstate == "23P01"
