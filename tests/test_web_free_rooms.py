"""Find a free room: a day, a time and a number of people give the rooms free for the whole of that time."""
import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from booking.models import Booking, Closure, Resource
from tests import factories
from tests.factories import at


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def search(client, centre, day, start="10:00", end="12:00", people=5):
    return client.get(en("web:free_rooms"), {"centre": centre.pk, "date": day.isoformat(), "start_time": start,
                                             "end_time": end, "people": people})


def found(response):
    """The names of the rooms offered, in order, each with its booking link (or the rule that refuses it)."""
    page = response.content.decode().split("<footer")[0]
    cards = re.findall(r'<li class="card">(.*?)</li>', page, re.S)
    result = []
    for card in cards:
        name = html.unescape(re.search(r"<h3>(.*?)</h3>", card).group(1))
        link = re.search(r'<a class="button" href="([^"]+)"', card)
        refusal = re.search(r'<p class="refusal">(.*?)</p>', card, re.S)
        result.append((name, html.unescape(link.group(1)) if link else html.unescape(refusal.group(1).strip())))
    return result


@pytest.fixture
def rooms(centre, organisation, open_day):
    """Rooms of several sizes at the centre; one booked at 10:00-12:00 on the open day, one closed then."""
    small = factories.make_resource(centre, name="Pokój rozmów", capacity=6)
    big = factories.make_resource(centre, name="Sala szkoleniowa", capacity=30)
    booked = factories.make_resource(centre, name="Sala spotkań", capacity=12)
    closed = factories.make_resource(centre, name="Kuchnia", capacity=10)
    factories.make_resource(centre, name="Stara sala", capacity=40, is_active=False)
    factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka", capacity=40)  # booked by the day
    factories.make_booking(resource=booked, organisation=organisation, day=open_day, hour=11, hours=2)
    Closure.objects.create(centre=centre, resource=closed, start=at(open_day, 9), end=at(open_day, 10, 30),
                           reason="Malowanie")
    return {"small": small, "big": big, "booked": booked, "closed": closed}


def test_a_member_sees_the_rooms_free_then_smallest_first(client, member, centre, rooms, open_day):
    client.force_login(member)
    response = search(client, centre, open_day, people=5)
    assert response.status_code == 200
    book = f"?start={open_day}T10%3A00&end={open_day}T12%3A00&exact=1&attendees=5"
    assert found(response) == [
        ("Pokój rozmów", en("web:booking_create", rooms["small"].pk) + book),
        ("Sala szkoleniowa", en("web:booking_create", rooms["big"].pk) + book),
    ]
    assert f'{en("web:resource_week", rooms["small"].pk)}?date={open_day}' in response.content.decode()
    # later the same day the booked room is free again; a group of 10 fits only the bigger rooms
    later = search(client, centre, open_day, start="13:00", end="15:00", people=10)
    assert [name for name, _link in found(later)] == ["Kuchnia", "Sala spotkań", "Sala szkoleniowa"]


def test_the_link_opens_the_booking_form_on_exactly_that_time(client, member, centre, rooms, open_day):
    client.force_login(member)
    _name, link = found(search(client, centre, open_day, start="13:00", end="16:30", people=4))[0]
    page = client.get(link).content.decode()
    assert 'name="start_time" value="13:00"' in page and 'name="end_time" value="16:30"' in page
    assert f'name="date" value="{open_day}"' in page and 'name="attendees" value="4"' in page


def test_a_time_the_rules_refuse_says_why(client, member, centre, rooms, open_day):
    """Free, but not on whole half-hour slots, or longer than the room allows: no link, the rule instead."""
    client.force_login(member)
    assert found(search(client, centre, open_day, start="13:15", end="14:00", people=20)) == [
        ("Sala szkoleniowa", "Free, but it cannot be booked for this time: Bookings start and end on whole "
                             "30-minute slots."),
    ]
    Resource.objects.filter(pk=rooms["small"].pk).update(max_duration=timedelta(hours=1))
    offered = found(search(client, centre, open_day, start="13:00", end="15:00", people=5))
    assert offered[0] == ("Pokój rozmów",
                          "Free, but it cannot be booked for this time: A booking lasts at most 1 hour.")
    assert [link.startswith("/en/resources/") for _name, link in offered[1:]] == [True, True, True]


