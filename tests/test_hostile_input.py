"""Input made to break the parser or the database: an answer in the API's error shape (or a 404 page), never a 500."""
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.authentication import issue_token
from booking.models import Booking

API = "/api/v1"
HUGE = "99999999999999999999999"


def assert_error(response, status_code, code):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def member_client(member):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(member)}")
    return client


PATHS = [f"{API}/auth/token/", f"{API}/bookings/", f"{API}/organisations/"]


@pytest.mark.parametrize("depth", [100_000, 5_000, 900, 33])
@pytest.mark.parametrize("path", PATHS)
def test_deeply_nested_json_is_refused_with_400(member_client, path, depth):
    body = "[" * depth + "]" * depth
    response = member_client.post(path, body, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("path", PATHS)
def test_json_nested_up_to_32_levels_reaches_validation(member_client, path):
    body = '{"title": ' + "[" * 31 + "]" * 31 + "}"
    response = member_client.post(path, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] != "parse_error", response.content


@pytest.mark.parametrize("path", [
    f"{API}/organisations/{HUGE}/members/",
    f"{API}/organisations/{HUGE}/",
    f"{API}/bookings/{HUGE}/",
    f"{API}/resources/{HUGE}/",
    f"{API}/centres/{HUGE}/",
    f"{API}/series/{HUGE}/",
    f"{API}/resources/{HUGE}/availability/?start=2030-01-07T10:00:00Z&end=2030-01-07T12:00:00Z",
])
def test_huge_ids_in_api_urls_are_404(member_client, path):
    assert_error(member_client.get(path), 404, "not_found")


def test_huge_ids_in_api_urls_change_nothing(member_client, organisation):
    assert_error(member_client.delete(f"{API}/organisations/{organisation.pk}/members/{HUGE}/"), 404, "not_found")
    assert_error(member_client.post(f"{API}/organisations/{HUGE}/members/", {"username": "jan", "role": "member"}),
                 404, "not_found")
    assert organisation.memberships.count() == 1


@pytest.mark.parametrize("query", [f"centre={HUGE}", f"resource={HUGE}", f"organisation={HUGE}"])
def test_huge_ids_in_api_filters_are_refused_or_match_nothing(member_client, query):
    for path in (f"{API}/resources/", f"{API}/bookings/"):
        response = member_client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), response.content
        if response.status_code == 200:
            assert response.json()["results"] == []


def test_huge_ids_in_a_booking_are_field_errors(member_client, room, organisation):
    response = member_client.post(f"{API}/bookings/", {
        "resource": HUGE, "organisation": HUGE, "title": "Walne zebranie",
        "start": "2030-01-07T10:00:00Z", "end": "2030-01-07T12:00:00Z"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert {"resource", "organisation"} <= set(body["fields"])


@pytest.mark.parametrize("path", [
    f"/organisations/{HUGE}/members/",
    f"/centres/{HUGE}/",
    f"/resources/{HUGE}/",
    f"/feeds/resource/{HUGE}.ics",
    f"/bookings/{HUGE}/cancel/",
])
def test_huge_ids_in_page_urls_are_404(client, member, path):
    client.force_login(member)
    assert client.get(path).status_code == 404


def test_huge_ids_in_page_forms_are_404(client, member, organisation):
    client.force_login(member)
    assert client.post(f"/organisations/{organisation.pk}/members/{HUGE}/remove/").status_code == 404
    assert client.post(f"/organisations/{HUGE}/members/1/role/", {"role": "member"}).status_code == 404


# --- Dates people type into the web pages ----------------------------------------------------

EXTREME_DAYS = ["9999-12-31", "0001-01-03", "0001-01-01", "1969-12-31", "3000-01-01"]


@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_a_week_outside_the_calendar_shows_this_week_with_a_message(client, room, day):
    for path in (f"/en/resources/{room.pk}/", f"/en/centres/{room.centre.pk}/week/"):
        response = client.get(path, {"date": day})
        assert response.status_code == 200, path
        page = response.content.decode()
        assert "The calendar covers the years 1970 to 2999. This is the current week." in page
        assert "This week</a>" not in page  # the link back to this week shows on other weeks only


@pytest.mark.parametrize("monday", ["1970-01-05", "2999-12-23"])
def test_the_first_and_last_weeks_of_the_calendar_are_shown(client, room, monday):
    response = client.get(f"/en/resources/{room.pk}/", {"date": monday})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The calendar covers" not in page and "This week</a>" in page


def test_the_booking_form_ignores_a_start_the_calendar_cannot_reach(client, member, room, organisation):
    """Even where the resource's timing rules would let it through (an advance window reaching year 9999)."""
    room.advance_window = datetime(9999, 12, 31, 12, tzinfo=UTC) - timezone.now()
    room.save()
    client.force_login(member)
    for start, end in [("9999-12-31T10:00", "9999-12-31T11:00"), ("0001-01-01T10:00", "0001-01-01T11:00")]:
        response = client.get(f"/en/resources/{room.pk}/book/", {"start": start, "end": end})
        assert response.status_code == 200
        assert 'name="date" value="' not in response.content.decode()


@pytest.mark.parametrize("start_date, end_date", [
    ("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("2030-01-01", "9999-12-31"),
    ("0001-01-01", "2030-01-01")])
def test_a_closure_outside_the_calendar_is_a_field_error(client, staff_user, centre, start_date, end_date):
    client.force_login(staff_user)
    response = client.post("/en/staff/closures/", {
        "centre": centre.pk, "start_date": start_date, "start_time": "00:00", "end_date": end_date,
        "end_time": "00:00", "reason": "Remont"})
    assert response.status_code == 200
    assert "Give a time between 1970 and 2999." in response.content.decode()
    assert not centre.closures.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-27", "0001-01-01"])
@pytest.mark.parametrize("repeat", ["", "weekly", "monthly"])
def test_the_booking_form_refuses_a_date_at_the_calendars_end_without_a_500(client, member, room, organisation, day,
                                                                             repeat):
    """The form names the monthly choice after the chosen day ("every last Friday"): a day in the calendar's last
    week once overflowed while working that out (hypothesis found it)."""
    client.force_login(member)
    response = client.post(f"/en/resources/{room.pk}/book/", {
        "organisation": organisation.pk, "title": "Zebranie", "attendees": 1, "date": day, "start_time": "10:00",
        "end_time": "11:00", "repeat": repeat, "ends": "until", "until": day, "mode": "all_or_nothing"})
    assert response.status_code == 200
    assert "Give a time between 1970 and 2999." in response.content.decode()
    assert not Booking.objects.exists()
