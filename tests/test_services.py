"""Booking modes, daylight saving, conflicts, buffers, multi-unit resources and the state machine.

NOW is Monday 5 January 2026, 08:00 in Warsaw, passed to the services so the calendar is fixed.
"""
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from booking import services
from booking.exceptions import BookingConflict, RuleViolation
from booking.models import Booking, BookingEvent, BookingStatus, Closure, OpeningHours, Resource
from booking.signals import booking_changed
from ngo.models import Membership
from tests import factories
from tests.factories import WARSAW, at

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)
TUESDAY = date(2026, 1, 13)
WEDNESDAY = date(2026, 1, 14)
THURSDAY = date(2026, 1, 15)
FRIDAY = date(2026, 1, 16)
SATURDAY = date(2026, 1, 17)
MONDAY = date(2026, 1, 19)
SPRING_FORWARD = date(2026, 3, 29)  # last Sunday of March: 02:00 -> 03:00, a 23-hour day
FALL_BACK = date(2026, 10, 25)  # last Sunday of October: 03:00 -> 02:00, a 25-hour day

pytestmark = pytest.mark.django_db


def tables():
    return (
        list(Booking.objects.order_by("pk").values_list("pk", "status", "sequence")),
        list(BookingEvent.objects.order_by("pk").values_list("pk", "booking_id", "to_status")),
    )


@pytest.fixture
def locker(centre):
    return factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafki (rząd A)", units=8,
                                   requires_approval=False)


@pytest.fixture
def beds(centre):
    return factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój 4-osobowy", units=4, capacity=4)


# --- booking modes --------------------------------------------------------------------------

def test_slots_mode_books_a_room_within_the_day(room, organisation, member):
    assert room.booking_mode == Resource.BookingMode.SLOTS
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 9),
                                     end=at(TUESDAY, 12, 30), attendees=10, purpose="Walne zebranie członków", now=NOW)
    booking.refresh_from_db()
    assert (booking.start, booking.end, booking.attendees) == (at(TUESDAY, 9), at(TUESDAY, 12, 30), 10)


def test_days_mode_ignores_weekends_holidays_and_closures(centre, locker, organisation, member):
    """A locker keeps its contents while the centre is closed: closed days inside the booking do not matter."""
    Closure.objects.create(centre=centre, start=at(WEDNESDAY, 0), end=at(FRIDAY, 0), reason="Remont")
    Closure.objects.create(centre=centre, resource=locker, start=at(MONDAY, 0), end=at(MONDAY, 12),
                           reason="Przegląd szafek")
    booking = factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(TUESDAY, 0),
                                     end=at(MONDAY + timedelta(days=1), 0), now=NOW)
    assert booking.status == BookingStatus.CONFIRMED
    # Starting on a Saturday or on a public holiday is fine too.
    assert factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(SATURDAY, 0),
                                  end=at(MONDAY, 0), now=NOW).pk
    assert factories.make_booking(actor=member, resource=locker, organisation=organisation,
                                  start=at(date(2026, 11, 11), 0), end=at(date(2026, 11, 12), 0), now=NOW).pk


def test_nights_mode_needs_open_check_in_and_check_out_days(centre, beds, organisation, member):
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                  end=at(THURSDAY, 10), now=NOW).pk
    # Friday is an open day (07:00-14:00); Saturday is not.
    error = pytest.raises(RuleViolation, factories.make_booking, actor=member, resource=beds, organisation=organisation,
                          start=at(FRIDAY, 15), end=at(SATURDAY, 10), now=NOW).value
    assert (error.code, error.field) == ("closed", "end")
    # A weekend in the middle of a stay is fine.
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(FRIDAY, 15),
                                  end=at(MONDAY, 10), now=NOW).pk
    # Check-in on a public holiday is not.
    error = pytest.raises(RuleViolation, factories.make_booking, actor=member, resource=beds, organisation=organisation,
                          start=at(date(2026, 11, 11), 15), end=at(date(2026, 11, 12), 10), now=NOW).value
    assert (error.code, error.field) == ("closed", "start")
    # Nor on a day the centre is closed for the whole of its hours.
    Closure.objects.create(centre=centre, start=at(date(2026, 1, 27), 0), end=at(date(2026, 1, 28), 0),
                           reason="Dezynsekcja")
    error = pytest.raises(RuleViolation, factories.make_booking, actor=member, resource=beds, organisation=organisation,
                          start=at(date(2026, 1, 26), 15), end=at(date(2026, 1, 27), 10), now=NOW).value
    assert (error.code, error.field) == ("closed", "end")
    assert "(Dezynsekcja)" in error.message


