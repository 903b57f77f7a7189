"""The reception screen and its JSON, and the door signs with their QR codes: what anyone at the entrance sees."""
import io
import re
from datetime import datetime, time, timedelta

import pytest
import zxingcpp
from django.conf import settings
from django.utils import timezone
from PIL import Image

from booking.localtime import day_bounds
from booking.models import Booking, BookingStatus, Closure, Resource
from booking.qrcodes import qr_code, resource_week_url
from booking.screen import screen_day
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db


def add(resource, organisation, start, end, title, *, public=False, status=BookingStatus.CONFIRMED):
    """A booking straight into the table: the screen shows today, which the booking rules no longer accept."""
    return Booking.objects.create(resource=resource, organisation=organisation, start=start, end=end, title=title,
                                  public=public, status=status, exclusive=resource.is_single_unit)


def today_bounds(centre):
    return day_bounds(timezone.now().astimezone(centre.tz).date(), centre.tz)


@pytest.fixture
def day(centre, room, organisation):
    """Today at the centre: a public workshop in the room all day, a private meeting in a second room all day, and
    what the screen must not show: a request awaiting approval, a room whose occupancy is not public, tomorrow."""
    first, last = today_bounds(centre)
    kitchen = factories.make_resource(centre, name="Kuchnia warsztatowa")
    office = factories.make_resource(centre, name="Biuro zarządu", occupancy_public=False)
    factories.make_resource(centre, kind=Resource.Kind.LOCKER, name="Szafka 1")
    other = factories.make_organisation("Fundacja Tajne Przez Poufne", centres=[centre])
    return {
        "first": first, "last": last, "kitchen": kitchen, "office": office,
        "workshop": add(room, organisation, first, last, "Warsztaty decoupage", public=True),
        "private": add(kitchen, other, first, last, "Zebranie zarządu w sprawie budżetu"),
        "pending": add(factories.make_resource(centre, name="Pracownia"), other, first, last, "Prośba czekająca",
                       status=BookingStatus.PENDING, public=True),
        "hidden": add(office, other, first, last, "Rozmowa kadrowa", public=True),
        "tomorrow": add(room, organisation, last, last + timedelta(hours=1), "Jutrzejsze spotkanie", public=True),
    }


def test_the_screen_shows_today_per_room_with_only_what_is_public(client, centre, room, day):
    response = client.get(f"/en/centres/{centre.pk}/screen/")
    page = response.content.decode()

    assert response.status_code == 200
    assert 'data-refresh="30"' in page and f'data-url="/en/centres/{centre.pk}/screen/data/"' in page
    assert "Sala spotkań" in page and "Kuchnia warsztatowa" in page
    assert "Warsztaty decoupage" in page and "Stowarzyszenie Aktywni Seniorzy" in page
    for secret in ("Zebranie zarządu", "Fundacja Tajne", "Prośba czekająca", "Biuro zarządu", "Rozmowa kadrowa",
                   "Szafka 1", "Jutrzejsze"):
        assert secret not in page
    kitchen = page[page.index(f'data-room="{day["kitchen"].pk}"'):]
    assert re.search(r'<span class="who">Booking</span>', kitchen)


