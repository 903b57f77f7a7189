"""REST API v1 through HTTP (DRF's APIClient): each endpoint for each role, the denials, the error shape."""
import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone
from rest_framework.test import APIClient

from api.authentication import issue_token
from api.models import ApiToken
from booking import services
from booking.availability import public_holiday
from booking.models import Booking, BookingStatus, Closure, FeedToken, Resource
from ngo.models import Membership, Organisation
from tests import factories
from tests.factories import at

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    """Throttle counters live in the cache: start every test from zero. A fast hasher keeps logins quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def assert_error(response, status_code, code=None):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert {"code", "detail", "fields"} <= set(body), body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


class World:
    """Two centres with a room each, two organisations, and one person for every role."""

    def __init__(self):
        self.staff_a = factories.make_user("anna")
        self.staff_b = factories.make_user("bartek")
        self.member = factories.make_user("jan")
        self.coordinator = factories.make_user("kasia")
        self.other_member = factories.make_user("ola")
        self.outsider = factories.make_user("piotr")
        self.superuser = factories.make_user("root", is_superuser=True, is_staff=True)
        self.centre_a = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[self.staff_a])
        self.centre_b = factories.make_centre("Centrum Pracy Socjalnej", staff=[self.staff_b])
        self.room_a = factories.make_resource(self.centre_a, name="Sala szkoleniowa", capacity=20)
        self.room_b = factories.make_resource(self.centre_b, name="Sala spotkań", capacity=12)
        self.organisation = factories.make_organisation("Aktywni Seniorzy", members=[self.member],
                                                        coordinators=[self.coordinator], centres=[self.centre_a])
        self.other_organisation = factories.make_organisation("Klub Rowerowy", members=[self.other_member],
                                                              centres=[self.centre_b])
        self.day = factories.next_open_weekday(1, centre=self.centre_a)

    def next_open_day(self, after):
        day = after + timedelta(days=1)
        while day.weekday() >= 5 or public_holiday(self.centre_a, day):
            day += timedelta(days=1)
        return day


@pytest.fixture
def world(db):
    return World()


def booking_payload(world, **fields):
    payload = {
        "resource": world.room_a.pk, "organisation": world.organisation.pk,
        "start": at(world.day, 10).isoformat(), "end": at(world.day, 11).isoformat(),
        "title": "Warsztaty kulinarne", "attendees": 8,
    }
    payload.update(fields)
    return payload


# --- Authentication, throttling and the error shape -------------------------------------------

def test_token_endpoint_gives_a_token_that_is_stored_only_hashed(world):
    response = APIClient().post(f"{API}/auth/token/", {"username": "jan", "password": "jan"})

    assert response.status_code == 200
    token = response.json()["token"]
    stored = ApiToken.objects.get(user=world.member)
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash=token).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/bookings/").status_code == 200


def test_an_unexpected_failure_answers_in_the_error_shape_too(world, monkeypatch):
    def database_gone(**kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "create_booking", database_gone)
    client = client_for(world.member)
    client.raise_request_exception = False

    response = client.post(f"{API}/bookings/", booking_payload(world), format="json")
    english = client.post(f"{API}/bookings/", booking_payload(world), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "spróbuj ponownie" in response.json()["detail"].lower()
    assert english.status_code == 500 and "try again" in english.json()["detail"]
    assert "closed the connection" not in response.content.decode()  # no internals leak


def test_token_endpoint_refuses_a_wrong_password(world):
    response = APIClient().post(f"{API}/auth/token/", {"username": "jan", "password": "wrong"})

    assert_error(response, 400, "invalid_credentials")
    assert not ApiToken.objects.exists()


def test_deleting_the_token_signs_it_out(world):
    client = client_for(world.member)

    assert client.delete(f"{API}/auth/token/").status_code == 204
    assert_error(client.get(f"{API}/bookings/"), 401, "authentication_failed")


def test_anonymous_caller_gets_401_with_the_error_shape(world):
    response = APIClient().get(f"{API}/bookings/")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_an_invalid_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(client.get(f"{API}/centres/"), 401, "authentication_failed")


def test_a_token_expires_after_the_configured_days_and_a_new_one_works(world, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    token = APIClient().post(f"{API}/auth/token/", {"username": "jan", "password": "jan"}).json()["token"]
    stored = ApiToken.objects.get(user=world.member)
    assert abs(stored.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/bookings/").status_code == 200

    ApiToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(f"{API}/bookings/")
    body = assert_error(response, 401, "token_expired")
    assert body["detail"] == "Token wygasł; poproś o nowy." and response["WWW-Authenticate"] == "Token"
    assert_error(client.get(f"{API}/centres/"), 401, "token_expired")  # even where no login is needed

    fresh = APIClient().post(f"{API}/auth/token/", {"username": "jan", "password": "jan"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get(f"{API}/bookings/").status_code == 200
    assert not ApiToken.objects.filter(pk=stored.pk).exists()  # the expired one is gone


def test_session_authentication_needs_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.member)

    refused = client.post(f"{API}/bookings/", booking_payload(world), format="json")
    assert_error(refused, 403, "permission_denied")
    assert "CSRF" in refused.json()["detail"]

    secret = "a" * 32  # what a page would have put in the cookie and echoes in the header
    client.cookies["csrftoken"] = secret
    accepted = client.post(f"{API}/bookings/", booking_payload(world), format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201, accepted.content


def test_token_endpoint_is_throttled(world, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the lockout after wrong passwords (tests/test_accounts.py) would answer first
    client = APIClient()
    statuses = [client.post(f"{API}/auth/token/", {"username": "jan", "password": "wrong"}).status_code
                for _ in range(11)]

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    throttled = client.post(f"{API}/auth/token/", {"username": "jan", "password": "jan"})
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    # An invented X-Forwarded-For does not make a new caller.
    assert client.post(f"{API}/auth/token/", {"username": "jan", "password": "jan"},
                       HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429


def test_anonymous_callers_are_throttled(world):
    client = APIClient()
    statuses = [client.get(f"{API}/centres/").status_code for _ in range(121)]

    assert statuses[:120] == [200] * 120
    assert_error(client.get(f"{API}/resources/"), 429, "throttled")
    # Signed-in callers are not counted with the anonymous ones.
    assert client_for(world.member).get(f"{API}/centres/").status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_unsupported_method_is_405_with_the_error_shape(world, method):
    booking = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                     day=world.day)

    response = getattr(client_for(world.member), method)(f"{API}/bookings/{booking.pk}/", {}, format="json")

    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize("path", [
    "/api/v1/nothing/", "/api/v1/bookings/abc/", "/api/v1/bookings/99999999999999999999999/",
    "/api/v1/resources/-1/availability/", "/api/v2/centres/", "/api/v1/feeds/1.5/",
    "/api/v1/organisations/1/members/%0A/",
])
def test_unknown_paths_and_ids_are_404_with_the_error_shape(world, path):
    assert_error(client_for(world.member).get(path), 404, "not_found")


def test_malformed_json_is_400(world):
    response = client_for(world.member).post(f"{API}/bookings/", "{not json", content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_form_encoded_body_is_415(world):
    response = client_for(world.member).post(f"{API}/bookings/", {"title": "x"}, format="multipart")

    assert_error(response, 415, "unsupported_media_type")


def test_lists_are_paginated(world):
    for hour in range(7, 17):
        factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                               day=world.day, hour=hour)
    client = client_for(world.member)

    first = client.get(f"{API}/bookings/", {"page_size": 4}).json()
    assert first["count"] == 10 and len(first["results"]) == 4 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=4" in first["next"]
    last = client.get(f"{API}/bookings/", {"page_size": 4, "page": 3}).json()
    assert len(last["results"]) == 2 and last["next"] is None
    assert_error(client.get(f"{API}/bookings/", {"page": 4, "page_size": 4}), 404, "not_found")


@pytest.mark.parametrize("params", [{"page": ""}, {"page": "0"}, {"page": "two"}, {"page_size": "1.0"},
                                    {"page_size": ""}, {"page_size": "-5"}, {"resource": ""}, {"resource": "1.0"},
                                    {"organisation": "-1"}, {"status": ""}, {"start": ""}])
def test_a_query_parameter_given_must_carry_a_valid_value(world, params):
    body = assert_error(client_for(world.member).get(f"{API}/bookings/", params), 400)

    assert set(body["fields"]) == set(params)


# --- Centres ----------------------------------------------------------------------------------

def test_anyone_reads_centres_with_hours_and_upcoming_closures(world):
    now = timezone.now()
    Closure.objects.create(centre=world.centre_a, start=now - timedelta(days=10), end=now - timedelta(days=9),
                           reason="Past painting")
    Closure.objects.create(centre=world.centre_a, start=now + timedelta(days=3), end=now + timedelta(days=4),
                           reason="Malowanie")

    response = APIClient().get(f"{API}/centres/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    centre = next(c for c in body["results"] if c["id"] == world.centre_a.pk)
    assert [(h["weekday"], h["opens"], h["closes"]) for h in centre["opening_hours"]][-1] == (4, "07:00:00", "14:00:00")
    assert [c["reason"] for c in centre["upcoming_closures"]] == ["Malowanie"]
    detail = APIClient().get(f"{API}/centres/{world.centre_b.pk}/")
    assert detail.json()["name"] == "Centrum Pracy Socjalnej"


@pytest.mark.parametrize("rows", [1, 50])
def test_centre_list_query_count_does_not_grow(db, rows, django_assert_max_num_queries):
    for _ in range(rows):
        centre = factories.make_centre()
        Closure.objects.create(centre=centre, start=timezone.now() + timedelta(days=1),
                               end=timezone.now() + timedelta(days=2), reason="Remont")

    with django_assert_max_num_queries(4):
        response = APIClient().get(f"{API}/centres/")
    assert len(response.json()["results"]) == rows


# --- Resources and availability ---------------------------------------------------------------

def test_resources_filter_by_centre_kind_and_capacity(world):
    locker = factories.make_resource(world.centre_a, kind=Resource.Kind.LOCKER, name="Szafka 1")
    client = APIClient()

    by_centre = client.get(f"{API}/resources/", {"centre": world.centre_a.pk}).json()["results"]
    assert {r["id"] for r in by_centre} == {world.room_a.pk, locker.pk}
    by_kind = client.get(f"{API}/resources/", {"kind": "locker"}).json()["results"]
    assert [r["id"] for r in by_kind] == [locker.pk]
    by_capacity = client.get(f"{API}/resources/", {"min_capacity": 15}).json()["results"]
    assert [r["id"] for r in by_capacity] == [world.room_a.pk]
    assert_error(client.get(f"{API}/resources/", {"kind": "castle"}), 400, "invalid_choice")
    assert_error(client.get(f"{API}/resources/", {"centre": "abc"}), 400, "invalid")


def test_inactive_resources_are_seen_only_by_their_centres_staff(world):
    world.room_a.is_active = False
    world.room_a.save()

    assert world.room_a.pk not in {r["id"] for r in APIClient().get(f"{API}/resources/").json()["results"]}
    assert_error(client_for(world.member).get(f"{API}/resources/{world.room_a.pk}/"), 404, "not_found")
    assert_error(client_for(world.staff_b).get(f"{API}/resources/{world.room_a.pk}/"), 404, "not_found")
    assert client_for(world.staff_a).get(f"{API}/resources/{world.room_a.pk}/").json()["is_active"] is False


def test_available_filter_keeps_only_resources_free_for_the_whole_interval(world):
    second_room = factories.make_resource(world.centre_a, name="Sala komputerowa")
    closed_room = factories.make_resource(world.centre_a, name="Kuchnia")
    Closure.objects.create(centre=world.centre_a, resource=closed_room, start=at(world.day, 12), end=at(world.day, 13),
                           reason="Przegląd")
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           hour=11)  # room_a taken 11:00-12:00

    def free(start_hour, end_hour):
        response = APIClient().get(f"{API}/resources/", {
            "centre": world.centre_a.pk,
            "available_from": at(world.day, start_hour).isoformat(),
            "available_to": at(world.day, end_hour).isoformat(),
        })
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert free(9, 11) == {world.room_a.pk, second_room.pk, closed_room.pk}  # adjacent to the booking
    assert free(10, 12) == {second_room.pk, closed_room.pk}
    assert free(10, 13) == {second_room.pk}
    assert free(17, 19) == set()  # the centre closes at 18:00


def test_available_filter_reads_naive_times_in_the_centres_time_zone(world):
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           hour=11)
    naive = {"centre": world.centre_a.pk, "available_from": f"{world.day}T11:00:00",
             "available_to": f"{world.day}T11:30:00"}

    results = APIClient().get(f"{API}/resources/", naive).json()["results"]

    assert world.room_a.pk not in {r["id"] for r in results}


@pytest.mark.parametrize("params, field, code", [
    ({"available_from": "2030-01-01T10:00:00+01:00"}, "available_to", "required"),
    ({"available_from": "2030-01-01T10:00:00+01:00", "available_to": "2030-01-01T09:00:00+01:00"},
     "available_to", "invalid_interval"),
    ({"available_from": "2030-01-01T10:00:00+01:00", "available_to": "2030-06-01T10:00:00+01:00"},
     "available_to", "window_too_long"),
    ({"available_from": "yesterday", "available_to": "2030-01-01T09:00:00+01:00"}, "available_from", "invalid"),
    ({"available_from": "0001-01-01T00:00:00+14:00", "available_to": "2030-01-01T09:00:00+01:00"},
     "available_from", "out_of_range"),
])
def test_available_filter_refuses_bad_intervals(world, params, field, code):
    body = assert_error(APIClient().get(f"{API}/resources/", params), 400, code)

    assert field in body["fields"]


@pytest.mark.parametrize("rows", [1, 50])
def test_resource_list_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    for number in range(rows):
        desk = factories.make_resource(world.centre_a if number % 3 else world.centre_b, kind=Resource.Kind.DESK)
        if number % 2:
            factories.make_booking(actor=world.member, resource=desk, organisation=world.organisation, day=world.day)
    params = {"available_from": at(world.day, 10).isoformat(), "available_to": at(world.day, 11).isoformat()}

    with django_assert_max_num_queries(2):
        assert APIClient().get(f"{API}/resources/").json()["count"] == rows + 2
    with django_assert_max_num_queries(6):
        response = APIClient().get(f"{API}/resources/", params)
    assert response.json()["count"] == rows + 2 - rows // 2


def test_availability_shows_free_and_busy_titles_only_where_visible(world):
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           title="Prywatne zebranie")
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           hour=12, title="Otwarte warsztaty", public=True)
    factories.make_booking(actor=world.other_member, resource=world.room_a, organisation=world.other_organisation,
                           day=world.day, hour=14, title="Klub rowerowy")
    params = {"start": at(world.day, 0).isoformat(), "end": at(world.day + timedelta(days=1), 0).isoformat()}
    url = f"{API}/resources/{world.room_a.pk}/availability/"

    anonymous = APIClient().get(url, params).json()
    member = client_for(world.member).get(url, params).json()
    staff = client_for(world.staff_a).get(url, params).json()

    assert anonymous["resource"] == world.room_a.pk
    assert [b["title"] for b in anonymous["busy"]] == [None, "Otwarte warsztaty", None]
    assert [b["title"] for b in member["busy"]] == ["Prywatne zebranie", "Otwarte warsztaty", None]
    assert [b["title"] for b in staff["busy"]] == ["Prywatne zebranie", "Otwarte warsztaty", "Klub rowerowy"]
    free = [(f["start"][11:16], f["end"][11:16], f["units"]) for f in anonymous["free"]]
    assert free == [("07:00", "10:00", 1), ("11:00", "12:00", 1), ("13:00", "14:00", 1), ("15:00", "18:00", 1)]


def test_private_occupancy_is_shown_to_staff_and_members_only(world):
    world.room_a.occupancy_public = False
    world.room_a.save()
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           title="Prywatne zebranie")
    factories.make_booking(actor=world.other_member, resource=world.room_a, organisation=world.other_organisation,
                           day=world.day, hour=14, title="Klub rowerowy")
    params = {"start": at(world.day, 0).isoformat(), "end": at(world.day + timedelta(days=1), 0).isoformat()}
    url = f"{API}/resources/{world.room_a.pk}/availability/"

    for caller in (APIClient(), client_for(world.outsider), client_for(world.staff_b)):
        body = assert_error(caller.get(url, params), 403, "occupancy_not_public")
        assert "Klub" not in str(body) and "Prywatne" not in str(body)
    member = client_for(world.member).get(url, params).json()
    staff = client_for(world.staff_a).get(url, params).json()

    assert [b["title"] for b in member["busy"]] == ["Prywatne zebranie", None]
    assert [b["title"] for b in staff["busy"]] == ["Prywatne zebranie", "Klub rowerowy"]
    assert client_for(world.outsider).get(f"{API}/resources/{world.room_a.pk}/").status_code == 200


def test_available_filter_does_not_tell_when_a_private_resource_is_busy(world):
    world.room_a.occupancy_public = False
    world.room_a.save()
    free_room = factories.make_resource(world.centre_a, name="Sala komputerowa", occupancy_public=False)
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day)
    params = {"centre": world.centre_a.pk, "available_from": at(world.day, 10).isoformat(),
              "available_to": at(world.day, 11).isoformat()}

    def found(client):
        response = client.get(f"{API}/resources/", params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert found(APIClient()) == found(client_for(world.outsider)) == set()
    assert found(client_for(world.member)) == found(client_for(world.staff_a)) == {free_room.pk}


def test_availability_reads_naive_times_in_the_centres_time_zone(world):
    response = APIClient().get(f"{API}/resources/{world.room_a.pk}/availability/",
                               {"start": f"{world.day}T08:00:00", "end": f"{world.day}T09:00:00"})

    assert response.status_code == 200
    body = response.json()
    offset = at(world.day, 8).isoformat()[-6:]
    assert body["start"] == f"{world.day}T08:00:00{offset}"
    assert body["free"] == [{"start": f"{world.day}T08:00:00{offset}", "end": f"{world.day}T09:00:00{offset}",
                             "units": 1}]


@pytest.mark.parametrize("params, code", [
    ({"start": "2030-01-01T00:00:00+01:00", "end": "2030-04-03T00:00:00+01:00"}, "window_too_long"),
    ({"start": "2030-01-02T00:00:00+01:00", "end": "2030-01-01T00:00:00+01:00"}, "invalid_interval"),
    ({"start": "2030-01-01T00:00:00+01:00"}, "required"),
    ({"start": "soon", "end": "2030-01-01T00:00:00+01:00"}, "invalid"),
    ({"start": "9999-12-31T23:00:00-12:00", "end": "9999-12-31T23:59:59"}, None),
])
def test_availability_refuses_bad_windows(world, params, code):
    response = APIClient().get(f"{API}/resources/{world.room_a.pk}/availability/", params)

    assert_error(response, 400, code)


def test_availability_allows_a_92_day_window(world):
    response = APIClient().get(f"{API}/resources/{world.room_a.pk}/availability/",
                               {"start": "2030-01-01T00:00:00+01:00", "end": "2030-04-03T00:00:00+02:00"})

    assert response.status_code == 200


# --- Bookings ---------------------------------------------------------------------------------

def test_member_books_and_gets_the_booking_with_its_history(world):
    response = client_for(world.member).post(f"{API}/bookings/", booking_payload(world, public=True), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["organisation"] == world.organisation.pk
    assert body["created_by"] == world.member.pk
    assert body["public"] is True
    assert [(e["from_status"], e["to_status"]) for e in body["history"]] == [("", "pending")]
    assert Booking.objects.get(pk=body["id"]).title == "Warsztaty kulinarne"


def test_booking_takes_a_fixed_number_of_statements(world, django_assert_max_num_queries):
    """The token; in the transaction (savepoint here, BEGIN on a real request) the lock with the resource and the
    organisation the caller may see, the opening hours, the membership and the staff to tell, the closures with
    the bookings in the way, the insert, its audit event and the e-mails' outbox rows: 8 (the service's 7:
    tests/test_booking_statements.py). The e-mails themselves are written by the send task, after the commit."""
    factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation, day=world.day,
                           hour=8)  # history in the room does not change the count
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(world.member)}")

    with django_assert_max_num_queries(8):
        response = client.post(f"{API}/bookings/", booking_payload(world), format="json")

    assert response.status_code == 201, response.content
    assert [(e["from_status"], e["to_status"]) for e in response.json()["history"]] == [("", "pending")]


def test_booking_without_approval_is_confirmed_at_once(world):
    world.room_a.requires_approval = False
    world.room_a.save()

    response = client_for(world.member).post(f"{API}/bookings/", booking_payload(world), format="json")

    assert response.json()["status"] == "confirmed"


def test_naive_booking_times_are_read_in_the_centres_time_zone(world):
    payload = booking_payload(world, start=f"{world.day}T10:00:00", end=f"{world.day}T11:30")

    response = client_for(world.member).post(f"{API}/bookings/", payload, format="json")

    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    assert (booking.start, booking.end) == (at(world.day, 10), at(world.day, 11, 30))


def test_conflict_is_409_with_titles_only_where_visible(world):
    factories.make_booking(actor=world.other_member, resource=world.room_a, organisation=world.other_organisation,
                           day=world.day, hours=2, title="Klub rowerowy")

    refused = client_for(world.member).post(f"{API}/bookings/", booking_payload(world), format="json")
    body = assert_error(refused, 409, "conflict")
    assert body["conflicts"] == [{"start": at(world.day, 10).isoformat(), "end": at(world.day, 12).isoformat(),
                                  "title": None}]

    own = client_for(world.other_member).post(
        f"{API}/bookings/", booking_payload(world, organisation=world.other_organisation.pk), format="json")
    assert assert_error(own, 409, "conflict")["conflicts"][0]["title"] == "Klub rowerowy"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("fields, code, field", [
    ({"start_hour": 17, "hours": 2}, "outside_opening_hours", "start"),
    ({"start_minute": 15}, "misaligned", "start"),
    ({"quantity": 2}, "too_many_units", "quantity"),
    ({"attendees": 30}, "over_capacity", "attendees"),
])
def test_broken_rules_are_400_with_the_rules_code(world, fields, code, field):
    start = at(world.day, fields.pop("start_hour", 10), fields.pop("start_minute", 0))
    end = start + timedelta(hours=fields.pop("hours", 1))

    response = client_for(world.member).post(
        f"{API}/bookings/", booking_payload(world, start=start.isoformat(), end=end.isoformat(), **fields),
        format="json")

    body = assert_error(response, 400, code)
    assert field in body["fields"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("accept_language, language, words", [
    (None, "pl", "nie jest czynne przez cały ten czas"),
    ("en-GB,en;q=0.9", "en", "not open for the whole of this time"),
    ("de", "pl", "nie jest czynne przez cały ten czas"),
])
def test_errors_speak_the_callers_language(world, accept_language, language, words):
    start = at(world.day, 17)
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}

    response = client_for(world.member).post(
        f"{API}/bookings/",
        booking_payload(world, start=start.isoformat(), end=(start + timedelta(hours=2)).isoformat()),
        format="json", **headers)

    body = assert_error(response, 400, "outside_opening_hours")
    assert words in body["detail"].lower()
    assert response["Content-Language"] == language


def test_an_unverified_organisation_cannot_book(world):
    world.organisation.status = Organisation.Status.UNVERIFIED
    world.organisation.save()

    response = client_for(world.member).post(f"{API}/bookings/", booking_payload(world), format="json")

    assert_error(response, 400, "organisation_not_verified")


def test_booking_for_another_organisation_looks_like_booking_for_none(world):
    other = client_for(world.member).post(
        f"{API}/bookings/", booking_payload(world, organisation=world.other_organisation.pk), format="json")
    missing = client_for(world.member).post(
        f"{API}/bookings/", booking_payload(world, organisation=999999), format="json")

    assert assert_error(other, 400, "does_not_exist")["fields"]["organisation"][0].replace(
        str(world.other_organisation.pk), "N") == assert_error(missing, 400, "does_not_exist")["fields"][
        "organisation"][0].replace("999999", "N")


@pytest.mark.parametrize("kind, active", [(Resource.Kind.ROOM, False), (Resource.Kind.CONSULTANT, True)])
def test_booking_a_resource_one_may_not_see_looks_like_booking_none(world, kind, active):
    """An inactive room (members do not see it) or a consultant's agenda (booked as a consultation) is refused in
    the words of a resource that does not exist; the centre's staff see the inactive room, and hear why."""
    hidden = factories.make_resource(world.centre_a, kind=kind, is_active=active)

    seen = client_for(world.member).post(f"{API}/bookings/", booking_payload(world, resource=hidden.pk),
                                         format="json")
    missing = client_for(world.member).post(f"{API}/bookings/", booking_payload(world, resource=999999),
                                            format="json")

    body, missing_body = assert_error(seen, 400, "does_not_exist"), assert_error(missing, 400, "does_not_exist")
    assert str(body).replace(str(hidden.pk), "N") == str(missing_body).replace("999999", "N")
    assert list(body["fields"]) == ["resource"]
    if not active:
        assert_error(client_for(world.staff_a).post(
            f"{API}/bookings/", booking_payload(world, resource=hidden.pk), format="json"), 400, "resource_inactive")
    assert not Booking.objects.exists()


