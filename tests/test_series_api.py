"""Recurring bookings through the REST API: POST /bookings/ with `recurrence`, dry runs, /series/{id}/ actions."""
from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from booking.availability import public_holiday
from booking.models import Booking, BookingEvent, BookingSeries, Closure
from tests import factories
from tests.factories import WARSAW, at


def tuesdays(centre, count):
    """`count` consecutive Tuesdays from a week ahead on, none of them a public holiday."""
    first = factories.next_open_weekday(1, centre=centre)
    while any(public_holiday(centre, first + timedelta(weeks=n)) for n in range(count)):
        first += timedelta(weeks=1)
    return [first + timedelta(weeks=n) for n in range(count)]


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client
    return make


@pytest.fixture
def days(centre):
    return tuesdays(centre, 4)


@pytest.fixture
def payload(room, organisation, days):
    return {
        "resource": room.pk, "organisation": organisation.pk, "title": "Grupa wsparcia", "attendees": 8,
        "start": f"{days[0]}T17:00:00", "end": f"{days[0]}T18:00:00",  # no offset: the centre's time
        "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
    }


@pytest.fixture
def other_organisation(db):
    return factories.make_organisation("Fundacja Sąsiedzi", members=[factories.make_user("ewa")])


def local_days(occurrences):
    return [date.fromisoformat(o["start"][:10]) for o in occurrences]


def test_recurring_booking_creates_a_series_and_its_meetings(client_for, member, payload, days):
    response = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["rrule"], body["mode"], body["title"], body["skipped"]) == (
        "FREQ=WEEKLY;BYDAY=TU;COUNT=4", "all_or_nothing", "Grupa wsparcia", [])
    assert local_days(body["occurrences"]) == days
    assert {(o["start"][11:16], o["end"][11:16], o["status"]) for o in body["occurrences"]} == {
        ("17:00", "18:00", "pending")}
    assert client_for(member).get(f"/api/v1/series/{body['id']}/").json() == body


def test_dry_run_answers_the_dates_and_writes_nothing(client_for, member, payload, room, days, other_organisation):
    factories.make_booking(actor=other_organisation.members.first(), resource=room, organisation=other_organisation,
                           day=days[2], hour=17, title="Poufne spotkanie")
    before = (Booking.objects.count(), BookingSeries.objects.count(), BookingEvent.objects.count())
    response = client_for(member).post("/api/v1/bookings/?dry_run=1", payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["dry_run"], body["refused"], body["mode"]) == (True, True, "all_or_nothing")
    assert [(o["bookable"], o["code"]) for o in body["occurrences"]] == [
        (True, None), (True, None), (False, "conflict"), (True, None)]
    # Another organisation's private booking: its time is shown, its title is not.
    assert [(c["start"][11:16], c["title"]) for c in body["occurrences"][2]["conflicts"]] == [("17:00", None)]
    assert (Booking.objects.count(), BookingSeries.objects.count(), BookingEvent.objects.count()) == before

    payload["recurrence"]["mode"] = "skip_conflicts"
    assert client_for(member).post("/api/v1/bookings/?dry_run=1", payload, format="json").json()["refused"] is False


def test_conflict_in_the_middle_refuses_all_or_books_the_rest(client_for, member, payload, room, days,
                                                              other_organisation):
    factories.make_booking(actor=other_organisation.members.first(), resource=room, organisation=other_organisation,
                           start=at(days[1], 16), end=at(days[1], 17, 30), title="Warsztaty", public=True)
    refused = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "conflict"
    assert [(c["start"][11:16], c["title"]) for c in body["conflicts"]] == [("16:00", "Warsztaty")]
    assert [(date.fromisoformat(o["start"][:10]), o["code"]) for o in body["occurrences"]] == [(days[1], "conflict")]
    assert not BookingSeries.objects.exists()

    payload["recurrence"]["mode"] = "skip_conflicts"
    created = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert created.status_code == 201
    assert local_days(created.json()["occurrences"]) == [days[0], days[2], days[3]]
    assert [(date.fromisoformat(s["start"][:10]), s["code"]) for s in created.json()["skipped"]] == [
        (days[1], "conflict")]


def test_a_closed_date_refuses_with_the_rules_code(client_for, member, payload, centre, days):
    Closure.objects.create(centre=centre, start=at(days[3], 0), end=at(days[3] + timedelta(days=1), 0),
                           reason="Inwentaryzacja")
    response = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "closed" and "recurrence" in body["fields"]
    assert [o["code"] for o in body["occurrences"]] == ["closed"]


