"""A centre's public agenda and its iCalendar, RSS and Atom feeds: open events only, with their organisations."""
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from booking.feeds import public_events_feed_url
from booking.models import Booking, BookingStatus
from booking.services import cancel_booking
from tests import factories
from tests.factories import at
from tests.test_feeds import fetch, uid
from tests.test_ical import events_of, parse

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def hall(centre):
    return factories.make_resource(centre, name="Sala szkoleniowa", requires_approval=False)


@pytest.fixture
def events(centre, room, hall, member, organisation, open_day):
    """A public screening and a private board meeting beside it, and what must stay off the agenda: a public
    request awaiting approval, a public event in a room whose occupancy is not published, another centre's."""
    hidden_room = factories.make_resource(centre, name="Biuro", occupancy_public=False, requires_approval=False)
    elsewhere = factories.make_resource(factories.make_centre("Centrum Pracy Socjalnej"), requires_approval=False)
    other = factories.make_organisation("Klub Rodziców Chorzów", members=[factories.make_user("ola")])
    book = factories.make_booking
    return {
        "screening": book(resource=hall, organisation=organisation, day=open_day, hour=16, hours=2, public=True,
                          title="Kulturalnik: pokaz filmu „Rejs”"),
        "board": book(resource=hall, organisation=other, day=open_day, hour=10, title="Zebranie zarządu"),
        "assembly": book(resource=hall, organisation=other, day=open_day + timedelta(days=1), hour=12, public=True,
                         title="Walne zebranie otwarte dla mieszkańców"),
        "pending": book(resource=room, organisation=organisation, day=open_day, hour=12, public=True,
                        title="Prośba o salę"),
        "hidden": book(resource=hidden_room, organisation=organisation, day=open_day, hour=12, public=True,
                       title="Ukryte wydarzenie"),
        "elsewhere": book(resource=elsewhere, organisation=other, day=open_day, hour=12, public=True,
                          title="Gdzie indziej"),
    }


SECRETS = ("Zebranie zarządu", "Prośba o salę", "Ukryte wydarzenie", "Gdzie indziej")


def test_the_agenda_shows_public_events_by_day_with_their_organisations(client, centre, events, open_day):
    assert events["pending"].status == BookingStatus.PENDING
    page = client.get(f"/en/centres/{centre.pk}/agenda/").content.decode()

    assert "Kulturalnik: pokaz filmu „Rejs”" in page and "Walne zebranie otwarte dla mieszkańców" in page
    assert page.index("Kulturalnik") < page.index("Walne zebranie")
    assert "Stowarzyszenie Aktywni Seniorzy" in page and "Klub Rodziców Chorzów" in page
    assert "16:00–18:00" in page and f'id="event-{events["screening"].pk}"' in page
    assert page.count('class="agenda-day"') == 2
    for secret in SECRETS:
        assert secret not in page
    feed = public_events_feed_url(centre)
    assert f'href="{feed}"' in page and f'href="webcal://{feed.split("://")[1]}"' in page
    assert f'href="/feeds/centre/{centre.pk}/public.rss"' in page


def test_past_and_cancelled_events_leave_the_agenda(client, centre, events, member):
    cancel_booking(booking=events["screening"], actor=member)
    Booking.objects.filter(pk=events["assembly"].pk).update(
        start=events["assembly"].start - timedelta(days=30), end=events["assembly"].end - timedelta(days=30))
    page = client.get(f"/en/centres/{centre.pk}/agenda/").content.decode()
    assert "No public events are planned yet." in page


def test_the_ical_feed_holds_the_public_events_only_and_parses_strictly(client, centre, events, member):
    cancel_booking(booking=events["assembly"], actor=events["assembly"].organisation.members.first())
    response = fetch(client, public_events_feed_url(centre))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in response["Cache-Control"]
    found = events_of(response.content)  # icalendar and the strict `ical` agree
    assert {key: (value[0], value[3]) for key, value in found.items()} == {
        uid(events["screening"]): ("Kulturalnik: pokaz filmu „Rejs”", "CONFIRMED"),
        uid(events["assembly"]): ("Walne zebranie otwarte dla mieszkańców", "CANCELLED"),
    }
    loose, strict = parse(response.content)
    screening = next(event for event in strict.events if event.uid == uid(events["screening"]))
    assert screening.description == "Organizacja: Stowarzyszenie Aktywni Seniorzy"
    assert str(loose["X-WR-CALNAME"]).startswith("Centrum Aktywizacji Społecznej: ")
    for secret in SECRETS:
        assert secret.encode() not in response.content
    assert b"Kowalski" not in response.content  # who booked stays out

    etag = response["ETag"]
    assert fetch(client, public_events_feed_url(centre), HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_news_feeds_hold_the_public_events_only(client, centre, events, kind):
    response = client.get(f"/feeds/centre/{centre.pk}/public.{kind}")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    root = ElementTree.fromstring(response.content)
    if kind == "rss":
        items = [(item.findtext("title"), item.findtext("guid"), item.findtext("description"))
                 for item in root.iter("item")]
    else:
        items = [(entry.findtext(f"{ATOM}title"), entry.findtext(f"{ATOM}id"), entry.findtext(f"{ATOM}summary"))
                 for entry in root.iter(f"{ATOM}entry")]
    assert [(title, guid) for title, guid, _ in items] == [
        ("Kulturalnik: pokaz filmu „Rejs”", uid(events["screening"])),
        ("Walne zebranie otwarte dla mieszkańców", uid(events["assembly"])),
    ]
    assert "Stowarzyszenie Aktywni Seniorzy" in items[0][2] and "Sala szkoleniowa" in items[0][2]
    for secret in SECRETS:
        assert secret.encode() not in response.content
    etag = response["ETag"]
    assert client.get(f"/feeds/centre/{centre.pk}/public.{kind}", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_unknown_centre_is_404_everywhere(client):
    for url in ("/en/centres/999999/agenda/", "/feeds/centre/999999/public.ics", "/feeds/centre/999999/public.rss",
                "/feeds/centre/999999/public.atom"):
        assert client.get(url).status_code == 404, url


def test_agenda_and_feeds_cost_a_bounded_number_of_queries(client, centre, hall, organisation, member, open_day,
                                                           django_assert_max_num_queries):
    Booking.objects.bulk_create(
        Booking(resource=hall, organisation=organisation, created_by=member, title=f"Warsztaty {number}",
                start=at(open_day, 7) + timedelta(days=number), end=at(open_day, 9) + timedelta(days=number),
                status=BookingStatus.CONFIRMED, public=True, exclusive=True)
        for number in range(60)
    )
    for url in (f"/en/centres/{centre.pk}/agenda/", f"/feeds/centre/{centre.pk}/public.rss",
                f"/feeds/centre/{centre.pk}/public.atom", f"/feeds/centre/{centre.pk}/public.ics"):
        with django_assert_max_num_queries(5):
            response = client.get(url)
        assert response.status_code == 200 and b"Warsztaty 59" in response.content, url