def test_check_in_and_check_out_follow_the_centre(centre, beds, organisation, member):
    centre.check_in_time, centre.check_out_time = time(14), time(11)
    centre.save()
    with pytest.raises(RuleViolation) as info:
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                               end=at(THURSDAY, 10), now=NOW)
    assert info.value.code == "misaligned"
    assert "14:00" in info.value.message
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 14),
                                  end=at(THURSDAY, 11), now=NOW).pk


# --- daylight saving ------------------------------------------------------------------------

@pytest.mark.parametrize("day, hours", [(SPRING_FORWARD, 23), (FALL_BACK, 25)])
def test_a_daylight_saving_day_is_still_one_day(locker, organisation, member, day, hours):
    locker.min_duration = locker.max_duration = timedelta(days=1)
    locker.save()
    booking = factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(day, 0),
                                     end=at(day + timedelta(days=1), 0), now=NOW)
    assert booking.end - booking.start == timedelta(hours=hours)
    # The week around it is still seven days long.
    locker.max_duration = timedelta(days=7)
    locker.save()
    week = factories.make_booking(actor=member, resource=locker, organisation=organisation,
                                  start=at(day - timedelta(days=3), 0), end=at(day + timedelta(days=4), 0), now=NOW)
    assert week.end - week.start == timedelta(days=7, hours=hours - 24)


def test_a_stay_across_daylight_saving_keeps_local_check_in_and_check_out(beds, organisation, member):
    booking = factories.make_booking(actor=member, resource=beds, organisation=organisation,
                                     start=at(date(2026, 10, 23), 15), end=at(date(2026, 10, 26), 10), now=NOW)
    assert booking.start.astimezone(WARSAW).time() == time(15)
    assert booking.end.astimezone(WARSAW).time() == time(10)
    assert booking.end - booking.start == timedelta(days=2, hours=20)


def test_slot_times_stay_local_across_daylight_saving(centre, room, organisation, member):
    OpeningHours.objects.create(centre=centre, weekday=6, opens=time(7), closes=time(18))
    before = factories.make_booking(actor=member, resource=room, organisation=organisation, day=date(2026, 3, 22),
                                    hour=10, now=NOW)
    on_the_day = factories.make_booking(actor=member, resource=room, organisation=organisation, day=SPRING_FORWARD,
                                        hour=10, now=NOW)
    after = factories.make_booking(actor=member, resource=room, organisation=organisation, day=date(2026, 3, 30),
                                   hour=10, now=NOW)
    assert before.start.astimezone(WARSAW).hour == on_the_day.start.astimezone(WARSAW).hour == 10
    assert (before.start.astimezone(WARSAW).utcoffset(), on_the_day.start.astimezone(WARSAW).utcoffset()) == \
           (timedelta(hours=1), timedelta(hours=2))
    assert (before.start.hour, on_the_day.start.hour) == (9, 8)  # in UTC
    assert after.start.astimezone(WARSAW).time() == time(10)
    # The whole opening day, 07:00-18:00 local, is 11 hours even on the 23-hour day.
    kitchen = factories.make_resource(centre, name="Kuchnia warsztatowa", max_duration=timedelta(hours=11))
    full = factories.make_booking(actor=member, resource=kitchen, organisation=organisation, day=SPRING_FORWARD, hour=7,
                                  hours=11, title="Cały dzień", now=NOW)
    assert full.end - full.start == timedelta(hours=11)


# --- conflicts ------------------------------------------------------------------------------

def test_back_to_back_bookings_do_not_conflict(room, organisation, member):
    first = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                   now=NOW)
    second = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=11,
                                    now=NOW)
    third = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=9, now=NOW)
    assert {b.status for b in (first, second, third)} == {BookingStatus.PENDING}


def test_conflict_carries_the_bookings_in_the_way(room, organisation, member):
    morning = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     title="Zebranie", now=NOW)
    noon = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=12,
                                  title="Próba chóru", now=NOW)
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=15, now=NOW)
    before = tables()
    with pytest.raises(BookingConflict) as info:
        factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 10, 30),
                               end=at(TUESDAY, 12, 30), now=NOW)
    assert info.value.code == "conflict"
    assert info.value.conflicts == [morning, noon]
    assert [c.title for c in info.value.conflicts] == ["Zebranie", "Próba chóru"]
    assert tables() == before


def test_a_pending_request_already_holds_the_slot(room, organisation, member):
    pending = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    assert pending.status == BookingStatus.PENDING
    with pytest.raises(BookingConflict):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)