def test_nothing_free_when_the_centre_is_closed(client, member, centre, rooms, open_day):
    client.force_login(member)
    saturday = open_day + timedelta(days=4)
    response = search(client, centre, saturday)
    assert response.status_code == 200 and found(response) == []
    page = response.content.decode()
    assert "No room is free for the whole of this time." in page
    assert f'{en("web:centre_week", centre.pk)}?date={saturday}' in page


def test_private_occupancy_is_searched_only_for_those_who_may_see_it(client, member, centre, rooms, open_day):
    Resource.objects.filter(pk=rooms["small"].pk).update(occupancy_public=False)
    assert [name for name, _link in found(search(client, centre, open_day))] == ["Sala szkoleniowa"]
    assert "shown to members of organisations after they log in" in search(client, centre, open_day).content.decode()
    client.force_login(member)
    assert [name for name, _link in found(search(client, centre, open_day))] == ["Pokój rozmów", "Sala szkoleniowa"]


def test_the_page_opens_with_the_form_only(client, centre, rooms):
    response = client.get(en("web:free_rooms"), {"centre": centre.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{centre.pk}" selected>' in page
    assert "error-summary" not in page and 'class="found"' not in page
    assert '<label for="id_people">Number of people</label>' in page


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"start_time": "12:00", "end_time": "10:00"}, "end_time", "The end must be later than the start."),
    ({"start_time": "12:00", "end_time": "12:00"}, "end_time", "The end must be later than the start."),
    ({"date": "2026-02-30"}, "date", "Enter a valid date."),
    ({"date": "9999-12-31"}, "date", "Ensure this value is less than or equal to"),
    ({"start_time": "25:00"}, "start_time", "Enter a valid time."),
    ({"end_time": ""}, "end_time", "This field is required."),
    ({"people": "0"}, "people", "Ensure this value is greater than or equal to 1."),
    ({"people": "99999999999999999999"}, "people", "Ensure this value is less than or equal to 10000."),
    ({"centre": "abc"}, "centre", "Select a valid choice."),
    ({"centre": "99999999999999999999"}, "centre", "Select a valid choice."),
])
def test_wrong_input_is_an_error_next_to_its_field(client, centre, open_day, query, field, message):
    response = client.get(en("web:free_rooms"), {"centre": centre.pk, "date": open_day.isoformat(),
                                                 "start_time": "10:00", "end_time": "12:00", "people": 2, **query})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert re.search(rf'id="id_{field}_error">.*{re.escape(message)}', page)
    assert f'<a href="#id_{field}">' in page  # the error summary links to the field
    assert 'aria-invalid="true"' in page and 'class="found"' not in page


@pytest.mark.parametrize("size", [1, 30])
def test_queries_do_not_grow_with_rooms_and_bookings(client, member, django_assert_max_num_queries, centre,
                                                     organisation, open_day, size):
    client.force_login(member)
    for number in range(size):
        room = factories.make_resource(centre, name=f"Sala {number}", capacity=10)
        Booking.objects.create(resource=room, organisation=organisation, start=at(open_day, 8),
                               end=at(open_day, 9), status="confirmed", title="Spotkanie", exclusive=True)
        Closure.objects.create(centre=centre, resource=room, start=at(open_day, 16), end=at(open_day, 17),
                               reason="Sprzątanie")
    # session, user, the centre, occupancy access, the search (7), staff menu, centres to choose, footer (3)
    with django_assert_max_num_queries(16):
        response = search(client, centre, open_day)
    assert len(found(response)) == size


def test_the_menu_and_the_resource_page_link_to_it(client, room):
    assert f'href="{en("web:free_rooms")}"' in client.get(en("web:home")).content.decode()
    week = client.get(en("web:resource_week", room.pk)).content.decode()
    assert f'href="{en("web:free_rooms")}?centre={room.centre_id}"' in week