def test_times_with_and_without_an_offset_are_both_read(world):
    """A naive time is the centre's wall clock, whichever of the two carries an offset."""
    payload = booking_payload(world, start=at(world.day, 10).isoformat(), end=f"{world.day}T11:00:00")

    response = client_for(world.member).post(f"{API}/bookings/", payload, format="json")

    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    assert (booking.start, booking.end) == (at(world.day, 10), at(world.day, 11))


@pytest.mark.parametrize("fields, field", [
    ({"start": "not a date"}, "start"),
    ({"start": 12}, "start"),
    ({"end": "2025-02-30T10:00:00"}, "end"),
    ({"resource": "abc"}, "resource"),
    ({"resource": 10**30}, "resource"),
    ({"resource": None}, "resource"),
    ({"attendees": "many"}, "attendees"),
    ({"attendees": 10**12}, "attendees"),
    ({"quantity": 0}, "quantity"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "null\x00byte"}, "title"),
    ({"public": "perhaps"}, "public"),
    ({"start": "0001-01-01T00:00:00"}, "start"),
    ({"end": "9999-12-31T23:59:59.999999-23:59"}, "end"),
])
def test_malformed_booking_input_is_400_never_500(world, fields, field):
    response = client_for(world.member).post(f"{API}/bookings/", booking_payload(world, **fields), format="json")

    body = assert_error(response, 400)
    assert field in body["fields"]