@pytest.mark.parametrize("end_the_first", ["cancel", "reject"])
def test_cancelled_and_rejected_bookings_free_the_slot(room, organisation, member, staff_user, end_the_first):
    first = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                   now=NOW)
    if end_the_first == "cancel":
        services.cancel_booking(booking=first, actor=member, now=NOW)
    else:
        services.reject_booking(booking=first, actor=staff_user, reason="Sala zajęta przez OPS")
    assert factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                  now=NOW).status == BookingStatus.PENDING


def test_bookings_of_another_resource_do_not_conflict(centre, room, organisation, member):
    other = factories.make_resource(centre, name="Kuchnia warsztatowa")
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    assert factories.make_booking(actor=member, resource=other, organisation=organisation, day=TUESDAY, hour=10,
                                  now=NOW).pk


def test_buffer_between_bookings(room, organisation, member):
    room.buffer = timedelta(minutes=30)
    room.save()
    taken = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                   now=NOW)
    for start, end in [(at(TUESDAY, 11), at(TUESDAY, 12)), (at(TUESDAY, 9), at(TUESDAY, 10))]:
        with pytest.raises(BookingConflict) as info:
            factories.make_booking(actor=member, resource=room, organisation=organisation, start=start, end=end,
                                   now=NOW)
        assert info.value.conflicts == [taken]
    assert factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 11, 30),
                                  end=at(TUESDAY, 12, 30), now=NOW).pk
    assert factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 8, 30),
                                  end=at(TUESDAY, 9, 30), now=NOW).pk


def test_three_of_four_beds_taken(beds, organisation, member):
    taken = [factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                    end=at(THURSDAY, 10), now=NOW) for _ in range(3)]
    before = tables()
    with pytest.raises(BookingConflict) as info:
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(WEDNESDAY, 15),
                               end=at(THURSDAY, 10), quantity=2, now=NOW)
    assert sorted(b.pk for b in info.value.conflicts) == sorted(b.pk for b in taken)
    assert tables() == before
    last_bed = factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(WEDNESDAY, 15),
                                      end=at(THURSDAY, 10), quantity=1, now=NOW)
    assert last_bed.quantity == 1
    with pytest.raises(BookingConflict):
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(WEDNESDAY, 15),
                               end=at(THURSDAY, 10), now=NOW)
    # The first night still has a bed.
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                  end=at(WEDNESDAY, 10), now=NOW).pk


def test_beds_count_at_the_busiest_instant_not_in_total(beds, organisation, member):
    """Two beds Tuesday-Wednesday and two Wednesday-Friday never overlap: four more fit nowhere, two do."""
    factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                           end=at(WEDNESDAY, 10), quantity=2, now=NOW)
    factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(WEDNESDAY, 15),
                           end=at(FRIDAY, 10), quantity=2, now=NOW)
    with pytest.raises(BookingConflict):
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                               end=at(FRIDAY, 10), quantity=3, now=NOW)
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                  end=at(FRIDAY, 10), quantity=2, now=NOW).pk


# --- state machine and audit ----------------------------------------------------------------

def events(booking):
    return [(e.actor, e.from_status, e.to_status, e.reason) for e in booking.events.order_by("pk")]


def test_pending_confirmed_cancelled(room, organisation, member, staff_user):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    assert (booking.status, booking.sequence) == (BookingStatus.PENDING, 0)
    booking = services.approve_booking(booking=booking, actor=staff_user, reason="Zapraszamy")
    assert (booking.status, booking.sequence, booking.decision_reason) == (BookingStatus.CONFIRMED, 1, "Zapraszamy")
    booking = services.cancel_booking(booking=booking, actor=member, reason="Choroba prowadzącego", now=NOW)
    booking.refresh_from_db()
    assert (booking.status, booking.sequence) == (BookingStatus.CANCELLED, 2)
    assert booking.cancellation_reason == "Choroba prowadzącego"
    assert events(booking) == [
        (member, "", BookingStatus.PENDING, ""),
        (staff_user, BookingStatus.PENDING, BookingStatus.CONFIRMED, "Zapraszamy"),
        (member, BookingStatus.CONFIRMED, BookingStatus.CANCELLED, "Choroba prowadzącego"),
    ]


def test_pending_rejected_needs_a_reason(room, organisation, member, staff_user):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    before = tables()
    for reason in ("", "   "):
        with pytest.raises(RuleViolation) as info:
            services.reject_booking(booking=booking, actor=staff_user, reason=reason)
        assert (info.value.code, info.value.field) == ("reason_required", "reason")
    assert tables() == before
    booking = services.reject_booking(booking=booking, actor=staff_user, reason="Remont sali")
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, booking.decision_reason) == (BookingStatus.REJECTED, 1, "Remont sali")
    assert events(booking)[-1] == (staff_user, BookingStatus.PENDING, BookingStatus.REJECTED, "Remont sali")


