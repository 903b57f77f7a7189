"""Recurring bookings through the services: creation in both modes, dry runs, approval, cancellation, limits."""
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from ical.calendar_stream import IcsCalendarStream

from booking.exceptions import BookingConflict, RuleViolation
from booking.ical import feed_ics
from booking.models import Booking, BookingEvent, BookingSeries, BookingStatus, Closure
from booking.series import (
    Mode,
    approve_series,
    cancel_series,
    reject_series,
    update_series_details,
)
from booking.services import approve_booking
from booking.signals import SeriesAction, booking_changed, series_changed
from ngo.models import Organisation
from tests import factories
from tests.factories import WARSAW, at

# The tests run as if it were Monday 4 January 2027, 09:00 in Chorzów.
NOW = at(date(2027, 1, 4), 9)
TUESDAY = date(2027, 1, 12)


@pytest.fixture
def other_organisation(db):
    return factories.make_organisation("Fundacja Sąsiedzi", members=[factories.make_user("ewa")])


def stored():
    return Booking.objects.count(), BookingSeries.objects.count(), BookingEvent.objects.count()


def test_weekly_series_books_every_occurrence_as_a_pending_booking(member, room, organisation):
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                   rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=10", purpose="Spotkania przy kawie", attendees=10,
                                   now=NOW)
    series = BookingSeries.objects.get()
    assert result.series == series and result.skipped == [] and series.skipped == []
    assert (series.rrule, series.mode, series.title) == ("FREQ=WEEKLY;BYDAY=TU;COUNT=10", Mode.ALL_OR_NOTHING,
                                                         "Klub seniora")
    assert series.local_start == at(TUESDAY, 17) and series.duration == timedelta(hours=1)
    bookings = list(series.bookings.order_by("start"))
    assert [b.start.astimezone(WARSAW).date() for b in bookings] == [TUESDAY + timedelta(weeks=n) for n in range(10)]
    assert {(b.status, b.title, b.purpose, b.attendees, b.organisation_id, b.created_by_id) for b in bookings} == {
        (BookingStatus.PENDING, "Klub seniora", "Spotkania przy kawie", 10, organisation.pk, member.pk)}
    events = BookingEvent.objects.filter(booking__series=series)
    assert sorted(events.values_list("from_status", "to_status", "actor")) == [("", "pending", member.pk)] * 10


def test_occurrences_of_a_resource_without_approval_are_confirmed_and_announced(member, centre, organisation):
    kitchen = factories.make_resource(centre, name="Kuchnia", requires_approval=False)
    announced, per_booking = [], []

    def receiver(sender, series, action, bookings, from_statuses, **kwargs):
        announced.append((series.pk, action, [(b.pk, b.status) for b in bookings], from_statuses))

    def booking_receiver(sender, booking, **kwargs):
        per_booking.append(booking.pk)

    series_changed.connect(receiver)
    booking_changed.connect(booking_receiver)
    try:
        result = factories.make_series(actor=member, resource=kitchen, organisation=organisation, day=TUESDAY, hour=10,
                                       hours=2, rrule="FREQ=WEEKLY;COUNT=4", now=NOW)
    finally:
        series_changed.disconnect(receiver)
        booking_changed.disconnect(booking_receiver)
    assert {b.status for b in Booking.objects.all()} == {BookingStatus.CONFIRMED}
    # Once for the series, not once per meeting.
    assert announced == [(result.series.pk, SeriesAction.CREATED, [(b.pk, "confirmed") for b in result.bookings],
                          [""] * 4)]
    assert per_booking == []