def test_json_that_is_not_an_object_is_400(world):
    response = client_for(world.member).post(f"{API}/bookings/", [1, 2], format="json")

    assert_error(response, 400)


def test_staff_override_sets_rules_aside_but_members_cannot(world):
    start, end = at(world.day, 19), at(world.day, 21)
    payload = booking_payload(world, start=start.isoformat(), end=end.isoformat(), override_reason="Walne zebranie")

    assert_error(client_for(world.member).post(f"{API}/bookings/", payload, format="json"), 403, "permission_denied")
    response = client_for(world.staff_a).post(f"{API}/bookings/", payload, format="json")
    assert response.status_code == 201, response.content


def test_members_see_only_their_organisations_bookings(world):
    own = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                 day=world.day)
    other = factories.make_booking(actor=world.other_member, resource=world.room_a,
                                   organisation=world.other_organisation, day=world.day, hour=12)
    client = client_for(world.member)

    listed = client.get(f"{API}/bookings/").json()
    assert [b["id"] for b in listed["results"]] == [own.pk]
    assert client.get(f"{API}/bookings/{own.pk}/").status_code == 200
    for response in (client.get(f"{API}/bookings/{other.pk}/"),
                     client.post(f"{API}/bookings/{other.pk}/cancel/", {}, format="json"),
                     client.post(f"{API}/bookings/{other.pk}/approve/", {}, format="json"),
                     client.get(f"{API}/bookings/{other.pk + 1000}/")):
        assert_error(response, 404, "not_found")
    # Not even the error text tells a hidden booking from a missing one.
    assert client.get(f"{API}/bookings/{other.pk}/").json() == client.get(f"{API}/bookings/{other.pk + 1000}/").json()
    assert Booking.objects.get(pk=other.pk).status == BookingStatus.PENDING
    assert client_for(world.outsider).get(f"{API}/bookings/").json()["count"] == 0


