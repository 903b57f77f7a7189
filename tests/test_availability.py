"""Free and busy intervals of a resource, as the calendar and the API show them."""
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import services
from booking.availability import resource_availability, resources_free_throughout
from booking.models import Closure, OpeningHours, Resource
from booking.selectors import title_visibility
from tests import factories
from tests.factories import WARSAW, at

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)
TUESDAY = date(2026, 1, 13)
WEDNESDAY = date(2026, 1, 14)
THURSDAY = date(2026, 1, 15)
FRIDAY = date(2026, 1, 16)

pytestmark = pytest.mark.django_db


def day(d):
    return at(d, 0), at(d + timedelta(days=1), 0)


def free(availability):
    """Free intervals as local wall-clock strings, easy to read in a failing assertion."""
    return [(f"{i.start.astimezone(WARSAW):%a %H:%M}", f"{i.end.astimezone(WARSAW):%a %H:%M}", i.units)
            for i in availability.free]


def busy(availability):
    return [(f"{i.start.astimezone(WARSAW):%H:%M}", f"{i.end.astimezone(WARSAW):%H:%M}", i.title)
            for i in availability.busy]


def test_an_empty_day_is_free_for_the_opening_hours(room):
    assert free(resource_availability(room, *day(TUESDAY))) == [("Tue 07:00", "Tue 18:00", 1)]
    assert free(resource_availability(room, *day(FRIDAY))) == [("Fri 07:00", "Fri 14:00", 1)]
    assert free(resource_availability(room, *day(date(2026, 1, 17)))) == []


def test_a_booking_is_busy_and_cut_out_of_the_free_time(room, organisation, member):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                           title="Zebranie zarządu", now=NOW)
    availability = resource_availability(room, *day(TUESDAY))
    assert free(availability) == [("Tue 07:00", "Tue 10:00", 1), ("Tue 11:00", "Tue 18:00", 1)]
    assert busy(availability) == [("10:00", "11:00", None)]


def test_the_window_clips_free_time(room, organisation, member):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    availability = resource_availability(room, at(TUESDAY, 10, 30), at(TUESDAY, 12))
    assert free(availability) == [("Tue 11:00", "Tue 12:00", 1)]
    assert len(availability.busy) == 1


def test_cancelled_bookings_are_free_again(room, organisation, member):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10,
                                     now=NOW)
    services.cancel_booking(booking=booking, actor=member, now=NOW)
    availability = resource_availability(room, *day(TUESDAY))
    assert free(availability) == [("Tue 07:00", "Tue 18:00", 1)]
    assert availability.busy == []


def test_titles_only_where_the_caller_may_see_them(room, organisation, member, staff_user):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=9,
                           title="Spotkanie AA", now=NOW)
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=12,
                           title="Dzień otwarty", public=True, now=NOW)
    stranger = factories.make_user("obcy")
    factories.make_organisation(members=[stranger])
    seen = {
        who: [b.title for b in resource_availability(room, *day(TUESDAY), title_visible=title_visibility(user)).busy]
        for who, user in [("anonymous", AnonymousUser()), ("stranger", stranger), ("member", member),
                          ("staff", staff_user)]
    }
    assert seen == {
        "anonymous": [None, "Dzień otwarty"],
        "stranger": [None, "Dzień otwarty"],
        "member": ["Spotkanie AA", "Dzień otwarty"],
        "staff": ["Spotkanie AA", "Dzień otwarty"],
    }
    # The default shows public titles only.
    assert [b.title for b in resource_availability(room, *day(TUESDAY)).busy] == [None, "Dzień otwarty"]


def test_units_left_on_a_multi_unit_resource(centre, organisation, member):
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, units=4, capacity=4)
    for _ in range(3):
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                               end=at(THURSDAY, 10), now=NOW)
    availability = resource_availability(beds, at(TUESDAY, 0), at(FRIDAY, 0))
    assert free(availability) == [
        ("Tue 00:00", "Tue 15:00", 4), ("Tue 15:00", "Thu 10:00", 1), ("Thu 10:00", "Fri 00:00", 4),
    ]
    assert len(availability.busy) == 3
    factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(TUESDAY, 15),
                           end=at(WEDNESDAY, 10), now=NOW)
    assert free(resource_availability(beds, at(TUESDAY, 0), at(FRIDAY, 0))) == [
        ("Tue 00:00", "Tue 15:00", 4), ("Wed 10:00", "Thu 10:00", 1), ("Thu 10:00", "Fri 00:00", 4),
    ]


