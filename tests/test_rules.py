"""Every booking rule of DESIGN §3: a case that breaks it, and its neighbour that passes.

All dates are fixed and `now` is passed to the service, so the calendar (weekends, holidays) is known:
NOW is Monday 5 January 2026, 08:00 in Warsaw.
"""
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from booking import services
from booking.exceptions import BookingConflict, RuleViolation
from booking.models import Booking, BookingEvent, BookingStatus, Closure, OpeningHours, Resource
from ngo.models import Organisation
from tests import factories
from tests.factories import WARSAW, at

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)
TUESDAY = date(2026, 1, 13)
WEDNESDAY = date(2026, 1, 14)
THURSDAY = date(2026, 1, 15)
FRIDAY = date(2026, 1, 16)
SATURDAY = date(2026, 1, 17)
SUNDAY = date(2026, 1, 18)
INDEPENDENCE_DAY = date(2026, 11, 11)  # a Wednesday
EASTER_MONDAY = date(2026, 4, 6)

pytestmark = pytest.mark.django_db


def tables():
    """What a refused call must leave exactly as it was."""
    return (
        list(Booking.objects.order_by("pk").values_list("pk", "status", "sequence")),
        BookingEvent.objects.count(),
    )


def refused(code, resource, organisation, user, start, end, **fields):
    """Assert the booking is refused with `code`, nothing is written, and return the violation."""
    before = tables()
    fields.setdefault("now", NOW)
    with pytest.raises(RuleViolation) as info:
        factories.make_booking(actor=user, resource=resource, organisation=organisation, start=start, end=end, **fields)
    assert info.value.code == code, info.value.message
    assert str(info.value.message)
    assert tables() == before
    return info.value


@pytest.fixture
def booker(room, organisation, member):
    """booker(start, end, **fields) books for the member's verified organisation in the meeting room."""
    return lambda start, end, **fields: factories.make_booking(actor=member, resource=room, organisation=organisation,
                                                               start=start, end=end, now=NOW, **fields)


@pytest.fixture
def refuse(room, organisation, member):
    return lambda code, start, end, **fields: refused(code, room, organisation, member, start, end, **fields)


# --- outside_opening_hours ------------------------------------------------------------------

def test_before_opening_is_refused_and_at_opening_accepted(booker, refuse):
    error = refuse("outside_opening_hours", at(TUESDAY, 6, 30), at(TUESDAY, 7, 30))
    assert error.field == "start"
    assert booker(at(TUESDAY, 7), at(TUESDAY, 8)).status == BookingStatus.PENDING


def test_after_closing_is_refused_and_until_closing_accepted(booker, refuse):
    refuse("outside_opening_hours", at(TUESDAY, 17, 30), at(TUESDAY, 18, 30))
    assert booker(at(TUESDAY, 17), at(TUESDAY, 18)).end == at(TUESDAY, 18)


def test_friday_closes_at_two_pm(booker, refuse):
    refuse("outside_opening_hours", at(FRIDAY, 13), at(FRIDAY, 15))
    assert booker(at(FRIDAY, 13), at(FRIDAY, 14)).pk


def test_weekend_is_refused_and_monday_accepted(booker, refuse):
    refuse("outside_opening_hours", at(SATURDAY, 10), at(SATURDAY, 11))
    refuse("outside_opening_hours", at(SUNDAY, 10), at(SUNDAY, 11))
    assert booker(at(SUNDAY + timedelta(days=1), 10), at(SUNDAY + timedelta(days=1), 11)).pk


def test_slot_across_midnight_is_refused(booker, refuse, centre):
    # Even a centre open around the clock takes slot bookings one day at a time.
    OpeningHours.objects.filter(centre=centre).delete()
    for weekday in range(7):
        OpeningHours.objects.create(centre=centre, weekday=weekday, opens=time(0), closes=time(23, 59))
    error = refuse("outside_opening_hours", at(TUESDAY, 23), at(WEDNESDAY, 1))
    assert error.field == "end"
    assert booker(at(TUESDAY, 22), at(TUESDAY, 23)).pk