def test_member_cancels_their_organisations_booking(world):
    booking = factories.make_booking(actor=world.coordinator, resource=world.room_a, organisation=world.organisation,
                                     day=world.day)

    response = client_for(world.member).post(f"{API}/bookings/{booking.pk}/cancel/", {"reason": "Choroba"},
                                             format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert [(e["to_status"], e["reason"]) for e in body["history"]] == [("pending", ""), ("cancelled", "Choroba")]
    assert_error(client_for(world.member).post(f"{API}/bookings/{booking.pk}/cancel/", {}, format="json"),
                 400, "invalid_transition")


def test_members_cannot_approve_their_own_booking(world):
    booking = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                     day=world.day)

    assert_error(client_for(world.member).post(f"{API}/bookings/{booking.pk}/approve/", {}, format="json"),
                 403, "permission_denied")
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING


def test_staff_see_approve_and_reject_in_their_centre_only(world):
    in_a = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                  day=world.day)
    rejected = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                      day=world.day, hour=12)
    in_b = factories.make_booking(actor=world.member, resource=world.room_b, organisation=world.organisation,
                                  day=world.day)
    client = client_for(world.staff_a)

    assert {b["id"] for b in client.get(f"{API}/bookings/").json()["results"]} == {in_a.pk, rejected.pk}
    approved = client.post(f"{API}/bookings/{in_a.pk}/approve/", {"reason": "OK"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "confirmed"
    assert_error(client.post(f"{API}/bookings/{rejected.pk}/reject/", {}, format="json"), 400, "reason_required")
    assert client.post(f"{API}/bookings/{rejected.pk}/reject/", {"reason": "Remont"},
                       format="json").json()["status"] == "rejected"
    assert_error(client.post(f"{API}/bookings/{in_b.pk}/approve/", {}, format="json"), 404, "not_found")
    assert_error(client.post(f"{API}/bookings/{in_b.pk}/reject/", {"reason": "x"}, format="json"), 404, "not_found")
    assert Booking.objects.get(pk=in_b.pk).status == BookingStatus.PENDING


def test_staff_cancel_with_a_reason(world):
    booking = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                     day=world.day)
    client = client_for(world.staff_a)

    assert_error(client.post(f"{API}/bookings/{booking.pk}/cancel/", {}, format="json"), 400, "reason_required")
    response = client.post(f"{API}/bookings/{booking.pk}/cancel/", {"reason": "Awaria"}, format="json")
    assert response.json()["status"] == "cancelled"


def test_staff_who_is_a_member_elsewhere_cannot_approve_there(world):
    Membership.objects.create(user=world.staff_a, organisation=world.other_organisation)
    booking = factories.make_booking(actor=world.other_member, resource=world.room_b,
                                     organisation=world.other_organisation, day=world.day)
    client = client_for(world.staff_a)

    assert client.get(f"{API}/bookings/{booking.pk}/").status_code == 200  # seen as a member
    assert_error(client.post(f"{API}/bookings/{booking.pk}/approve/", {}, format="json"), 403, "permission_denied")


def test_superuser_sees_and_approves_everywhere(world):
    in_a, in_b = (factories.make_booking(actor=world.member, resource=room, organisation=world.organisation,
                                         day=world.day) for room in (world.room_a, world.room_b))
    client = client_for(world.superuser)

    assert {b["id"] for b in client.get(f"{API}/bookings/").json()["results"]} == {in_a.pk, in_b.pk}
    assert client.post(f"{API}/bookings/{in_b.pk}/approve/", {}, format="json").json()["status"] == "confirmed"


def test_booking_filters(world):
    first = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                   day=world.day, hour=8)
    second = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                    day=world.day, hour=12)
    later = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                   day=world.next_open_day(world.day))
    services.approve_booking(booking=second, actor=world.staff_a)
    in_b = factories.make_booking(actor=world.member, resource=world.room_b, organisation=world.organisation,
                                  day=world.day)
    client = client_for(world.superuser)

    def ids(**params):
        response = client.get(f"{API}/bookings/", params)
        assert response.status_code == 200, response.content
        return [b["id"] for b in response.json()["results"]]

    assert ids(status="confirmed") == [second.pk]
    assert ids(resource=world.room_b.pk) == [in_b.pk]
    assert ids(organisation=world.other_organisation.pk) == []
    assert ids(start=at(world.day, 11).isoformat(), end=at(world.day, 13).isoformat()) == [second.pk]
    assert ids(start=f"{world.day + timedelta(days=1)}T00:00") == [later.pk]
    assert ids(end=f"{world.day}T09:00") == [first.pk]
    # ISO 8601 allows offsets PostgreSQL does not (beyond ±15:59).
    assert ids(end="2000-01-01T06:19:24+23:16") == []
    assert_error(client.get(f"{API}/bookings/", {"status": "maybe"}), 400, "invalid_choice")
    assert_error(client.get(f"{API}/bookings/", {"start": "tomorrow"}), 400, "invalid")


