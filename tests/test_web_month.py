"""The month view of a resource: each day free, partly booked, full, closed or past, linking to its week."""
import html
import re
from calendar import monthrange
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from booking.availability import public_holiday
from booking.models import Booking, Closure, Resource
from tests import factories
from tests.factories import WARSAW, at
from web.month import MonthBuilder

NOVEMBER = date(2030, 11, 1)  # 1 and 11 November are public holidays; 9-10 and 16-17 a weekend
NOW = datetime(2030, 11, 5, 12, tzinfo=WARSAW)  # a Tuesday, midday


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def booked(resource, organisation, start, end, quantity=1):
    return Booking.objects.create(resource=resource, organisation=organisation, start=start, end=end,
                                  status="confirmed", quantity=quantity, title="Spotkanie",
                                  exclusive=resource.is_single_unit)


def month_of(resource, occupancy_visible=True):
    """{day of the month: (state, note)} as the builder gives them for November 2030."""
    centre = resource.centre
    with translation.override("en"):
        weeks = MonthBuilder(resource, NOVEMBER, hours=list(centre.opening_hours.all()),
                             closures=list(Closure.objects.filter(centre=centre)),
                             occupancy_visible=occupancy_visible, now=NOW).weeks()
    assert all(len(week) == 7 for week in weeks) and weeks[0][:4] == [None] * 4  # 1 November is a Friday
    return {day.date.day: (day.state, day.note) for week in weeks for day in week if day}


@pytest.fixture
def november(centre, organisation):
    """A whole-centre closure on Thursday 7 November."""
    Closure.objects.create(centre=centre, start=at(date(2030, 11, 7), 0), end=at(date(2030, 11, 8), 0),
                           reason="Dezynsekcja")


def test_a_room_day_by_day(centre, room, organisation, november, django_assert_num_queries):
    booked(room, organisation, at(date(2030, 11, 5), 12), at(date(2030, 11, 5), 18))  # the rest of today
    booked(room, organisation, at(date(2030, 11, 6), 10), at(date(2030, 11, 6), 12))
    booked(room, organisation, at(date(2030, 11, 12), 7), at(date(2030, 11, 12), 18))
    booked(room, organisation, at(date(2030, 11, 4), 7), at(date(2030, 11, 4), 18))  # past: not told
    with django_assert_num_queries(3):  # the opening hours and closures given to it, the bookings of the month
        days = month_of(room)
    assert {day: days[day] for day in range(1, 14)} == {
        1: ("past", ""), 2: ("past", ""), 3: ("past", ""), 4: ("past", ""),
        5: ("full", ""), 6: ("partly", ""), 7: ("closed", "Dezynsekcja"), 8: ("free", ""),
        9: ("closed", ""), 10: ("closed", ""), 11: ("closed", "Narodowe Święto Niepodległości"),
        12: ("full", ""), 13: ("free", ""),
    }
    assert len(days) == 30


def test_without_visible_occupancy_a_day_is_only_open_or_closed(centre, room, organisation, november):
    booked(room, organisation, at(date(2030, 11, 12), 7), at(date(2030, 11, 12), 18))
    days = month_of(room, occupancy_visible=False)
    assert {days[day] for day in range(12, 16)} == {("open", "")}
    assert days[7] == ("closed", "Dezynsekcja") and days[4] == ("past", "")


def test_units_desks_beds_and_lockers(centre, organisation, november):
    desks = factories.make_resource(centre, Resource.Kind.DESK, name="Biurka", units=2)
    booked(desks, organisation, at(date(2030, 11, 6), 7), at(date(2030, 11, 6), 18))
    booked(desks, organisation, at(date(2030, 11, 12), 7), at(date(2030, 11, 12), 18), quantity=2)
    desk_days = month_of(desks)
    assert (desk_days[6], desk_days[12], desk_days[13]) == (("partly", ""), ("full", ""), ("free", ""))

    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój gościnny", units=4)
    booked(beds, organisation, at(date(2030, 11, 12), 15), at(date(2030, 11, 13), 10), quantity=4)
    booked(beds, organisation, at(date(2030, 11, 13), 15), at(date(2030, 11, 14), 10), quantity=2)
    nights = month_of(beds)
    assert {day: nights[day] for day in (5, 6, 7, 8, 12, 13, 14)} == {
        5: ("free", ""), 6: ("closed", "No check-out the next day"), 7: ("closed", "Dezynsekcja"),
        8: ("closed", "No check-out the next day"), 12: ("full", ""), 13: ("partly", ""), 14: ("free", "")}

    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka")
    booked(locker, organisation, at(date(2030, 11, 12), 0), at(date(2030, 11, 13), 0))
    locker_days = month_of(locker)  # kept whatever the centre's hours
    assert {day: locker_days[day] for day in (7, 9, 11, 12)} == {
        7: ("free", ""), 9: ("free", ""), 11: ("free", ""), 12: ("full", "")}