def test_series_keeps_17_00_local_across_both_clock_changes(member, room, organisation):
    start = at(date(2027, 3, 16), 17)
    factories.make_series(actor=member, resource=room, organisation=organisation, start=start,
                          end=at(date(2027, 3, 16), 18), rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20271109", now=NOW)
    bookings = list(Booking.objects.order_by("start"))
    assert {(b.start.astimezone(WARSAW).hour, b.end.astimezone(WARSAW).hour) for b in bookings} == {(17, 18)}
    utc_hours = {b.start.astimezone(WARSAW).date(): b.start.astimezone(UTC).hour for b in bookings}
    assert (utc_hours[date(2027, 3, 23)], utc_hours[date(2027, 3, 30)]) == (16, 15)
    assert (utc_hours[date(2027, 10, 26)], utc_hours[date(2027, 11, 2)]) == (15, 16)


HOLIDAYS_2027 = {
    date(2027, 3, 29): "Poniedziałek Wielkanocny",
    date(2027, 5, 3): "Święto Narodowe Trzeciego Maja",
    date(2027, 5, 27): "Dzień Bożego Ciała",
    date(2027, 11, 1): "Uroczystość Wszystkich Świętych",
    date(2027, 11, 11): "Narodowe Święto Niepodległości",
}


def test_skip_mode_reports_easter_monday_and_11_november_as_holidays(member, room, organisation):
    rule = "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20271130"
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=date(2027, 3, 1),
                                   hour=16, hours=2, rrule=rule, mode=Mode.SKIP_CONFLICTS, now=NOW)
    skipped = {occurrence.start.date(): occurrence for occurrence in result.skipped}
    assert set(skipped) == set(HOLIDAYS_2027)
    for day, name in HOLIDAYS_2027.items():
        assert skipped[day].code == "closed"
        assert name in skipped[day].message
    booked_days = {b.start.astimezone(WARSAW).date() for b in Booking.objects.all()}
    assert len(booked_days) == len(result.bookings) == 40 + 39 - 5  # Mondays and Thursdays
    assert not booked_days & set(HOLIDAYS_2027)
    stored_skip = BookingSeries.objects.get().skipped
    assert [(item["start"][:10], item["code"]) for item in stored_skip] == [
        (day.isoformat(), "closed") for day in sorted(HOLIDAYS_2027)]


def test_all_or_nothing_refuses_a_series_over_holidays_and_writes_nothing(member, room, organisation):
    with pytest.raises(RuleViolation) as caught:
        factories.make_series(actor=member, resource=room, organisation=organisation, day=date(2027, 3, 1), hour=16,
                              hours=2, rrule="FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20271130", now=NOW)
    assert caught.value.code == "closed"
    assert "Poniedziałek Wielkanocny" in caught.value.message
    assert [occurrence.start.date() for occurrence in caught.value.occurrences] == sorted(HOLIDAYS_2027)
    assert stored() == (0, 0, 0)


def test_a_closure_of_the_centre_is_reported_as_closed(member, centre, room, organisation):
    Closure.objects.create(centre=centre, start=at(date(2027, 1, 26), 0), end=at(date(2027, 1, 27), 0),
                           reason="Malowanie sal")
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                   rrule="FREQ=WEEKLY;COUNT=4", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert [(o.start.date(), o.code) for o in result.skipped] == [(date(2027, 1, 26), "closed")]
    assert len(result.bookings) == 3


@pytest.mark.parametrize("mode", [Mode.ALL_OR_NOTHING, Mode.SKIP_CONFLICTS])
def test_conflict_in_the_middle(mode, member, room, organisation, other_organisation):
    taken = factories.make_booking(resource=room, organisation=other_organisation, start=at(date(2027, 1, 26), 16, 30),
                                   end=at(date(2027, 1, 26), 17, 30), now=NOW)
    rule = "FREQ=WEEKLY;BYDAY=TU;COUNT=5"
    if mode == Mode.ALL_OR_NOTHING:
        with pytest.raises(BookingConflict) as caught:
            factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                  rrule=rule, mode=mode, now=NOW)
        assert caught.value.conflicts == [taken]
        assert [(o.start.date(), o.code) for o in caught.value.occurrences] == [(date(2027, 1, 26), "conflict")]
        assert "26 stycznia 2027" in caught.value.message  # the date, in Polish (the default language)
        assert Booking.objects.get() == taken and not BookingSeries.objects.exists()
    else:
        result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                       rrule=rule, mode=mode, now=NOW)
        assert [(o.start.date(), o.code, o.conflicts) for o in result.skipped] == [
            (date(2027, 1, 26), "conflict", (taken,))]
        assert [b.start.astimezone(WARSAW).date() for b in result.series.bookings.order_by("start")] == [
            date(2027, 1, 12), date(2027, 1, 19), date(2027, 2, 2), date(2027, 2, 9)]