@pytest.mark.parametrize("rows", [1, 50])
def test_booking_list_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    world.room_a.units = rows
    world.room_a.save()
    for _ in range(rows):
        factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                               day=world.day)
    for user in (world.member, world.staff_a):
        client = client_for(user)
        with django_assert_max_num_queries(4):
            response = client.get(f"{API}/bookings/")
        assert response.json()["count"] == rows


def test_booking_detail_query_count_does_not_grow_with_history(world, django_assert_max_num_queries):
    booking = factories.make_booking(actor=world.member, resource=world.room_a, organisation=world.organisation,
                                     day=world.day)
    services.approve_booking(booking=booking, actor=world.staff_a)
    services.cancel_booking(booking=booking, actor=world.member, reason="x")
    client = client_for(world.member)

    with django_assert_max_num_queries(4):
        response = client.get(f"{API}/bookings/{booking.pk}/")
    assert len(response.json()["history"]) == 3


# --- Organisations and members ----------------------------------------------------------------

def test_anyone_signed_in_registers_an_organisation_and_coordinates_it(world):
    payload = {"name": "Fundacja Nowa", "kind": "foundation", "contact_person": "Piotr", "email": "f@example.org",
               "centre": world.centre_b.pk}

    response = client_for(world.outsider).post(f"{API}/organisations/", payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["centres"]) == ("unverified", [world.centre_b.pk])
    assert Membership.objects.get(organisation_id=body["id"]).role == Membership.Role.COORDINATOR
    assert_error(APIClient().post(f"{API}/organisations/", payload, format="json"), 401)