def page_days(response):
    """{link to the week: the day's words} from the month page."""
    page = response.content.decode().split("<footer")[0]
    cells = re.findall(r'<td class="month-day[^"]*">\s*<a href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    return {html.unescape(href): " ".join(re.sub(r"<[^>]+>", " ", html.unescape(words)).split())
            for href, words in cells}


@pytest.fixture
def coming_month(centre):
    """The first day of the month after next, and its first Tuesday that is not a public holiday."""
    first = (date.today().replace(day=1) + timedelta(days=62)).replace(day=1)
    tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
    while public_holiday(centre, tuesday):
        tuesday += timedelta(weeks=1)
    return first, tuesday


def test_the_page_shows_each_day_linking_to_its_week(client, member, centre, room, organisation, coming_month):
    first, tuesday = coming_month
    booked(room, organisation, at(tuesday, 7), at(tuesday, 18))
    booked(room, organisation, at(tuesday + timedelta(days=1), 9), at(tuesday + timedelta(days=1), 10))
    client.force_login(member)
    response = client.get(en("web:resource_month", room.pk), {"month": f"{first:%Y-%m}"})
    assert response.status_code == 200
    days = page_days(response)
    week = en("web:resource_week", room.pk)
    assert days[f"{week}?date={tuesday}"] == f"{tuesday:%A}, {tuesday.day} {tuesday:%B}: Full"
    assert days[f"{week}?date={tuesday + timedelta(days=1)}"].endswith(": Partly booked")
    assert days[f"{week}?date={tuesday + timedelta(days=5)}"].endswith(": Closed")  # Sunday
    assert len(days) == monthrange(first.year, first.month)[1]
    page = response.content.decode()
    previous, following = first - timedelta(days=1), first + timedelta(days=31)
    assert f'href="?month={previous:%Y-%m}"' in page and f'href="?month={following:%Y-%m}"' in page
    assert f'{week}?date={first}">Week view</a>' in page
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in page


def test_private_occupancy_shows_only_open_and_closed(client, member, centre, room, organisation, coming_month):
    first, tuesday = coming_month
    Resource.objects.filter(pk=room.pk).update(occupancy_public=False)
    booked(room, organisation, at(tuesday, 7), at(tuesday, 18))
    url = en("web:resource_month", room.pk)
    anonymous = page_days(client.get(url, {"month": f"{first:%Y-%m}"}))
    assert {words.split(": ")[-1] for words in anonymous.values()} == {"Open", "Closed"}
    client.force_login(member)
    assert page_days(client.get(url, {"month": f"{first:%Y-%m}"}))[
        f"{en('web:resource_week', room.pk)}?date={tuesday}"].endswith(": Full")


@pytest.mark.parametrize("month", ["2026-13", "abc", "0001-01", "9999-12", ""])
def test_a_wrong_month_shows_this_month(client, room, month):
    response = client.get(en("web:resource_month", room.pk), {"month": month})
    assert response.status_code == 200
    today = date.today()
    assert f"<h1>{room.name} <span class=\"subtitle\">{today:%B %Y}</span></h1>" in response.content.decode()


def test_an_inactive_resource_has_no_month(client, centre):
    retired = factories.make_resource(centre, name="Stara sala", is_active=False)
    assert client.get(en("web:resource_month", retired.pk)).status_code == 404


@pytest.mark.parametrize("bookings", [1, 40])
def test_queries_do_not_grow_with_bookings(client, member, django_assert_max_num_queries, centre, room,
                                           organisation, coming_month, bookings):
    first, _tuesday = coming_month
    for number in range(bookings):
        start = at(first, 8) + timedelta(days=number % 28, minutes=15 * (number // 28))
        booked(room, organisation, start, start + timedelta(minutes=15))
    client.force_login(member)
    # session, user, resource and its hours, closures, occupancy access, bookings, staff menu, footer (2)
    with django_assert_max_num_queries(10):
        response = client.get(en("web:resource_month", room.pk), {"month": f"{first:%Y-%m}"})
    assert response.status_code == 200


def test_the_week_page_links_to_its_month(client, room, open_day):
    page = client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()}).content.decode()
    monday = open_day - timedelta(days=open_day.weekday())
    assert f'href="{en("web:resource_month", room.pk)}?month={monday:%Y-%m}">Month view</a>' in page