def test_pending_cancelled_by_the_member(room, organisation, member):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    booking = services.cancel_booking(booking=booking, actor=member, now=NOW)
    assert (booking.status, booking.sequence) == (BookingStatus.CANCELLED, 1)
    assert events(booking)[-1] == (member, BookingStatus.PENDING, BookingStatus.CANCELLED, "")


def test_resource_without_approval_creates_confirmed_bookings(centre, organisation, member):
    desk = factories.make_resource(centre, Resource.Kind.DESK, requires_approval=False)
    booking = factories.make_booking(actor=member, resource=desk, organisation=organisation, day=TUESDAY, hour=8,
                                     hours=8, now=NOW)
    assert booking.status == BookingStatus.CONFIRMED
    assert events(booking) == [(member, "", BookingStatus.CONFIRMED, "")]


@pytest.fixture
def staff_and_booking(room, organisation, member, staff_user):
    return staff_user, factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY,
                                              hour=10, now=NOW)


def _refused_transition(call, code=None):
    before = tables()
    if code:
        with pytest.raises(RuleViolation) as info:
            call()
        assert info.value.code == code
    else:
        with pytest.raises(PermissionDenied):
            call()
    assert tables() == before


def test_invalid_transitions_are_refused(staff_and_booking, member):
    staff, booking = staff_and_booking
    services.approve_booking(booking=booking, actor=staff)
    _refused_transition(lambda: services.approve_booking(booking=booking, actor=staff), "invalid_transition")
    _refused_transition(lambda: services.reject_booking(booking=booking, actor=staff, reason="Nie"),
                        "invalid_transition")
    services.cancel_booking(booking=booking, actor=member, now=NOW)
    for call in (lambda: services.approve_booking(booking=booking, actor=staff),
                 lambda: services.cancel_booking(booking=booking, actor=member, now=NOW),
                 lambda: services.cancel_booking(booking=booking, actor=staff, reason="Jeszcze raz")):
        _refused_transition(call, "invalid_transition")


def test_rejected_is_final(staff_and_booking, member):
    staff, booking = staff_and_booking
    services.reject_booking(booking=booking, actor=staff, reason="Brak miejsc")
    _refused_transition(lambda: services.approve_booking(booking=booking, actor=staff), "invalid_transition")
    _refused_transition(lambda: services.cancel_booking(booking=booking, actor=member, now=NOW), "invalid_transition")


def test_the_message_names_the_current_state(staff_and_booking):
    staff, booking = staff_and_booking
    services.reject_booking(booking=booking, actor=staff, reason="Brak miejsc")
    with pytest.raises(RuleViolation) as info:
        services.approve_booking(booking=booking, actor=staff)
    assert str(BookingStatus.REJECTED.label).lower() in info.value.message


def test_members_cancel_only_their_organisations_bookings(staff_and_booking):
    _staff, booking = staff_and_booking
    stranger = factories.make_user("obcy")
    factories.make_organisation(members=[stranger])
    _refused_transition(lambda: services.cancel_booking(booking=booking, actor=stranger, now=NOW))


def test_members_cancel_only_future_bookings(staff_and_booking, member):
    staff, booking = staff_and_booking
    started = at(TUESDAY, 10, 30)
    _refused_transition(lambda: services.cancel_booking(booking=booking, actor=member, now=started), "already_started")
    # Staff may still cancel it, saying why.
    _refused_transition(lambda: services.cancel_booking(booking=booking, actor=staff, now=started), "reason_required")
    booking = services.cancel_booking(booking=booking, actor=staff, reason="Awaria ogrzewania", now=started)
    assert events(booking)[-1] == (staff, BookingStatus.PENDING, BookingStatus.CANCELLED, "Awaria ogrzewania")


def test_a_member_who_left_cannot_cancel(staff_and_booking, member, organisation):
    _staff, booking = staff_and_booking
    Membership.objects.filter(user=member, organisation=organisation).delete()
    _refused_transition(lambda: services.cancel_booking(booking=booking, actor=member, now=NOW))