@pytest.mark.parametrize("payload, code", [
    ({"kind": "registered"}, "krs_required"),
    ({"kind": "informal", "krs": "0000123456"}, "krs_not_allowed"),
    ({"kind": "registered", "krs": "123"}, "invalid_krs"),
    ({"kind": "club"}, "invalid_choice"),
    ({"email": "not-an-email"}, "invalid"),
    # 201 characters: the limit counts what was sent, even where the surrounding white space is trimmed.
    ({"contact_person": "\f" + "P" * 200}, "max_length"),
    ({"centre": None}, "centre_required"),  # two centres: the home one is named
    ({"centre": 999999}, "does_not_exist"),
])
def test_organisation_registration_refusals(world, payload, code):
    data = {"name": "Fundacja Nowa", "kind": "foundation", "contact_person": "Piotr", "email": "f@example.org",
            "centre": world.centre_a.pk, **payload}
    data = {name: value for name, value in data.items() if value is not None}

    assert_error(client_for(world.outsider).post(f"{API}/organisations/", data, format="json"), 400, code)


def test_a_krs_number_registers_once(world):
    payload = {"name": "Fundacja KRS", "kind": "registered", "krs": "0000012345", "contact_person": "Piotr",
               "email": "f@example.org", "centre": world.centre_a.pk}
    client = client_for(world.outsider)

    assert client.post(f"{API}/organisations/", payload, format="json").status_code == 201
    assert_error(client.post(f"{API}/organisations/", payload, format="json"), 400, "unique")
    # Organisations without KRS never clash on it.
    for name in ("Grupa A", "Grupa B"):
        informal = {"name": name, "kind": "informal", "contact_person": "Piotr", "email": "g@example.org",
                    "centre": world.centre_a.pk}
        assert client.post(f"{API}/organisations/", informal, format="json").status_code == 201


