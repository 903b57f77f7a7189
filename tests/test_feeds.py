"""The calendar feeds over HTTP: what each shows, to whom, and how they behave towards polling calendar apps."""
import gzip
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import feeds as feeds_api
from booking.feeds import create_feed_token, resource_feed_url, revoke_feed_token, token_feed_url, webcal_url
from booking.models import Booking, BookingStatus, FeedToken, Resource
from booking.services import approve_booking, cancel_booking, reject_booking, update_booking_details
from ngo.models import Membership
from ngo.services import remove_member
from tests import factories
from tests.factories import at
from tests.test_ical import POLISH_PURPOSE, POLISH_TITLE, events_of, parse

HOST = "127.0.0.1"


def uid(booking):
    return f"booking-{booking.pk}@{HOST}"


def path_of(url):
    return url.removeprefix(settings.SITE_URL.rstrip("/"))


def fetch(client, url, **headers):
    return client.get(path_of(url), **headers)


@pytest.fixture
def coordinator(organisation):
    user = factories.make_user("ewa", first_name="Ewa", last_name="Zielińska")
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.COORDINATOR)
    return user


@pytest.fixture
def other_organisation(db):
    return factories.make_organisation("Fundacja Śląskie Talenty", members=[factories.make_user("olga")])


def organisation_feed(owner, organisation):
    _feed, raw = create_feed_token(owner=owner, scope=FeedToken.Scope.ORGANISATION, organisation=organisation)
    return token_feed_url(raw)

def feed_url(kind, *, member, staff_user, centre, room, organisation):
    """A new feed of `kind` (resource, organisation, person, centre) that shows `room`'s bookings."""
    if kind == "resource":
        return resource_feed_url(room)
    if kind == "organisation":
        return organisation_feed(member, organisation)
    if kind == "person":
        return token_feed_url(create_feed_token(owner=member, scope=FeedToken.Scope.PERSON)[1])
    return token_feed_url(create_feed_token(owner=staff_user, scope=FeedToken.Scope.CENTRE, centre=centre)[1])



# --- public occupancy ---------------------------------------------------------------------------------------

def test_resource_feed_shows_busy_blocks_titled_only_when_public(client, member, room, organisation, open_day):
    private = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Zebranie zarządu", purpose="Budżet")
    public = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=12,
                                    title="Dzień otwarty", public=True)

    response = fetch(client, resource_feed_url(room), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in response["Cache-Control"]
    events = events_of(response.content)
    assert {key: event[0] for key, event in events.items()} == {uid(private): "Zajęte",
                                                                uid(public): "Dzień otwarty"}
    assert events[uid(private)][1:3] == (private.start, private.end)
    for secret in (b"Zebranie", b"Bud\xc5\xbcet", b"Kowalski", b"Aktywni Seniorzy"):
        assert secret not in response.content


def test_resource_feed_exists_only_for_active_resources_with_public_occupancy(client, centre, room):
    hidden = factories.make_resource(centre, name="Pokój socjalny", occupancy_public=False)
    retired = factories.make_resource(centre, name="Stara sala", is_active=False)

    assert fetch(client, resource_feed_url(room)).status_code == 200
    assert fetch(client, resource_feed_url(hidden)).status_code == 404
    assert fetch(client, resource_feed_url(retired)).status_code == 404
    assert client.get("/feeds/resource/999999.ics").status_code == 404


def test_feed_window_and_statuses(client, member, staff_user, room, organisation, open_day):
    pending = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=8)
    confirmed = approve_booking(
        booking=factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=9),
        actor=staff_user)
    cancelled = cancel_booking(
        booking=factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10),
        actor=member)
    cancelled_long_ago = cancel_booking(
        booking=factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=11),
        actor=member)
    rejected = reject_booking(
        booking=factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=12),
        actor=staff_user, reason="Sala zajęta na remont")
    recent_past = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=13)
    long_past = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=14)
    far_ahead = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=15)
    now = timezone.now()
    Booking.objects.filter(pk=cancelled_long_ago.pk).update(updated_at=now - timedelta(days=31))
    for booking, moved_start in ((recent_past, now - timedelta(days=89)), (long_past, now - timedelta(days=91)),
                                 (far_ahead, now + timedelta(days=2 * 366))):
        Booking.objects.filter(pk=booking.pk).update(start=moved_start, end=moved_start + timedelta(hours=1))

    events = events_of(fetch(client, resource_feed_url(room)).content)

    assert {key: event[3:] for key, event in events.items()} == {
        uid(pending): ("TENTATIVE", 0),
        uid(confirmed): ("CONFIRMED", 1),
        uid(cancelled): ("CANCELLED", 1),
        uid(recent_past): ("TENTATIVE", 0),
    }
    assert rejected.status == BookingStatus.REJECTED