def test_lunch_break_splits_the_day(booker, refuse, centre):
    OpeningHours.objects.filter(centre=centre, weekday=1).delete()
    OpeningHours.objects.create(centre=centre, weekday=1, opens=time(8), closes=time(12))
    OpeningHours.objects.create(centre=centre, weekday=1, opens=time(13), closes=time(16))
    refuse("outside_opening_hours", at(TUESDAY, 11), at(TUESDAY, 14))
    assert booker(at(TUESDAY, 13), at(TUESDAY, 16)).pk


# --- closed: closures and public holidays ----------------------------------------------------

def test_centre_closure_is_refused_and_after_it_accepted(booker, refuse, centre):
    Closure.objects.create(centre=centre, start=at(TUESDAY, 12), end=at(TUESDAY, 13), reason="Szkolenie personelu")
    error = refuse("closed", at(TUESDAY, 11, 30), at(TUESDAY, 12, 30))
    assert "2026" in error.message and "(Szkolenie personelu)" in error.message
    assert booker(at(TUESDAY, 13), at(TUESDAY, 14)).pk
    assert booker(at(TUESDAY, 11), at(TUESDAY, 12)).pk


def test_resource_closure_closes_only_that_resource(booker, refuse, centre, room, organisation, member):
    other_room = factories.make_resource(centre, name="Sala szkoleniowa")
    Closure.objects.create(centre=centre, resource=room, start=at(TUESDAY, 0), end=at(WEDNESDAY, 0),
                           reason="Malowanie")
    error = refuse("closed", at(TUESDAY, 10), at(TUESDAY, 11))
    assert error.message.startswith(f"{room.name}: ") and "(Malowanie)" in error.message
    assert factories.make_booking(actor=member, resource=other_room, organisation=organisation, day=TUESDAY, hour=10,
                                  now=NOW).pk
    assert booker(at(WEDNESDAY, 10), at(WEDNESDAY, 11)).pk


@pytest.mark.parametrize("holiday, name", [(INDEPENDENCE_DAY, "Niepodległości"), (EASTER_MONDAY, "Wielkanocny")])
def test_public_holiday_closes_the_centre(booker, refuse, holiday, name):
    error = refuse("closed", at(holiday, 10), at(holiday, 11))
    assert name in error.message
    next_week = holiday + timedelta(weeks=1)
    assert booker(at(next_week, 10), at(next_week, 11)).pk


def test_centre_that_opts_out_of_holidays_takes_bookings_on_them(booker, centre):
    centre.closed_on_public_holidays = False
    centre.save()
    assert booker(at(INDEPENDENCE_DAY, 10), at(INDEPENDENCE_DAY, 11)).pk
    assert booker(at(EASTER_MONDAY, 10), at(EASTER_MONDAY, 11)).pk


# --- misaligned -----------------------------------------------------------------------------

def test_slots_must_lie_on_thirty_minutes(booker, refuse):
    assert refuse("misaligned", at(TUESDAY, 10, 15), at(TUESDAY, 11)).field == "start"
    assert refuse("misaligned", at(TUESDAY, 10), at(TUESDAY, 11, 10)).field == "end"
    assert booker(at(TUESDAY, 10, 30), at(TUESDAY, 11)).pk


def test_longer_slot_length_is_respected(booker, refuse, room):
    room.slot_length = timedelta(hours=1)
    room.save()
    refuse("misaligned", at(TUESDAY, 10, 30), at(TUESDAY, 11, 30))
    assert booker(at(TUESDAY, 10), at(TUESDAY, 12)).pk


def test_days_start_and_end_at_midnight(centre, organisation, member):
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, units=8)
    assert locker.booking_mode == Resource.BookingMode.DAYS
    error = refused("misaligned", locker, organisation, member, at(TUESDAY, 10), at(THURSDAY, 0))
    assert error.field == "start"
    assert refused("misaligned", locker, organisation, member, at(TUESDAY, 0), at(THURSDAY, 12)).field == "end"
    assert factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(TUESDAY, 0),
                                  end=at(THURSDAY, 0), now=NOW).pk


def test_nights_start_at_check_in_and_end_at_check_out(centre, organisation, member):
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, units=4, capacity=4)
    assert beds.booking_mode == Resource.BookingMode.NIGHTS
    refused("misaligned", beds, organisation, member, at(TUESDAY, 12), at(THURSDAY, 10))
    refused("misaligned", beds, organisation, member, at(TUESDAY, 15), at(THURSDAY, 12))
    refused("misaligned", beds, organisation, member, at(TUESDAY, 15), at(TUESDAY, 22))
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                  end=at(THURSDAY, 10), now=NOW).pk