def test_organisations_are_seen_by_members_and_staff(world):
    member = client_for(world.member)

    assert [o["id"] for o in member.get(f"{API}/organisations/").json()["results"]] == [world.organisation.pk]
    assert_error(member.get(f"{API}/organisations/{world.other_organisation.pk}/"), 404, "not_found")
    # Staff see the organisations their centres host.
    assert [o["id"] for o in client_for(world.staff_b).get(f"{API}/organisations/").json()["results"]] \
        == [world.other_organisation.pk]
    assert client_for(world.outsider).get(f"{API}/organisations/").json()["count"] == 0


def accept(world, person, invitation_id):
    """`person` accepts the invitation through the API, with the token from its e-mail."""
    token = factories.invitation_token(world.organisation.invitations.get(pk=invitation_id))
    return client_for(person).post(f"{API}/invitations/accept/", {"token": token}, format="json")


def test_coordinators_manage_members(world):
    url = f"{API}/organisations/{world.organisation.pk}/members/"
    coordinator = client_for(world.coordinator)

    listed = client_for(world.member).get(url).json()
    assert {m["username"]: m["role"] for m in listed["results"]} == {"jan": "member", "kasia": "coordinator"}
    invited = coordinator.post(url, {"email": "piotr@example.org"}, format="json")
    assert invited.status_code == 202, invited.content
    assert (invited.json()["email"], invited.json()["role"]) == ("piotr@example.org", "member")
    assert "token" not in invited.json()
    assert not Membership.objects.filter(user=world.outsider).exists()  # not before accepting
    pending = coordinator.get(f"{API}/organisations/{world.organisation.pk}/invitations/").json()
    assert [i["email"] for i in pending["results"]] == ["piotr@example.org"]
    joined = accept(world, world.outsider, invited.json()["id"])
    assert (joined.status_code, joined.json()["username"], joined.json()["role"]) == (200, "piotr", "member")
    assert_error(accept(world, world.other_member, invited.json()["id"]), 400, "invitation_invalid")  # once
    assert_error(coordinator.post(url, {"email": "nobody"}, format="json"), 400, "invalid")
    assert_error(coordinator.post(url, {"email": "pio\x00tr@example.org"}, format="json"), 400,
                 "null_characters_not_allowed")
    assert_error(coordinator.post(url, {"email": 5}, format="json"), 400, "invalid")
    promoted = coordinator.patch(f"{url}{world.outsider.pk}/", {"role": "coordinator"}, format="json")
    assert (promoted.status_code, promoted.json()["role"]) == (200, "coordinator")
    assert_error(coordinator.patch(f"{url}{world.outsider.pk}/", {"role": "prezes"}, format="json"), 400,
                 "invalid_choice")
    assert coordinator.delete(f"{url}{world.outsider.pk}/").status_code == 204
    assert_error(coordinator.delete(f"{url}{world.coordinator.pk}/"), 400, "last_coordinator")
    assert_error(coordinator.delete(f"{url}{world.other_member.pk}/"), 404, "not_found")
    assert not Membership.objects.filter(user=world.outsider).exists()


def test_an_invitation_is_revoked_through_the_api(world):
    url = f"{API}/organisations/{world.organisation.pk}/invitations/"
    invited = client_for(world.coordinator).post(f"{API}/organisations/{world.organisation.pk}/members/",
                                                 {"email": "piotr@example.org", "role": "coordinator"}, format="json")

    assert_error(client_for(world.member).delete(f"{url}{invited.json()['id']}/"), 403, "permission_denied")
    assert client_for(world.staff_a).delete(f"{url}{invited.json()['id']}/").status_code == 204

    assert client_for(world.coordinator).get(url).json()["count"] == 0
    assert_error(accept(world, world.outsider, invited.json()["id"]), 400, "invitation_invalid")
    assert_error(client_for(world.coordinator).delete(f"{url}{invited.json()['id']}/"), 400, "invitation_not_pending")
    assert not Membership.objects.filter(user=world.outsider).exists()