@pytest.mark.parametrize("rrule, code, field", [
    ("FREQ=WEEKLY;BYDAY=2TU;COUNT=4", "invalid_rrule", "recurrence.rrule"),
    ("FREQ=YEARLY;COUNT=2", "invalid_rrule", "recurrence.rrule"),
    ("FREQ=WEEKLY;BYDAY=TU", "series_unbounded", "recurrence.rrule"),
    ("FREQ=DAILY;COUNT=500", "too_many_occurrences", "recurrence.rrule"),
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=60", "series_too_long", "recurrence"),
    ("FREQ=WEEKLY;BYDAY=WE;COUNT=3", "start_not_in_rule", "recurrence"),
])
def test_bad_or_too_long_rules_answer_400_with_a_code(client_for, member, payload, rrule, code, field):
    payload["recurrence"]["rrule"] = rrule
    response = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]


def test_unknown_mode_is_a_validation_error(client_for, member, payload):
    payload["recurrence"]["mode"] = "sometimes"
    response = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 400 and "recurrence.mode" in response.json()["fields"]


@pytest.fixture
def series_id(client_for, member, payload):
    return client_for(member).post("/api/v1/bookings/", payload, format="json").json()["id"]


def statuses(client, series_id):
    return [o["status"] for o in client.get(f"/api/v1/series/{series_id}/").json()["occurrences"]]


def test_series_of_another_organisation_is_not_found(client_for, series_id, other_organisation):
    stranger = client_for(other_organisation.members.first())
    assert stranger.get(f"/api/v1/series/{series_id}/").status_code == 404
    assert stranger.post(f"/api/v1/series/{series_id}/cancel/", {}, format="json").status_code == 404
    assert client_for(factories.make_user()).get(f"/api/v1/series/{series_id}/").status_code == 404


def test_staff_approve_or_reject_a_series_members_may_not(client_for, member, staff_user, series_id):
    assert client_for(member).post(f"/api/v1/series/{series_id}/approve/", {}, format="json").status_code == 403
    staff = client_for(staff_user)
    missing_reason = staff.post(f"/api/v1/series/{series_id}/reject/", {"reason": ""}, format="json")
    assert missing_reason.status_code == 400
    approved = staff.post(f"/api/v1/series/{series_id}/approve/", {"reason": "Zapraszamy"}, format="json")
    assert approved.status_code == 200
    assert {o["status"] for o in approved.json()["occurrences"]} == {"confirmed"}
    again = staff.post(f"/api/v1/series/{series_id}/approve/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "nothing_pending")


def test_staff_reject_a_pending_series(client_for, staff_user, series_id):
    response = client_for(staff_user).post(f"/api/v1/series/{series_id}/reject/", {"reason": "Remont sali"},
                                           format="json")
    assert response.status_code == 200
    assert {o["status"] for o in response.json()["occurrences"]} == {"rejected"}


def test_cancel_from_a_date_then_the_rest(client_for, member, series_id, days):
    client = client_for(member)
    response = client.post(f"/api/v1/series/{series_id}/cancel/", {"from": days[2].isoformat()}, format="json")
    assert response.status_code == 200
    assert [o["status"] for o in response.json()["occurrences"]] == ["pending", "pending", "cancelled", "cancelled"]
    response = client.post(f"/api/v1/series/{series_id}/cancel/", {"reason": "Koniec sezonu"}, format="json")
    assert statuses(client, series_id) == ["cancelled"] * 4
    nothing = client.post(f"/api/v1/series/{series_id}/cancel/", {}, format="json")
    assert (nothing.status_code, nothing.json()["code"]) == (400, "nothing_to_cancel")


def test_cancel_from_a_local_date_time(client_for, member, series_id, days):
    response = client_for(member).post(f"/api/v1/series/{series_id}/cancel/",
                                       {"from": f"{days[1]}T18:00:00"}, format="json")
    assert response.status_code == 200
    assert [o["status"] for o in response.json()["occurrences"]] == ["pending", "pending", "cancelled", "cancelled"]
    malformed = client_for(member).post(f"/api/v1/series/{series_id}/cancel/", {"from": "next week"}, format="json")
    assert malformed.status_code == 400 and "from" in malformed.json()["fields"]


def test_staff_cancel_with_a_reason(client_for, staff_user, series_id):
    staff = client_for(staff_user)
    without = staff.post(f"/api/v1/series/{series_id}/cancel/", {}, format="json")
    assert (without.status_code, without.json()["code"]) == (400, "reason_required")
    assert staff.post(f"/api/v1/series/{series_id}/cancel/", {"reason": "Awaria"}, format="json").status_code == 200
    assert statuses(staff, series_id) == ["cancelled"] * 4


def test_title_of_future_meetings_changes(client_for, member, series_id):
    response = client_for(member).patch(f"/api/v1/series/{series_id}/", {"title": "Grupa wsparcia – wtorki"},
                                        format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Grupa wsparcia – wtorki"
    assert {o["title"] for o in body["occurrences"]} == {"Grupa wsparcia – wtorki"}


def test_offset_times_are_honoured(client_for, member, payload, days):
    start = at(days[0], 17).astimezone(WARSAW)
    payload["start"] = start.isoformat()
    payload["end"] = (start + timedelta(hours=1)).isoformat()
    response = client_for(member).post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["start"][11:16] == "17:00"