def test_only_staff_of_the_resources_centre_approve_or_reject(staff_and_booking, member):
    _staff, booking = staff_and_booking
    elsewhere = factories.make_user("ewa")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[elsewhere])
    for user in (elsewhere, member):
        _refused_transition(lambda user=user: services.approve_booking(booking=booking, actor=user))
        _refused_transition(lambda user=user: services.reject_booking(booking=booking, actor=user, reason="Nie"))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_a_superuser_may_approve_anywhere(staff_and_booking):
    _staff, booking = staff_and_booking
    admin = factories.make_user("admin", is_superuser=True, is_staff=True)
    assert services.approve_booking(booking=booking, actor=admin).status == BookingStatus.CONFIRMED


def test_each_transition_announces_itself(staff_and_booking, member):
    staff, booking = staff_and_booking
    heard = []

    def listener(sender, booking, from_status, actor, reason, **kwargs):
        heard.append((booking.status, from_status, actor, reason))

    booking_changed.connect(listener)
    try:
        services.approve_booking(booking=booking, actor=staff, reason="OK")
        services.cancel_booking(booking=booking, actor=member, now=NOW)
    finally:
        booking_changed.disconnect(listener)
    assert heard == [
        (BookingStatus.CONFIRMED, BookingStatus.PENDING, staff, "OK"),
        (BookingStatus.CANCELLED, BookingStatus.CONFIRMED, member, ""),
    ]


# --- refused calls write nothing, even when the transaction is real -------------------------

@pytest.mark.django_db(transaction=True)
def test_refusals_leave_the_tables_as_they_were(room, organisation, member, staff_user, centre):
    """Run outside a test transaction, so that the service's own transaction is the one rolled back."""
    existing = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                      now=NOW)
    unverified = factories.make_organisation(members=[member], status="unverified")
    Closure.objects.create(centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0), reason="Inwentaryzacja")
    attempts = [
        (BookingConflict, dict(start=at(TUESDAY, 10), end=at(TUESDAY, 11))),
        (RuleViolation, dict(start=at(SATURDAY, 10), end=at(SATURDAY, 11))),
        (RuleViolation, dict(start=at(WEDNESDAY, 10), end=at(WEDNESDAY, 11))),
        (RuleViolation, dict(start=at(TUESDAY, 12), end=at(TUESDAY, 13), attendees=40)),
        (RuleViolation, dict(start=at(TUESDAY, 12), end=at(TUESDAY, 13), organisation=unverified)),
        (RuleViolation, dict(start=at(TUESDAY, 13), end=at(TUESDAY, 12))),
        (PermissionDenied, dict(start=at(SATURDAY, 10), end=at(SATURDAY, 11), override_reason="Proszę")),
    ]
    before = tables()
    for error, fields in attempts:
        fields.setdefault("organisation", organisation)
        with pytest.raises(error):
            factories.make_booking(actor=member, resource=room, now=NOW, **fields)
    with pytest.raises(RuleViolation):
        services.reject_booking(booking=existing, actor=staff_user, reason="")
    with pytest.raises(PermissionDenied):
        services.approve_booking(booking=existing, actor=member)
    assert tables() == before


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_undoes_the_whole_change(room, organisation, member, staff_user):
    """If a listener (the e-mail outbox) fails, neither the booking nor its audit event is left behind."""
    existing = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                      now=NOW)
    before = tables()

    def broken_outbox(**kwargs):
        raise RuntimeError("outbox unavailable")

    booking_changed.connect(broken_outbox)
    try:
        with pytest.raises(RuntimeError):
            factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=12,
                                   now=NOW)
        with pytest.raises(RuntimeError):
            services.approve_booking(booking=existing, actor=staff_user)
    finally:
        booking_changed.disconnect(broken_outbox)
    assert tables() == before
    existing.refresh_from_db()
    assert (existing.status, existing.sequence) == (BookingStatus.PENDING, 0)


# --- details --------------------------------------------------------------------------------

def test_update_booking_details_is_for_members_and_staff_and_keeps_the_rules(room, organisation, member, staff_user):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    stranger = factories.make_organisation("Fundacja Obok", members=[factories.make_user("obcy")]).members.first()
    before = tables()
    with pytest.raises(PermissionDenied):
        services.update_booking_details(booking=booking, actor=stranger, title="Cudze")
    for changes, code in (({"title": "  "}, "title_required"), ({"title": "x" * 201}, "title_too_long"),
                          ({"attendees": 13}, "over_capacity")):
        with pytest.raises(RuleViolation) as caught:
            services.update_booking_details(booking=booking, actor=member, **changes)
        assert caught.value.code == code
    assert tables() == before
    changed = services.update_booking_details(booking=booking, actor=member, purpose="Walne zebranie", attendees=12)
    assert (changed.purpose, changed.attendees, changed.sequence, changed.status) == (
        "Walne zebranie", 12, 1, BookingStatus.PENDING)
    assert changed.events.last().actor == member