def test_plain_members_and_outsiders_cannot_manage_members(world):
    url = f"{API}/organisations/{world.organisation.pk}/members/"
    invite = {"email": "piotr@example.org"}

    assert_error(client_for(world.member).post(url, invite, format="json"), 403, "permission_denied")
    assert_error(client_for(world.member).get(f"{API}/organisations/{world.organisation.pk}/invitations/"), 403,
                 "permission_denied")
    assert_error(client_for(world.member).patch(f"{url}{world.member.pk}/", {"role": "coordinator"}, format="json"),
                 403, "permission_denied")
    assert_error(client_for(world.member).delete(f"{url}{world.coordinator.pk}/"), 403, "permission_denied")
    assert client_for(world.member).delete(f"{url}{world.member.pk}/").status_code == 204  # leaving is allowed
    assert_error(client_for(world.other_member).get(url), 404, "not_found")
    assert_error(client_for(world.other_member).post(url, invite, format="json"), 404, "not_found")
    assert_error(client_for(world.staff_b).post(url, invite, format="json"), 404, "not_found")
    assert not world.organisation.invitations.exists()
    assert client_for(world.staff_a).post(url, {**invite, "role": "coordinator"}, format="json").status_code == 202


def test_staff_verify_and_suspend_organisations(world):
    organisation = factories.make_organisation("Nowa Grupa", status=Organisation.Status.UNVERIFIED,
                                               coordinators=[world.outsider], centres=[world.centre_b])
    url = f"{API}/organisations/{organisation.pk}/verify/"

    assert_error(client_for(world.outsider).post(url, {}, format="json"), 403, "permission_denied")
    assert_error(client_for(world.member).post(url, {}, format="json"), 404, "not_found")
    verified = client_for(world.staff_b).post(url, {}, format="json")
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert_error(client_for(world.staff_b).post(url, {"status": "suspended"}, format="json"), 400, "reason_required")
    suspended = client_for(world.staff_b).post(url, {"status": "suspended", "reason": "Brak kontaktu"}, format="json")
    assert suspended.json()["status"] == "suspended"


@pytest.mark.parametrize("rows", [1, 50])
def test_organisation_and_member_lists_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    for number in range(rows):
        factories.make_organisation(members=[factories.make_user(f"m{rows}x{number}")], centres=[world.centre_a])
        Membership.objects.create(user=factories.make_user(f"n{rows}x{number}"), organisation=world.organisation)
    staff = client_for(world.staff_a)

    with django_assert_max_num_queries(5):  # with the hosting centres, prefetched
        assert staff.get(f"{API}/organisations/").json()["count"] == rows + 1
    with django_assert_max_num_queries(5):
        response = staff.get(f"{API}/organisations/{world.organisation.pk}/members/")
    assert response.json()["count"] == rows + 2


# --- Calendar feeds ---------------------------------------------------------------------------

def test_feed_is_created_with_its_secret_url_shown_once(world, settings):
    settings.SITE_URL = "https://rezerwacje.example.org/"
    client = client_for(world.member)

    response = client.post(f"{API}/feeds/", {"scope": "organisation", "organisation": world.organisation.pk,
                                             "name": "Kalendarz zarządu"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    prefix = "https://rezerwacje.example.org/feeds/"
    assert body["url"].startswith(prefix) and body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("https://")
    token = body["url"].removeprefix(prefix).removesuffix(".ics")
    feed = FeedToken.objects.get(pk=body["id"])
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    listed = client.get(f"{API}/feeds/").json()["results"]
    assert [f["id"] for f in listed] == [feed.pk]
    assert "url" not in listed[0] and token not in str(listed)


def test_feed_scopes_are_checked(world):
    member = client_for(world.member)

    assert_error(member.post(f"{API}/feeds/", {"scope": "organisation"}, format="json"), 400, "required")
    assert_error(member.post(f"{API}/feeds/", {"scope": "centre", "centre": world.centre_a.pk}, format="json"),
                 403, "permission_denied")
    assert_error(member.post(f"{API}/feeds/", {"scope": "organisation", "organisation": world.other_organisation.pk},
                             format="json"), 400, "does_not_exist")
    # An id is a number or null in JSON; "" is not read as null.
    assert_error(member.post(f"{API}/feeds/", {"scope": "person", "organisation": ""}, format="json"), 400,
                 "incorrect_type")
    assert member.post(f"{API}/feeds/", {"scope": "person"}, format="json").status_code == 201
    assert client_for(world.staff_a).post(f"{API}/feeds/", {"scope": "centre", "centre": world.centre_a.pk},
                                          format="json").status_code == 201


def test_feeds_are_revoked_by_their_owner_only(world):
    response = client_for(world.member).post(f"{API}/feeds/", {"scope": "person"}, format="json")
    feed_id = response.json()["id"]

    assert_error(client_for(world.coordinator).delete(f"{API}/feeds/{feed_id}/"), 404, "not_found")
    assert client_for(world.member).delete(f"{API}/feeds/{feed_id}/").status_code == 204
    assert FeedToken.objects.get(pk=feed_id).revoked_at is not None
    assert client_for(world.member).get(f"{API}/feeds/").json()["count"] == 0


@pytest.mark.parametrize("rows", [1, 50])
def test_feed_list_query_count_does_not_grow(world, rows, django_assert_max_num_queries):
    from booking.feeds import create_feed_token

    for _ in range(rows):
        create_feed_token(owner=world.member, scope=FeedToken.Scope.PERSON)
    client = client_for(world.member)

    with django_assert_max_num_queries(3):
        assert client.get(f"{API}/feeds/").json()["count"] == rows


# --- Schema and documentation -----------------------------------------------------------------

def test_schema_and_swagger_ui_are_served(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = APIClient().get("/api/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/bookings/", "/api/v1/resources/{id}/availability/", "/api/v1/auth/token/",
            "/api/v1/organisations/{id}/members/{user_id}/", "/api/v1/feeds/{id}/"} <= set(paths)
    create = paths["/api/v1/bookings/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(create["responses"])
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