# --- duration -------------------------------------------------------------------------------

def test_too_long(booker, refuse, room):
    room.max_duration = timedelta(hours=8)
    room.save()
    error = refuse("too_long", at(TUESDAY, 8), at(TUESDAY, 16, 30))
    assert "8" in error.message
    assert booker(at(TUESDAY, 8), at(TUESDAY, 16)).pk


def test_too_short(booker, refuse, room):
    room.min_duration = timedelta(hours=1)
    room.save()
    refuse("too_short", at(TUESDAY, 8), at(TUESDAY, 8, 30))
    assert booker(at(TUESDAY, 8), at(TUESDAY, 9)).pk


# --- timing: past, notice, advance window ---------------------------------------------------

def test_in_the_past(booker, refuse):
    refuse("in_the_past", at(NOW.date(), 7), at(NOW.date(), 8), now=NOW + timedelta(minutes=30))
    assert booker(at(NOW.date(), 9), at(NOW.date(), 10)).pk


def test_too_late_for_the_minimum_notice(booker, refuse, room):
    room.minimum_notice = timedelta(days=3)
    room.save()
    error = refuse("too_late", at(date(2026, 1, 7), 10), at(date(2026, 1, 7), 11))
    assert "3" in error.message
    refuse("too_late", at(date(2026, 1, 8), 7), at(date(2026, 1, 8), 8))
    assert booker(at(date(2026, 1, 8), 8), at(date(2026, 1, 8), 9)).pk


def test_too_far_ahead(booker, refuse, room):
    room.advance_window = timedelta(days=30)
    room.save()
    refuse("too_far_ahead", at(date(2026, 2, 5), 10), at(date(2026, 2, 5), 11))
    assert booker(at(date(2026, 2, 3), 10), at(date(2026, 2, 3), 11)).pk


# --- weekly quota per organisation ----------------------------------------------------------

def test_weekly_quota_counts_the_organisations_hours_in_that_week(booker, refuse, centre, room, member):
    centre.weekly_hours_per_organisation = 3
    centre.save()
    booker(at(TUESDAY, 10), at(TUESDAY, 12))
    error = refuse("quota_exceeded", at(THURSDAY, 10), at(THURSDAY, 12))
    assert "3" in error.message
    assert booker(at(THURSDAY, 10), at(THURSDAY, 11)).pk
    refuse("quota_exceeded", at(FRIDAY, 10), at(FRIDAY, 10, 30))
    # Next week starts afresh; another organisation has its own quota.
    next_monday = SUNDAY + timedelta(days=1)
    assert booker(at(next_monday, 10), at(next_monday, 13)).pk
    other = factories.make_organisation(members=[member])
    assert factories.make_booking(actor=member, resource=room, organisation=other, day=FRIDAY, hour=10, hours=3,
                                  now=NOW).pk


def test_cancelled_bookings_do_not_count_towards_the_quota(booker, centre, member):
    centre.weekly_hours_per_organisation = 2
    centre.save()
    first = booker(at(TUESDAY, 10), at(TUESDAY, 12))
    services.cancel_booking(booking=first, actor=member, now=NOW)
    assert booker(at(THURSDAY, 10), at(THURSDAY, 12)).pk


def test_quota_of_hours_does_not_count_whole_day_lockers(centre, organisation, member, booker):
    """A locker kept for a week is not 168 meeting hours: the quota is about rooms, desks and equipment."""
    centre.weekly_hours_per_organisation = 4
    centre.save()
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, units=8)
    assert factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(TUESDAY, 0),
                                  end=at(TUESDAY + timedelta(days=7), 0), now=NOW).pk
    assert booker(at(TUESDAY, 10), at(TUESDAY, 14)).pk


# --- who may book ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Organisation.Status.UNVERIFIED, Organisation.Status.SUSPENDED])
def test_organisation_must_be_verified(room, member, status):
    organisation = factories.make_organisation(members=[member], status=status)
    error = refused("organisation_not_verified", room, organisation, member, at(TUESDAY, 10), at(TUESDAY, 11))
    assert organisation.name in error.message
    assert error.field == "organisation"
    organisation.status = Organisation.Status.VERIFIED
    organisation.save()
    assert factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                  now=NOW).pk