# The extremes a row written around the services may hold: the end of Python's calendar (23:00 UTC on its last
# day is already year 10000 in Warsaw), and its beginning.
END_OF_TIME = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
BEGINNING_OF_TIME = datetime(1, 1, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["resource", "organisation", "person", "centre"])
def test_a_booking_with_extreme_stored_dates_leaves_every_feed_valid(client, caplog, kind, member, staff_user, centre,
                                                                    room, organisation, open_day):
    normal = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    endless, ancient = (Booking.objects.create(  # straight into the table, as the services would refuse them
        resource=room, organisation=organisation, created_by=member, title="Źle zapisana", start=start, end=end,
        status=BookingStatus.CONFIRMED, exclusive=room.is_single_unit,
    ) for start, end in ((at(open_day + timedelta(days=1), 10), END_OF_TIME),
                         (BEGINNING_OF_TIME, at(open_day - timedelta(days=1), 10))))
    url = feed_url(kind, member=member, staff_user=staff_user, centre=centre, room=room, organisation=organisation)

    response = fetch(client, url)

    assert response.status_code == 200
    assert set(events_of(response.content)) == {uid(normal)}
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    for left_out in (endless, ancient):
        assert any(f"Booking {left_out.pk} " in warning for warning in warnings), warnings


# --- token feeds --------------------------------------------------------------------------------------------

def test_organisation_feed_shows_the_organisation_bookings_in_full(client, english_member, coordinator, centre,
                                                                   room, organisation, other_organisation,
                                                                   open_day):
    mine = factories.make_booking(actor=english_member, resource=room, organisation=organisation, day=open_day, hour=10,
                                  title=POLISH_TITLE, purpose=POLISH_PURPOSE)
    colleagues = factories.make_booking(actor=coordinator, resource=room, organisation=organisation, day=open_day,
                                        hour=12, title="Walne zgromadzenie")
    factories.make_booking(actor=other_organisation.members.get(), resource=room, organisation=other_organisation,
                           day=open_day, hour=14, title="Cudze spotkanie")
    url = organisation_feed(english_member, organisation)

    response = fetch(client, url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert webcal_url(url) == "webcal://" + url.split("://")[1]
    events = events_of(response.content)
    assert events == {
        uid(mine): (POLISH_TITLE, mine.start, mine.end, "TENTATIVE", 0),
        uid(colleagues): ("Walne zgromadzenie", colleagues.start, colleagues.end, "TENTATIVE", 0),
    }
    loose, strict = parse(response.content)
    assert str(loose["X-WR-CALNAME"]) == "Stowarzyszenie Aktywni Seniorzy: bookings"
    event = next(event for event in strict.events if event.uid == uid(colleagues))
    assert client.get(path_of(event.url)).status_code == 200, "the link leads to a page"
    assert event.description.splitlines() == [
        "Organisation: Stowarzyszenie Aktywni Seniorzy",
        "Booked by: Ewa Zielińska",
        "Status: Awaiting approval",
        f"Details: {settings.SITE_URL}/en/resources/{room.pk}/?date={open_day.isoformat()}",
    ]


def test_person_feed_shows_only_what_the_person_booked(client, member, coordinator, room, organisation,
                                                       other_organisation, open_day):
    Membership.objects.create(user=member, organisation=other_organisation)
    own = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    own_elsewhere = factories.make_booking(actor=member, resource=room, organisation=other_organisation, day=open_day,
                                           hour=11)
    factories.make_booking(actor=coordinator, resource=room, organisation=organisation, day=open_day, hour=12)
    _feed, raw = create_feed_token(owner=member, scope=FeedToken.Scope.PERSON)

    events = events_of(fetch(client, token_feed_url(raw)).content)

    assert set(events) == {uid(own), uid(own_elsewhere)}


def test_centre_feed_shows_all_the_centre_bookings_to_its_staff(client, staff_user, member, centre, room,
                                                                organisation, other_organisation, open_day):
    other_centre = factories.make_centre("Centrum Pracy Socjalnej", staff=[factories.make_user("piotr")])
    elsewhere = factories.make_resource(other_centre, name="Sala B")
    ours = [factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10),
            factories.make_booking(actor=other_organisation.members.get(), resource=room,
                                   organisation=other_organisation, day=open_day, hour=12)]
    factories.make_booking(actor=member, resource=elsewhere, organisation=organisation, day=open_day, hour=10)
    _feed, raw = create_feed_token(owner=staff_user, scope=FeedToken.Scope.CENTRE, centre=centre)

    events = events_of(fetch(client, token_feed_url(raw)).content)

    assert set(events) == {uid(booking) for booking in ours}