def test_occurrences_of_one_series_cannot_overlap_each_other(member, centre, organisation):
    locker = factories.make_resource(centre, kind="locker", name="Szafka 1", requires_approval=False)
    # A week-long locker booking repeated every day overlaps itself from the second day on.
    result = factories.make_series(actor=member, resource=locker, organisation=organisation, start=at(TUESDAY, 0),
                                   end=at(TUESDAY + timedelta(days=7), 0), rrule="FREQ=DAILY;COUNT=8",
                                   mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert [b.start.date() for b in result.bookings] == [TUESDAY, TUESDAY + timedelta(days=7)]
    assert {o.code for o in result.skipped} == {"conflict"}


def test_a_multi_unit_resource_takes_occurrences_while_units_are_free(member, centre, organisation,
                                                                      other_organisation):
    desks = factories.make_resource(centre, kind="desk", name="Biurka", units=2, requires_approval=False)
    for organisation_ in (other_organisation, other_organisation):
        factories.make_booking(resource=desks, organisation=organisation_, day=date(2027, 1, 19), hour=9, hours=3,
                               now=NOW)
    factories.make_booking(resource=desks, organisation=other_organisation, day=date(2027, 1, 26), hour=9, hours=3,
                           now=NOW)
    result = factories.make_series(actor=member, resource=desks, organisation=organisation, day=TUESDAY, hour=10,
                                   rrule="FREQ=WEEKLY;COUNT=3", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert [o.start.date() for o in result.skipped] == [date(2027, 1, 19)]
    assert len(result.bookings) == 2


@pytest.mark.parametrize("mode", [Mode.ALL_OR_NOTHING, Mode.SKIP_CONFLICTS])
def test_dry_run_reports_everything_and_writes_nothing(mode, member, room, organisation, other_organisation):
    factories.make_booking(resource=room, organisation=other_organisation, day=date(2027, 1, 19), hour=17, now=NOW)
    before = stored()
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                   rrule="FREQ=WEEKLY;COUNT=4", mode=mode, dry_run=True, now=NOW)
    assert stored() == before
    assert result.dry_run and result.series.pk is None and all(b.pk is None for b in result.bookings)
    assert [b.start.date() for b in result.bookings] == [date(2027, 1, 12), date(2027, 1, 26), date(2027, 2, 2)]
    assert [(o.start.date(), o.code) for o in result.skipped] == [(date(2027, 1, 19), "conflict")]
    assert result.refused == (mode == Mode.ALL_OR_NOTHING)


def test_dry_run_still_refuses_whole_series_rules(member, room):
    unverified = factories.make_organisation("Grupa w trakcie", members=[member],
                                             status=Organisation.Status.UNVERIFIED)
    with pytest.raises(RuleViolation) as caught:
        factories.make_series(actor=member, resource=room, organisation=unverified, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;COUNT=4", mode=Mode.SKIP_CONFLICTS, dry_run=True, now=NOW)
    assert caught.value.code == "organisation_not_verified"


def test_skip_mode_with_no_free_date_left_refuses(member, room, organisation):
    with pytest.raises(RuleViolation) as caught:
        # Saturdays: the centre is closed on every one of them.
        factories.make_series(actor=member, resource=room, organisation=organisation, day=date(2027, 1, 16), hour=10,
                              rrule="FREQ=WEEKLY;COUNT=3", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert caught.value.code == "outside_opening_hours"
    assert len(caught.value.occurrences) == 3
    assert stored() == (0, 0, 0)


def test_occurrences_beyond_the_resources_advance_window_are_skipped(member, centre, organisation):
    room = factories.make_resource(centre, name="Sala szkoleniowa", advance_window=timedelta(days=30))
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                   rrule="FREQ=WEEKLY;COUNT=6", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert [b.start.date() for b in result.bookings] == [date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26),
                                                          date(2027, 2, 2)]
    assert {o.code for o in result.skipped} == {"too_far_ahead"}


def test_weekly_quota_counts_the_series_own_occurrences(member, centre, room, organisation):
    centre.weekly_hours_per_organisation = 3
    centre.save()
    # Already one hour booked in the week of 18 January.
    factories.make_booking(resource=room, organisation=organisation, day=date(2027, 1, 20), hour=8, now=NOW)
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                   rrule="FREQ=DAILY;BYDAY=TU,WE,TH;COUNT=6", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert [(o.start.date(), o.code) for o in result.skipped] == [(date(2027, 1, 21), "quota_exceeded")]
    assert [b.start.date() for b in result.bookings] == [date(2027, 1, 12), date(2027, 1, 13), date(2027, 1, 14),
                                                          date(2027, 1, 19), date(2027, 1, 20)]


def test_staff_may_set_the_rules_aside_but_never_a_conflict(staff_user, member, room, organisation,
                                                             other_organisation):
    saturday = date(2027, 1, 16)  # the centre is closed at weekends
    with pytest.raises(PermissionDenied):
        factories.make_series(actor=member, resource=room, organisation=organisation, day=saturday, hour=10, hours=2,
                              rrule="FREQ=WEEKLY;COUNT=3", override_reason="Festyn", now=NOW)
    result = factories.make_series(actor=staff_user, resource=room, organisation=organisation, day=saturday, hour=10,
                                   hours=2, rrule="FREQ=WEEKLY;COUNT=3", override_reason="Festyn sąsiedzki", now=NOW)
    assert {(b.override_reason, b.status) for b in Booking.objects.all()} == {("Festyn sąsiedzki", "pending")}
    assert len(result.bookings) == 3
    assert set(BookingEvent.objects.values_list("reason", flat=True)) == {"Festyn sąsiedzki"}

    factories.make_booking(resource=room, organisation=other_organisation, day=date(2027, 1, 19), hour=17, now=NOW)
    with pytest.raises(BookingConflict):
        factories.make_series(actor=staff_user, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;COUNT=3", override_reason="Ważne", now=NOW)


def test_only_members_of_a_verified_organisation_book_a_series(member, room, other_organisation):
    with pytest.raises(RuleViolation) as caught:
        factories.make_series(actor=member, resource=room, organisation=other_organisation, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;COUNT=2", mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert caught.value.code == "not_a_member"


@pytest.mark.parametrize("rule, code", [
    ("FREQ=DAILY;COUNT=201", "too_many_occurrences"),
    ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20280301", "series_too_long"),
    ("FREQ=WEEKLY;BYDAY=TU", "series_unbounded"),
    ("FREQ=WEEKLY;BYDAY=2TU;COUNT=4", "invalid_rrule"),
])
def test_limits_and_malformed_rules_refuse_the_series(rule, code, member, room, organisation):
    with pytest.raises(RuleViolation) as caught:
        factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17, rrule=rule,
                              mode=Mode.SKIP_CONFLICTS, now=NOW)
    assert caught.value.code == code
    assert stored() == (0, 0, 0)


def test_unknown_mode_is_refused(member, room, organisation):
    with pytest.raises(RuleViolation) as caught:
        factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;COUNT=2", mode="some", now=NOW)
    assert caught.value.code == "invalid_mode"


def _fill(resource, organisation, count, hours):
    """`count` existing bookings of `resource`, every day from 12 January at `hours`, none in the series' way."""
    bookings = []
    day = TUESDAY
    while len(bookings) < count:
        for start_hour in hours:
            bookings.append(Booking(resource=resource, organisation=organisation, title="Zajęcia",
                                    start=at(day, start_hour), end=at(day, start_hour + 1),
                                    status=BookingStatus.CONFIRMED, exclusive=resource.is_single_unit))
        day += timedelta(days=1)
    Booking.objects.bulk_create(bookings[:count])


@contextmanager
def without_receivers(signal):
    """Detach whoever listens to `signal` (the e-mails), to measure the booking work alone."""
    saved = signal.receivers
    signal.receivers = []
    signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        signal.receivers = saved
        signal.sender_receivers_cache.clear()


def test_a_weekly_series_for_a_year_costs_a_bounded_number_of_queries(
        member, centre, organisation, other_organisation, django_assert_max_num_queries):
    centre.weekly_hours_per_organisation = 40  # so that the quota query runs too
    centre.save()
    quiet = factories.make_resource(centre, name="Sala cicha")
    busy = factories.make_resource(centre, name="Sala oblegana")
    _fill(busy, other_organisation, 600, hours=(8, 10, 12, 14))
    _fill(busy, organisation, 40, hours=(9, 11, 13, 15))
    first_tuesday = date(2027, 1, 5)  # the 52nd is on 28 December, within the rooms' 365 days
    counts = []
    for resource in (quiet, busy):
        with CaptureQueriesContext(connection) as queries:
            result = factories.make_series(actor=member, resource=resource, organisation=organisation,
                                           day=first_tuesday, hour=17, rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=52", now=NOW)
        assert len(result.bookings) == 52
        counts.append(len(queries))
    # Whatever the listeners of series_changed do, nothing grows with the bookings already there.
    assert counts[0] == counts[1], counts
    with without_receivers(series_changed), django_assert_max_num_queries(16):
        factories.make_series(actor=member, resource=busy, organisation=organisation, day=first_tuesday, hour=16,
                              rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=52", now=NOW)


@pytest.fixture
def pending_series(member, room, organisation):
    return factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                 rrule="FREQ=WEEKLY;COUNT=6", now=NOW).series


def statuses(series):
    return [b.status for b in series.bookings.order_by("start")]


def test_staff_approve_a_pending_series_in_one_action(pending_series, staff_user, member):
    first = pending_series.bookings.order_by("start").first()
    approve_booking(booking=first, actor=staff_user)  # a single occurrence, as any booking
    approved = approve_series(series=pending_series, actor=staff_user, reason="Zapraszamy")
    assert len(approved) == 5
    assert statuses(pending_series) == ["confirmed"] * 6
    events = BookingEvent.objects.filter(booking__series=pending_series, to_status="confirmed")
    assert set(events.values_list("actor", "reason")) == {(staff_user.pk, ""), (staff_user.pk, "Zapraszamy")}
    assert set(pending_series.bookings.values_list("sequence", flat=True)) == {1}
    with pytest.raises(RuleViolation) as caught:
        approve_series(series=pending_series, actor=staff_user)
    assert caught.value.code == "nothing_pending"


def test_members_cannot_approve_their_series(pending_series, member):
    with pytest.raises(PermissionDenied):
        approve_series(series=pending_series, actor=member)
    assert statuses(pending_series) == ["pending"] * 6


def test_staff_reject_a_pending_series_with_a_reason(pending_series, staff_user):
    with pytest.raises(RuleViolation) as caught:
        reject_series(series=pending_series, actor=staff_user, reason=" ")
    assert caught.value.code == "reason_required"
    reject_series(series=pending_series, actor=staff_user, reason="Sala zajęta na remont")
    assert statuses(pending_series) == ["rejected"] * 6
    assert set(pending_series.bookings.values_list("decision_reason", flat=True)) == {"Sala zajęta na remont"}


def test_member_cancels_the_whole_series(pending_series, member):
    cancelled = cancel_series(series=pending_series, actor=member, now=NOW)
    assert len(cancelled) == 6
    assert statuses(pending_series) == ["cancelled"] * 6
    assert BookingEvent.objects.filter(to_status="cancelled", actor=member).count() == 6
    with pytest.raises(RuleViolation) as caught:
        cancel_series(series=pending_series, actor=member, now=NOW)
    assert caught.value.code == "nothing_to_cancel"


def test_cancel_from_a_date_on_leaves_earlier_meetings(pending_series, member, staff_user):
    approve_series(series=pending_series, actor=staff_user)
    cancel_series(series=pending_series, actor=member, reason="Przerwa wakacyjna", from_date=date(2027, 2, 2),
                  now=NOW)
    assert statuses(pending_series) == ["confirmed"] * 3 + ["cancelled"] * 3
    assert set(pending_series.bookings.filter(status="cancelled").values_list("cancellation_reason", flat=True)) == {
        "Przerwa wakacyjna"}


def test_cancel_leaves_meetings_that_have_started(pending_series, member):
    # As if it were the evening of the second meeting, 19 January at 17:30.
    cancel_series(series=pending_series, actor=member, now=at(date(2027, 1, 19), 17, 30))
    assert statuses(pending_series) == ["pending"] * 2 + ["cancelled"] * 4


def test_others_cannot_cancel_and_staff_give_a_reason(pending_series, staff_user, other_organisation):
    with pytest.raises(PermissionDenied):
        cancel_series(series=pending_series, actor=other_organisation.members.first(), now=NOW)
    with pytest.raises(RuleViolation) as caught:
        cancel_series(series=pending_series, actor=staff_user, now=NOW)
    assert caught.value.code == "reason_required"
    cancel_series(series=pending_series, actor=staff_user, reason="Awaria ogrzewania", now=NOW,
                  from_date=datetime(2027, 2, 9, 0, 0))
    assert statuses(pending_series) == ["pending"] * 4 + ["cancelled"] * 2


def test_title_and_purpose_change_for_future_meetings_only(pending_series, member, other_organisation):
    with pytest.raises(PermissionDenied):
        update_series_details(series=pending_series, actor=other_organisation.members.first(), title="Inny tytuł")
    with pytest.raises(RuleViolation):
        update_series_details(series=pending_series, actor=member, title="  ")
    changed = update_series_details(series=pending_series, actor=member, title="Klub seniora „Razem”",
                                    purpose="Rozmowy i gry", now=at(date(2027, 1, 20), 12))
    assert changed == 4
    titles = list(pending_series.bookings.order_by("start").values_list("title", "purpose", "sequence"))
    assert titles[:2] == [("Klub seniora", "", 0)] * 2
    assert titles[2:] == [("Klub seniora „Razem”", "Rozmowy i gry", 1)] * 4
    pending_series.refresh_from_db()
    assert pending_series.title == "Klub seniora „Razem”"


@pytest.mark.postgres
def test_series_occurrences_are_guarded_by_the_exclusion_constraint(member, room, organisation):
    """On PostgreSQL the bulk-inserted occurrences are covered by the same constraint as single bookings."""
    factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                          rrule="FREQ=WEEKLY;COUNT=2", now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(resource=room, organisation=organisation, title="Obok zasad",
                               start=at(TUESDAY, 17, 30), end=at(TUESDAY, 18, 30), status=BookingStatus.CONFIRMED,
                               exclusive=True)


def test_feeds_show_each_meeting_as_its_own_event(member, room, organisation):
    """Calendars get single events with their own UID and status, not an RRULE they might expand differently."""
    series = factories.make_series(actor=member, resource=room, organisation=organisation, day=date(2027, 3, 16),
                                   hour=17, rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=4", now=NOW).series
    cancel_series(series=series, actor=member, from_date=date(2027, 3, 30), now=NOW)
    with translation.override("en"):
        ics = feed_ics(series.bookings.order_by("start"), name="Klub", time_zone="Europe/Warsaw")
    strict = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    events = sorted(strict.events, key=lambda event: event.dtstart)
    assert len({event.uid for event in events}) == 4
    assert [(event.dtstart.astimezone(WARSAW).strftime("%d.%m %H:%M"), event.dtstart.utcoffset(),
             event.status.value) for event in events] == [
        ("16.03 17:00", timedelta(hours=1), "TENTATIVE"), ("23.03 17:00", timedelta(hours=1), "TENTATIVE"),
        ("30.03 17:00", timedelta(hours=2), "CANCELLED"), ("06.04 17:00", timedelta(hours=2), "CANCELLED"),
    ]
    assert not [event for event in icalendar.Calendar.from_ical(ics).walk("VEVENT") if "RRULE" in event]