def test_partly_taken_units_are_counted_per_interval(centre, organisation, member):
    desks = factories.make_resource(centre, Resource.Kind.DESK, units=2, requires_approval=False)
    factories.make_booking(actor=member, resource=desks, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    factories.make_booking(actor=member, resource=desks, organisation=organisation, day=TUESDAY, hour=11, now=NOW)
    factories.make_booking(actor=member, resource=desks, organisation=organisation, day=TUESDAY, hour=15, hours=3,
                           quantity=2, now=NOW)
    assert free(resource_availability(desks, *day(TUESDAY))) == [
        ("Tue 07:00", "Tue 10:00", 2), ("Tue 10:00", "Tue 12:00", 1), ("Tue 12:00", "Tue 15:00", 2),
    ]


def test_closures_are_not_free(centre, room):
    Closure.objects.create(centre=centre, start=at(TUESDAY, 12), end=at(TUESDAY, 13), reason="Zebranie personelu")
    Closure.objects.create(centre=centre, resource=room, start=at(TUESDAY, 16), end=at(WEDNESDAY, 9),
                           reason="Sprzątanie")
    other = factories.make_resource(centre, name="Sala szkoleniowa")
    Closure.objects.create(centre=centre, resource=other, start=at(TUESDAY, 7), end=at(TUESDAY, 18), reason="Remont")
    assert free(resource_availability(room, at(TUESDAY, 0), at(THURSDAY, 0))) == [
        ("Tue 07:00", "Tue 12:00", 1), ("Tue 13:00", "Tue 16:00", 1), ("Wed 09:00", "Wed 18:00", 1),
    ]


def test_public_holidays_are_not_free_unless_the_centre_opts_out(centre, room):
    week = (at(date(2026, 11, 9), 0), at(date(2026, 11, 16), 0))  # 11 November is the Wednesday
    days_open = [start[:3] for start, _end, _units in free(resource_availability(room, *week))]
    assert days_open == ["Mon", "Tue", "Thu", "Fri"]
    centre.closed_on_public_holidays = False
    centre.save()
    room.refresh_from_db()
    days_open = [start[:3] for start, _end, _units in free(resource_availability(room, *week))]
    assert days_open == ["Mon", "Tue", "Wed", "Thu", "Fri"]


def test_closures_do_not_take_free_days_from_lockers(centre, organisation, member):
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, units=2, requires_approval=False)
    Closure.objects.create(centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0), reason="Remont")
    factories.make_booking(actor=member, resource=locker, organisation=organisation, start=at(TUESDAY, 0),
                           end=at(WEDNESDAY, 0), now=NOW)
    assert free(resource_availability(locker, at(TUESDAY, 0), at(THURSDAY, 0))) == [
        ("Tue 00:00", "Wed 00:00", 1), ("Wed 00:00", "Thu 00:00", 2),
    ]


def test_buffers_are_not_free(room, organisation, member):
    room.buffer = timedelta(minutes=30)
    room.save()
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    availability = resource_availability(room, *day(TUESDAY))
    assert free(availability) == [("Tue 07:00", "Tue 09:30", 1), ("Tue 11:30", "Tue 18:00", 1)]
    assert busy(availability) == [("10:00", "11:00", None)]


def test_a_booking_just_outside_the_window_still_casts_its_buffer(room, organisation, member):
    room.buffer = timedelta(minutes=30)
    room.save()
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    availability = resource_availability(room, at(TUESDAY, 11), at(TUESDAY, 13))
    assert free(availability) == [("Tue 11:30", "Tue 13:00", 1)]
    assert availability.busy == []


def test_the_search_counts_each_rooms_own_buffer_and_closures(centre, room, organisation, member):
    other = factories.make_resource(centre)
    room.buffer = timedelta(minutes=30)
    room.save()
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    factories.make_booking(actor=member, resource=other, organisation=organisation, day=TUESDAY, hour=10, now=NOW)
    Closure.objects.create(centre=centre, resource=other, start=at(TUESDAY, 15), end=at(TUESDAY, 16), reason="Remont")
    rooms = Resource.objects.filter(pk__in=[room.pk, other.pk])
    assert resources_free_throughout(rooms, at(TUESDAY, 11), at(TUESDAY, 12)) == {other.pk}
    assert resources_free_throughout(rooms, at(TUESDAY, 11, 30), at(TUESDAY, 12)) == {room.pk, other.pk}
    assert resources_free_throughout(rooms, at(TUESDAY, 8), at(TUESDAY, 9, 45)) == {other.pk}
    assert resources_free_throughout(rooms, at(TUESDAY, 14), at(TUESDAY, 17)) == {room.pk}
    assert resources_free_throughout(rooms.filter(pk=other.pk), at(TUESDAY, 14), at(TUESDAY, 17)) == set()
    assert resources_free_throughout(rooms.none(), at(TUESDAY, 14), at(TUESDAY, 17)) == set()


def test_daylight_saving_day_keeps_local_opening_hours(centre, room):
    OpeningHours.objects.create(centre=centre, weekday=6, opens=time(7), closes=time(18))
    availability = resource_availability(room, *day(date(2026, 3, 29)))
    assert free(availability) == [("Sun 07:00", "Sun 18:00", 1)]
    interval = availability.free[0]
    assert interval.end - interval.start == timedelta(hours=11)


@pytest.mark.parametrize("bookings", [1, 40])
def test_a_constant_number_of_queries(django_assert_max_num_queries, centre, room, organisation, member, bookings):
    tuesdays = [TUESDAY + timedelta(weeks=n) for n in range(10)]
    hours = [(8, 9), (10, 11), (12, 13), (15, 16)]
    for n in range(bookings):
        d, (start, end) = tuesdays[n // 4], hours[n % 4]
        factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(d, start),
                               end=at(d, end), public=n % 2 == 0, now=NOW)
    Closure.objects.create(centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0), reason="Remont")
    resource = Resource.objects.select_related("centre").get(pk=room.pk)
    visible = title_visibility(member)
    window = (at(TUESDAY, 0), at(TUESDAY + timedelta(weeks=10), 0))
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(1):
        availability = resource_availability(resource, *window, title_visible=visible)
        titles = [b.title for b in availability.busy]
    assert len(titles) == bookings
    assert all(titles)
    assert len(queries) == 1