def test_only_members_book_for_their_organisation(room, organisation, member):
    outsider = factories.make_user("outsider")
    refused("not_a_member", room, organisation, outsider, at(TUESDAY, 10), at(TUESDAY, 11))
    assert factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                  now=NOW).created_by == member


def test_centre_staff_book_for_an_organisation(room, organisation, staff_user):
    booking = factories.make_booking(actor=staff_user, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    assert booking.created_by == staff_user


# --- capacity, units, active ----------------------------------------------------------------

def test_over_capacity(booker, refuse, room):
    assert room.capacity == 12
    error = refuse("over_capacity", at(TUESDAY, 10), at(TUESDAY, 11), attendees=13)
    assert error.field == "attendees"
    assert booker(at(TUESDAY, 10), at(TUESDAY, 11), attendees=12).attendees == 12


def test_too_many_units(centre, organisation, member):
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, units=4, capacity=4)
    refused("too_many_units", beds, organisation, member, at(TUESDAY, 15), at(WEDNESDAY, 10), quantity=5)
    assert factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                                  end=at(WEDNESDAY, 10), quantity=4, now=NOW).quantity == 4


def test_at_least_one_unit(refuse):
    refuse("invalid_quantity", at(TUESDAY, 10), at(TUESDAY, 11), quantity=0)


def test_inactive_resource(booker, refuse, room):
    room.is_active = False
    room.save()
    refuse("resource_inactive", at(TUESDAY, 10), at(TUESDAY, 11))
    room.is_active = True
    room.save()
    assert booker(at(TUESDAY, 10), at(TUESDAY, 11)).pk


def test_invalid_interval(refuse):
    assert refuse("invalid_interval", at(TUESDAY, 11), at(TUESDAY, 10)).field == "end"
    refuse("invalid_interval", at(TUESDAY, 11), at(TUESDAY, 11))


def test_naive_times_are_the_centres_wall_clock(booker):
    """As the API reads them: a time without an offset is a wall-clock time at the resource's centre."""
    booking = booker(datetime(TUESDAY.year, TUESDAY.month, TUESDAY.day, 10), at(TUESDAY, 11))
    assert (booking.start, booking.end) == (at(TUESDAY, 10), at(TUESDAY, 11))


# --- staff override -------------------------------------------------------------------------

def test_staff_override_skips_the_rules_and_records_the_reason(room, staff_user):
    unverified = factories.make_organisation(status=Organisation.Status.UNVERIFIED)
    booking = factories.make_booking(actor=staff_user, resource=room, organisation=unverified, start=at(SATURDAY, 20),
                                     end=at(SATURDAY, 23, 45),
                                     override_reason="Zebranie wyborcze po godzinach, zgoda dyrektora", now=NOW)
    assert booking.override_reason == "Zebranie wyborcze po godzinach, zgoda dyrektora"
    event = booking.events.get()
    assert (event.actor, event.reason) == (staff_user, booking.override_reason)


def test_a_blank_override_reason_is_no_override(refuse, room, organisation, staff_user):
    refused("outside_opening_hours", room, organisation, staff_user, at(SATURDAY, 10), at(SATURDAY, 11),
            override_reason="   ")


def test_staff_override_never_overrides_a_conflict(booker, room, organisation, staff_user):
    taken = booker(at(TUESDAY, 10), at(TUESDAY, 11))
    before = tables()
    with pytest.raises(BookingConflict) as info:
        factories.make_booking(actor=staff_user, resource=room, organisation=organisation, start=at(TUESDAY, 10, 30),
                               end=at(TUESDAY, 11, 30), override_reason="Pilne", now=NOW)
    assert info.value.conflicts == [taken]
    assert tables() == before


def test_override_by_a_member_is_refused(room, organisation, member):
    before = tables()
    with pytest.raises(PermissionDenied):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=SATURDAY, hour=10,
                               override_reason="Bardzo proszę", now=NOW)
    assert tables() == before


def test_override_by_staff_of_another_centre_is_refused(room, organisation):
    elsewhere = factories.make_user("ewa")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[elsewhere])
    before = tables()
    with pytest.raises(PermissionDenied):
        factories.make_booking(actor=elsewhere, resource=room, organisation=organisation, day=SATURDAY, hour=10,
                               override_reason="Pilne", now=NOW)
    assert tables() == before