def test_member_removed_from_the_organisation_gets_an_empty_feed(client, member, coordinator, room, organisation,
                                                                 open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    organisation_url = organisation_feed(member, organisation)
    _feed, raw = create_feed_token(owner=member, scope=FeedToken.Scope.PERSON)
    person_url = token_feed_url(raw)
    assert set(events_of(fetch(client, organisation_url).content)) == {uid(booking)}
    assert set(events_of(fetch(client, person_url).content)) == {uid(booking)}

    remove_member(membership=Membership.objects.get(user=member, organisation=organisation), actor=coordinator)
    factories.make_booking(actor=coordinator, resource=room, organisation=organisation, day=open_day, hour=12,
                           title="Nowe spotkanie")

    for url in (organisation_url, person_url):
        response = fetch(client, url)
        assert response.status_code == 200
        assert events_of(response.content) == {}
        assert b"Nowe spotkanie" not in response.content


def test_staff_removed_from_the_centre_gets_an_empty_feed(client, staff_user, member, centre, room, organisation,
                                                          open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    _feed, raw = create_feed_token(owner=staff_user, scope=FeedToken.Scope.CENTRE, centre=centre)
    assert len(events_of(fetch(client, token_feed_url(raw)).content)) == 1

    centre.staff.remove(staff_user)

    assert events_of(fetch(client, token_feed_url(raw)).content) == {}


def test_revoked_and_unknown_tokens_are_404_after_one_lookup(client, member, organisation):
    feed, raw = create_feed_token(owner=member, scope=FeedToken.Scope.ORGANISATION, organisation=organisation)
    url = token_feed_url(raw)
    assert fetch(client, url).status_code == 200

    revoke_feed_token(feed=feed, actor=member)

    for path in (path_of(url), "/feeds/" + "x" * 43 + ".ics"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 404
        assert len(queries) == 1


def test_unchanged_feed_answers_304_and_a_change_answers_200(client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    url = organisation_feed(member, organisation)
    first = fetch(client, url)
    etag, last_modified = first["ETag"], first["Last-Modified"]

    by_etag = fetch(client, url, HTTP_IF_NONE_MATCH=etag)
    by_date = fetch(client, url, HTTP_IF_MODIFIED_SINCE=last_modified)

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        assert "private" in response["Cache-Control"]

    cancel_booking(booking=booking, actor=member)
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": last_modified}):
        changed = fetch(client, url, **headers)
        assert changed.status_code == 200
        assert changed["ETag"] != etag
        assert events_of(changed.content)[uid(booking)][3:] == ("CANCELLED", 1)


def test_feed_shrinking_is_not_mistaken_for_unchanged(client, member, room, organisation, other_organisation,
                                                      coordinator, open_day):
    """A booking leaving a feed does not touch its updated_at; the feed still counts as modified."""
    Membership.objects.create(user=member, organisation=other_organisation)
    stays = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    factories.make_booking(actor=member, resource=room, organisation=other_organisation, day=open_day, hour=12)
    _feed, raw = create_feed_token(owner=member, scope=FeedToken.Scope.PERSON)
    first = fetch(client, token_feed_url(raw))

    Membership.objects.filter(user=member, organisation=other_organisation).delete()
    second = fetch(client, token_feed_url(raw), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert second.status_code == 200
    assert set(events_of(second.content)) == {uid(stays)}


def test_a_client_that_accepts_gzip_gets_the_same_calendar_gzipped(client, feed_cache, member, room, organisation,
                                                                   open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                           title=POLISH_TITLE, purpose=POLISH_PURPOSE)
    url = organisation_feed(member, organisation)
    plain = fetch(client, url)
    for _rendered_then_kept in range(2):
        packed = fetch(client, url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

        assert packed["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.content) == plain.content
        assert packed["ETag"] == plain["ETag"]
        assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert not plain.has_header("Content-Encoding")
    assert fetch(client, url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304


def test_head_request(client, room):
    response = client.head(path_of(resource_feed_url(room)))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["ETag"]


# --- caching and throttling ---------------------------------------------------------------------------------

@pytest.fixture(params=["locmem", "redis"])
def feed_cache(request, settings):
    """The cache the feeds keep their renderings in: this process's memory, or Redis as deployed."""
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache",
                                       "LOCATION": request.getfixturevalue("redis_url")}}
        cache.clear()
    yield request.param
    cache.clear()


def test_a_feed_is_rendered_once_per_change_and_served_from_the_cache(client, feed_cache, member, staff_user, room,
                                                                      organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    url = resource_feed_url(room)
    rendering, first = queries_for(client, url)
    assert rendering == 3  # the resource, the fingerprint, the bookings

    served, second = queries_for(Client(REMOTE_ADDR="203.0.113.9"), url)  # someone else, no If-None-Match

    # The bookings are not read again; where the cache is shared, nor is the version while nothing was written.
    assert served == (1 if feed_cache == "redis" else 2)
    assert second.content == first.content, "the same rendering, DTSTAMP included"
    assert second["ETag"] == first["ETag"]
    approve_booking(booking=booking, actor=staff_user)
    rendering, third = queries_for(client, url)
    assert rendering == 3
    assert events_of(third.content)[uid(booking)][3:] == ("CONFIRMED", 1)


@pytest.mark.parametrize("change", ["resource name", "centre address", "organisation name", "person's name",
                                    "owner's language"])
def test_what_the_events_show_besides_the_bookings_makes_a_new_version(client, change, english_member, room, centre,
                                                                      organisation, open_day):
    factories.make_booking(actor=english_member, resource=room, organisation=organisation, day=open_day, hour=10)
    _feed, raw = create_feed_token(owner=english_member, scope=FeedToken.Scope.PERSON)
    url = token_feed_url(raw)
    before = fetch(client, url)
    shown = {"resource name": (room, "name", "Sala kominkowa"),
             "centre address": (centre, "street", "ul. Wolności 1"),
             "organisation name": (organisation, "name", "Klub Seniora Jutrzenka"),
             "person's name": (english_member, "last_name", "Nowakowski"),
             "owner's language": (english_member, "language", "pl")}
    thing, field, value = shown[change]
    type(thing).objects.filter(pk=thing.pk).update(**{field: value})  # no booking changes

    after = fetch(client, url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    expected = value if change != "owner's language" else "Organizacja: "
    assert expected in after.content.decode().replace("\r\n ", "")
    assert expected not in before.content.decode().replace("\r\n ", "")


SHOWN_CHANGES = ["booking cancelled", "booking's title", "booking added straight into the table", "series booked",
                 "booking removed by hand", "resource renamed", "resource moved to another centre", "centre address",
                 "centre's time zone", "organisation name", "person's name", "owner's language", "owner deactivated"]
CHANGES = ([("organisation", change) for change in SHOWN_CHANGES] + [("centre", change) for change in SHOWN_CHANGES]
           + [("organisation", "owner left the organisation"), ("centre", "owner removed from the staff")])


def make_change(change, *, owner, booking, member, staff_user, room, centre, organisation, open_day):
    """Change one thing a feed shows (or whether its owner may see it), by the service where one exists, else by a
    straight write to the table."""
    if change == "booking cancelled":
        cancel_booking(booking=booking, actor=member)
    elif change == "booking's title":
        update_booking_details(booking=booking, actor=member, title="Walne zgromadzenie")
    elif change == "booking added straight into the table":
        add_bookings(room, organisation, member, 1, at(open_day + timedelta(days=1), 8))
    elif change == "series booked":
        factories.make_series(resource=room, organisation=organisation, actor=member, day=open_day, hour=14,
                              rrule="FREQ=WEEKLY;COUNT=2", title="Klub szachowy")
    elif change == "booking removed by hand":
        Booking.objects.filter(pk=booking.pk).delete()
    elif change == "resource renamed":
        Resource.objects.filter(pk=room.pk).update(name="Sala kominkowa")
    elif change == "resource moved to another centre":
        Resource.objects.filter(pk=room.pk).update(centre=factories.make_centre("Centrum Nowe", staff=[staff_user]))
    elif change == "centre address":
        type(centre).objects.filter(pk=centre.pk).update(street="ul. Wolności 1")
    elif change == "centre's time zone":
        type(centre).objects.filter(pk=centre.pk).update(time_zone="Europe/London")
    elif change == "organisation name":
        type(organisation).objects.filter(pk=organisation.pk).update(name="Klub Seniora Jutrzenka")
    elif change == "person's name":  # who booked, shown in the description
        type(member).objects.filter(pk=member.pk).update(last_name="Nowakowski")
    elif change == "owner's language":
        type(owner).objects.filter(pk=owner.pk).update(language="en")
    elif change == "owner deactivated":
        type(owner).objects.filter(pk=owner.pk).update(is_active=False)
    elif change == "owner left the organisation":
        Membership.objects.filter(user=owner, organisation=organisation).delete()
    else:
        centre.staff.remove(owner)


@pytest.mark.parametrize(("kind", "change"), CHANGES)
def test_a_304_becomes_a_200_with_the_new_content_after_each_kind_of_change(client, feed_cache, kind, change, member,
                                                                           staff_user, centre, room, organisation,
                                                                           open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Zebranie zarządu")
    url = feed_url(kind, member=member, staff_user=staff_user, centre=centre, room=room, organisation=organisation)
    before = fetch(client, url)
    assert len(events_of(before.content)) == 1
    for _twice in range(2):  # the second from the generation, where the cache is shared
        assert fetch(client, url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    make_change(change, owner=member if kind == "organisation" else staff_user, booking=booking, member=member,
                staff_user=staff_user, room=room, centre=centre, organisation=organisation, open_day=open_day)
    after = fetch(client, url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content
    assert fetch(client, url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304
    assert fetch(client, url).content == after.content


def test_a_write_elsewhere_costs_a_304_the_version_not_a_rendering(client, feed_cache, member, staff_user, room,
                                                                  organisation, other_organisation, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    url = organisation_feed(member, organisation)
    etag = fetch(client, url)["ETag"]
    with CaptureQueriesContext(connection) as unchanged:
        assert fetch(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    other_organisation.name = "Fundacja Zmieniona"  # another organisation, not in this feed
    other_organisation.save()
    with CaptureQueriesContext(connection) as after_a_write:
        assert fetch(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert len(unchanged) == (1 if feed_cache == "redis" else 2)  # the token; the version unless the cache is shared
    assert len(after_a_write) == 2  # the token and the version: a new generation, but the same version
    with CaptureQueriesContext(connection) as again:
        assert fetch(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(again) == len(unchanged)


def test_a_verified_version_is_read_again_after_a_while(client, redis_url, settings, member, room, organisation,
                                                        open_day):
    """A change the generation missed (a write outside Django) shows within VERIFIED_FOR."""
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    cache.clear()
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    url = organisation_feed(member, organisation)
    etag = fetch(client, url)["ETag"]
    with mock.patch.object(connection, "execute_wrappers", []):  # as if written by hand, outside Django
        Booking.objects.filter(pk=booking.pk).update(title="Przez psql", sequence=5, updated_at=timezone.now())

    assert fetch(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    later = timezone.now() + feeds_api.VERIFIED_FOR + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        changed = fetch(client, url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "Przez psql" in changed.content.decode()
    cache.clear()


def test_a_client_over_the_feed_rate_is_told_to_wait(client, settings, room, member, organisation):
    settings.FEED_RATE = "3/minute"
    token_url = organisation_feed(member, organisation)
    urls = [resource_feed_url(room), token_url, resource_feed_url(room)]
    assert [fetch(client, url).status_code for url in urls] == [200, 200, 200]

    with CaptureQueriesContext(connection) as queries:
        refused = fetch(client, token_url, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 429
    assert len(queries) == 0, "refused before the token is looked up"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert refused.content.decode().startswith("Zbyt wiele zapytań o kalendarze. Spróbuj ponownie za ")  # Polish
    # An invented X-Forwarded-For does not make a new client; another address is one.
    assert fetch(client, token_url, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert fetch(Client(REMOTE_ADDR="203.0.113.9"), token_url).status_code == 200


# --- cost ---------------------------------------------------------------------------------------------------

def add_bookings(resource, organisation, person, how_many, first_start):
    """Test data straight into the table: consecutive, non-overlapping hours."""
    Booking.objects.bulk_create(
        Booking(resource=resource, organisation=organisation, created_by=person, title=f"Dyżur {number}",
                purpose="Porady dla seniorów", start=first_start + timedelta(hours=number),
                end=first_start + timedelta(hours=number + 1), status=BookingStatus.CONFIRMED,
                exclusive=resource.is_single_unit)
        for number in range(how_many)
    )


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = fetch(client, url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("kind", ["resource", "organisation", "person", "centre"])
def test_query_count_does_not_grow_with_bookings(client, django_assert_num_queries, kind, member, staff_user,
                                                 centre, room, organisation, open_day):
    url = feed_url(kind, member=member, staff_user=staff_user, centre=centre, room=room, organisation=organisation)
    add_bookings(room, organisation, member, 1, at(open_day, 0))
    with_one, response = queries_for(client, url)
    assert len(events_of(response.content)) == 1

    add_bookings(room, organisation, member, 499, at(open_day + timedelta(days=1), 0))
    with django_assert_num_queries(with_one):
        response = fetch(client, url)

    assert len(events_of(response.content)) == 500
    assert with_one == 3  # the token or resource, the fingerprint (ETag), the bookings with all they show


def test_occupancy_of_a_multi_unit_resource(client, staff_user, centre, organisation, open_day):
    dormitory = factories.make_resource(centre, kind=Resource.Kind.ACCOMMODATION, name="Pokój 3", units=4,
                                        requires_approval=False)
    stay = factories.make_booking(actor=staff_user, resource=dormitory, organisation=organisation,
                                  start=at(open_day, 15), end=at(open_day + timedelta(days=2), 10),
                                  title="Nocleg trenerów", quantity=3,
                                  override_reason="Check-out on a holiday is fine for this test")

    events = events_of(fetch(client, resource_feed_url(dormitory), HTTP_ACCEPT_LANGUAGE="en").content)

    assert events[uid(stay)] == ("Zajęte (3 z 4) (2 noce)", stay.start, stay.end, "CONFIRMED", 0)