def test_the_json_holds_what_the_page_shows_and_nothing_more(client, centre, room, day):
    response = client.get(f"/en/centres/{centre.pk}/screen/data/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "public" in response["Cache-Control"] and "max-age=15" in response["Cache-Control"]
    data = response.json()
    assert [room_data["name"] for room_data in data["rooms"]] == ["Kuchnia warsztatowa", "Pracownia", "Sala spotkań"]
    kitchen, workshop_room, meeting_room = data["rooms"]
    assert workshop_room["bookings"] == [] and workshop_room["now"] is None
    workshop = {"start": "00:00", "end": "24:00", "who": "Stowarzyszenie Aktywni Seniorzy",
                "title": "Warsztaty decoupage", "now": True, "over": False}
    assert meeting_room == {"id": room.pk, "name": "Sala spotkań", "now": workshop, "next": None,
                            "bookings": [workshop]}
    assert kitchen["now"] == {"start": "00:00", "end": "24:00", "who": "Booking", "title": "", "now": True,
                              "over": False}
    assert data["hours"] in ("Closed today", "Open today: 07:00–18:00", "Open today: 07:00–14:00")
    body = response.content.decode()
    for secret in ("Zebranie", "Fundacja Tajne", "Prośba", "Rozmowa"):
        assert secret not in body


def test_an_unchanged_day_answers_304(client, centre, day):
    url = f"/en/centres/{centre.pk}/screen/data/"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    Booking.objects.filter(pk=day["private"].pk).delete()
    add(day["kitchen"], day["workshop"].organisation, day["first"], day["last"] - timedelta(hours=1), "Nowe")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_polling_interval_is_a_setting(client, centre, settings):
    settings.SCREEN_REFRESH_SECONDS = 2
    assert 'data-refresh="2"' in client.get(f"/centres/{centre.pk}/screen/").content.decode()
    assert "max-age=1" in client.get(f"/centres/{centre.pk}/screen/data/")["Cache-Control"]


def test_now_next_and_over_follow_the_clock(centre, room, organisation, open_day):
    morning = add(room, organisation, at(open_day, 9), at(open_day, 10), "Joga", public=True)
    noon = add(room, organisation, at(open_day, 11), at(open_day, 13), "Obiad czwartkowy")
    evening = add(room, organisation, at(open_day, 16), at(open_day, 18), "Kino", public=True)

    (shown,) = screen_day(centre, now=at(open_day, 11, 30)).rooms

    assert [(b.pk, b.start, b.end, b.now, b.over) for b in shown.bookings] == [
        (morning.pk, "09:00", "10:00", False, True), (noon.pk, "11:00", "13:00", True, False),
        (evening.pk, "16:00", "18:00", False, False)]
    assert (shown.current.pk, shown.current.title, shown.current.organisation) == (noon.pk, None, None)
    assert (shown.next.pk, shown.next.title) == (evening.pk, "Kino")
    between = screen_day(centre, now=at(open_day, 13, 30)).rooms[0]
    assert between.current is None and between.next.pk == evening.pk


def test_hours_and_closures_of_the_day(centre, room, organisation, open_day):
    Closure.objects.create(centre=centre, resource=room, start=at(open_day, 12), end=at(open_day, 14),
                           reason="Malowanie")
    day = screen_day(centre, now=at(open_day, 8))
    assert day.hours == ["07:00–18:00"]
    assert [(c.reason, c.room, c.start, c.end) for c in day.closures] == [
        ("Malowanie", "Sala spotkań", "12:00", "14:00")]

    Closure.objects.create(centre=centre, start=at(open_day, 0), end=at(open_day + timedelta(days=1), 0),
                           reason="Szkolenie personelu")
    assert screen_day(centre, now=at(open_day, 8)).hours == []


def test_the_screen_names_todays_closures_and_hours(client, centre, room):
    first, last = today_bounds(centre)
    Closure.objects.create(centre=centre, resource=room, start=first - timedelta(days=1),
                           end=datetime.combine(first.date(), time(22), tzinfo=centre.tz), reason="Malowanie")
    Closure.objects.create(centre=centre, start=first - timedelta(days=1), end=last + timedelta(days=1),
                           reason="Awaria ogrzewania")
    data = client.get(f"/en/centres/{centre.pk}/screen/data/").json()
    assert data["closures"][-2:] == ["Sala spotkań: Malowanie (until 22:00)",
                                     "The whole centre: Awaria ogrzewania (all day)"]
    assert data["hours"] == "Closed today"


def test_the_screen_costs_the_same_few_queries_for_many_rooms(client, centre, organisation,
                                                               django_assert_max_num_queries):
    first, last = today_bounds(centre)
    for number in range(12):
        resource = factories.make_resource(centre, name=f"Sala {number}")
        for hour in range(0, 20, 2):
            add(resource, organisation, first + timedelta(hours=hour), first + timedelta(hours=hour + 1),
                f"Spotkanie {hour}", public=hour % 4 == 0)
    with django_assert_max_num_queries(6):
        assert client.get(f"/en/centres/{centre.pk}/screen/").status_code == 200
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/en/centres/{centre.pk}/screen/data/").json()["rooms"]) == 12


def test_unknown_centre_is_404(client):
    assert client.get("/en/centres/999999/screen/").status_code == 404
    assert client.get("/en/centres/999999/screen/data/").status_code == 404
    assert client.post("/en/centres/999999/screen/data/").status_code == 405


# --- door signs -------------------------------------------------------------------------------------------

def decode(png: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_qr_code_decodes_to_the_rooms_absolute_week_address(room):
    url = resource_week_url(room)
    assert url == f"{settings.SITE_URL}/resources/{room.pk}/"
    png = io.BytesIO()
    qr_code(url).save(png, kind="png", scale=6)
    assert decode(png.getvalue()) == [url]


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_door_sign_shows_name_capacity_equipment_and_the_qr_code(client, room, size):
    room.amenities = ["rzutnik", "tablica"]
    room.save()
    page = client.get(f"/en/resources/{room.pk}/sign/?size={size}").content.decode()

    assert f'class="door-sign door-sign-{size}"' in page
    assert "Sala spotkań" in page and "12 people" in page and "rzutnik, tablica" in page
    url = resource_week_url(room)
    svg = qr_code(url).svg_inline(dark="#000", light="#fff", border=4, omitsize=True, svgclass="qr", lineclass=None)
    assert svg in page and url in page


def test_door_sign_costs_a_few_queries(client, room, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(f"/en/resources/{room.pk}/sign/?size=a5").status_code == 200


def test_door_sign_of_an_inactive_or_unknown_resource_is_404(client, centre):
    retired = factories.make_resource(centre, name="Stara sala", is_active=False)
    assert client.get(f"/en/resources/{retired.pk}/sign/").status_code == 404
    assert client.get("/en/resources/999999/sign/").status_code == 404


def test_the_centre_page_links_the_agenda_the_screen_and_the_signs(client, centre, room):
    page = client.get(f"/en/centres/{centre.pk}/").content.decode()
    for url in (f"/en/centres/{centre.pk}/agenda/", f"/en/centres/{centre.pk}/screen/",
                f"/en/resources/{room.pk}/sign/"):
        assert f'href="{url}"' in page
