"""Consultations through the two front doors: the pages (services, free times, booking, our appointments, the
consultant's day, cancelling, marking) and the API (services, free times, appointments), with who reads a topic."""
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from api.authentication import issue_token
from booking.consultations import book_appointment
from booking.feeds import create_feed_token, token_feed_url
from booking.models import Appointment, BookingStatus, ConsultationService, FeedToken
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db

Kind = ConsultationService.Kind
API = "/api/v1"


@pytest.fixture
def it_help(centre):
    return factories.make_consultation_service(centre, Kind.IT_HELP, name="IT help",
                                               description="Computers, e-mail, websites.")


@pytest.fixture
def legal(centre):
    return factories.make_consultation_service(centre, Kind.LEGAL, name="Legal advice")


@pytest.fixture
def volunteer(db):
    """An outside volunteer: a login, no staff rights, no organisation."""
    return factories.make_user("wolontariusz", first_name="Wiktor", last_name="Prawnik")


@pytest.fixture
def consultant(centre, it_help, legal, volunteer):
    return factories.make_consultant(centre, [it_help, legal], user=volunteer)


@pytest.fixture
def other_staff(centre):
    """Staff of the centre who are not the consultant."""
    user = factories.make_user("ewa")
    centre.staff.add(user)
    return user


def appoint(service, organisation, start, topic, device="Laptop"):
    return book_appointment(actor=organisation.members.first(), service=service, organisation=organisation,
                            start=start, topic=topic, device=device)


def logged_in(client, user):
    client.force_login(user)
    return client


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


# --- pages ------------------------------------------------------------------------------------------------------

def test_anyone_sees_the_services_and_their_free_times(client, it_help, consultant, open_day,
                                                       django_assert_max_num_queries):
    page = client.get("/en/consultations/")
    assert page.status_code == 200
    assert "IT help" in page.content.decode() and "Computers, e-mail, websites." in page.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(f"/en/consultations/{it_help.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "09:00–09:30" in html and "11:30–12:00" in html
    filtered = client.get(f"/en/consultations/{it_help.pk}/", {"day": open_day.isoformat()}).content.decode()
    assert filtered.count("09:00–09:30") == 1


@pytest.mark.parametrize("query", [{"day": "junk"}, {"day": "2999-01-01"}, {"consultant": "x"},
                                   {"consultant": "99999999999999"}])
def test_a_junk_filter_is_no_error(client, it_help, consultant, query):
    assert client.get(f"/en/consultations/{it_help.pk}/", query).status_code == 200


def test_a_member_books_an_it_appointment_on_the_page(client, member, organisation, it_help, consultant, open_day,
                                                      mailoutbox, django_capture_on_commit_callbacks):
    logged_in(client, member)
    url = f"/en/consultations/{it_help.pk}/book/?start={quote(at(open_day, 10).isoformat())}"
    form = client.get(url)
    assert form.status_code == 200 and "Which device or system?" in form.content.decode()
    refused = client.post(url, {"organisation": organisation.pk, "topic": "", "device": ""})
    assert "Say briefly what the consultation is about." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"organisation": organisation.pk, "topic": "Poczta nie działa", "device": "Laptop"})
    assert done.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.consultant, appointment.booking.start) == (consultant, at(open_day, 10))
    assert len(mailoutbox) == 2
    ours = client.get("/en/consultations/").content.decode()
    assert "Poczta nie działa" in ours and "Our appointments" in ours
    that_day = client.get(f"/en/consultations/{it_help.pk}/", {"day": open_day.isoformat()}).content.decode()
    assert "10:00–10:30" not in that_day and "10:30–11:00" in that_day


def test_a_junk_start_sends_back_to_the_free_times(client, member, organisation, it_help, consultant):
    logged_in(client, member)
    for start in ("", "junk", "0001-01-01T00:00"):
        response = client.get(f"/en/consultations/{it_help.pk}/book/", {"start": start})
        assert response.status_code == 302


def test_a_taken_time_is_refused_on_the_page(client, member, organisation, it_help, consultant, open_day):
    appoint(it_help, organisation, at(open_day, 10), "Pierwsze")
    logged_in(client, member)
    url = f"/en/consultations/{it_help.pk}/book/?start={quote(at(open_day, 10).isoformat())}"
    page = client.post(url, {"organisation": organisation.pk, "topic": "Drugie", "device": "Laptop"})
    assert page.status_code == 200 and "Someone has just booked this time." in page.content.decode()


def test_the_consultants_day_shows_topics_and_marks_done(client, volunteer, consultant, organisation, it_help,
                                                         time_machine, django_assert_max_num_queries):
    today = factories.next_open_weekday(1, centre=consultant.centre)
    time_machine.move_to(at(today, 7), tick=False)
    appointment = appoint(it_help, organisation, at(today, 9), "Drukarka sieciowa")
    logged_in(client, volunteer)
    with django_assert_max_num_queries(14):
        page = client.get("/en/consultations/day/")
    html = page.content.decode()
    assert "Drukarka sieciowa" in html and organisation.name in html
    assert 'value="done"' not in html  # not started yet
    time_machine.move_to(at(today, 9, 5), tick=False)
    assert 'value="done"' in client.get("/en/consultations/day/").content.decode()
    response = client.post(f"/en/consultations/appointments/{appointment.pk}/mark/", {"outcome": "done"})
    assert response.status_code == 302
    assert Appointment.objects.get().outcome == "done"
    assert client.post(f"/en/consultations/appointments/{appointment.pk}/mark/",
                       {"outcome": "junk"}).status_code == 302


def test_the_day_page_is_for_consultants_and_staff_only(client, member, consultant):
    assert logged_in(client, member).get("/en/consultations/day/").status_code == 404


def test_the_legal_topic_is_hidden_from_other_staff(client, consultant, organisation, member, legal, it_help,
                                                   other_staff, open_day, time_machine):
    time_machine.move_to(at(open_day - timedelta(days=open_day.weekday()), 7), tick=False)  # the Monday
    appoint(legal, organisation, at(open_day, 9), "Zmiana statutu stowarzyszenia")
    appoint(it_help, organisation, at(open_day, 11), "Strona internetowa")
    staff_day = logged_in(client, other_staff).get("/en/consultations/day/").content.decode()
    assert "Strona internetowa" in staff_day
    assert "Zmiana statutu" not in staff_day and "confidential" in staff_day
    api_rows = api_client(other_staff).get(f"{API}/appointments/").json()["results"]
    assert sorted(str(row["topic"]) for row in api_rows) == ["None", "Strona internetowa"]
    client.logout()
    consultant_day = logged_in(client, consultant.user).get("/en/consultations/day/").content.decode()
    assert "Zmiana statutu stowarzyszenia" in consultant_day
    client.logout()
    assert "Zmiana statutu stowarzyszenia" in logged_in(client, member).get("/en/consultations/").content.decode()
    api_rows = api_client(member).get(f"{API}/appointments/").json()["results"]
    assert "Zmiana statutu stowarzyszenia" in [row["topic"] for row in api_rows]


def test_either_side_cancels_and_others_get_404(client, consultant, organisation, it_help, open_day, centre):
    first = appoint(it_help, organisation, at(open_day, 9), "Jeden")
    second = appoint(it_help, organisation, at(open_day, 10), "Dwa")
    stranger = factories.make_user()
    factories.make_organisation(members=[stranger], centres=[centre])
    assert logged_in(client, stranger).get(f"/en/consultations/appointments/{first.pk}/cancel/").status_code == 404
    client.logout()
    logged_in(client, consultant.user)
    assert client.post(f"/en/consultations/appointments/{first.pk}/cancel/", {"reason": "Choroba"}).status_code == 302
    client.logout()
    logged_in(client, organisation.members.first())
    assert client.post(f"/en/consultations/appointments/{second.pk}/cancel/").status_code == 302
    statuses = set(Appointment.objects.values_list("booking__status", flat=True))
    assert statuses == {BookingStatus.CANCELLED}


def test_the_consultant_subscribes_to_their_agenda(client, consultant, organisation, it_help, open_day):
    appoint(it_help, organisation, at(open_day, 9), "Jeden")
    _feed, raw = create_feed_token(owner=consultant.user, scope=FeedToken.Scope.CONSULTANT)
    body = client.get(token_feed_url(raw).replace("http://testserver", "")).content.decode()
    assert body.count("BEGIN:VEVENT") == 1 and "Jeden" not in body
    assert "consultant" in logged_in(client, consultant.user).get("/en/subscriptions/").content.decode()


# --- API --------------------------------------------------------------------------------------------------------

def test_api_services_free_times_and_booking(member, organisation, it_help, consultant, open_day,
                                             django_assert_max_num_queries):
    api = api_client(member)
    services = api.get(f"{API}/consultations/").json()["results"]
    assert [(row["name"], row["asks_device"]) for row in services] == [("IT help", True), ("Legal advice", False)]
    with django_assert_max_num_queries(10):
        times = api.get(f"{API}/consultations/{it_help.pk}/free-times/", {"day": open_day.isoformat()}).json()
    assert times[0]["consultants"] == [{"id": consultant.pk, "name": "Wiktor Prawnik"}]
    created = api.post(f"{API}/appointments/", {"service": it_help.pk, "organisation": organisation.pk,
                                                "start": times[0]["start"], "topic": "Excel",
                                                "device": "Laptop"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["topic"] == "Excel" and created.json()["status"] == "confirmed"
    again = api.post(f"{API}/appointments/", {"service": it_help.pk, "organisation": organisation.pk,
                                              "start": times[0]["start"], "topic": "Excel", "device": "Laptop",
                                              "consultant": consultant.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    off_duty = api.post(f"{API}/appointments/", {"service": it_help.pk, "organisation": organisation.pk,
                                                 "start": at(open_day, 15).isoformat(), "topic": "Excel",
                                                 "device": "Laptop"}, format="json")
    assert off_duty.status_code == 400 and off_duty.json()["code"] == "not_on_duty"
    cancelled = api.post(f"{API}/appointments/{created.json()['id']}/cancel/", {}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("body", [{"service": "1"}, {"start": "junk"}, {"consultant": "x"}, {"topic": 5},
                                  {"consultant": 99999}])
def test_api_junk_is_a_400(member, organisation, it_help, consultant, open_day, body):
    data = {"service": it_help.pk, "organisation": organisation.pk, "start": at(open_day, 9).isoformat(),
            "topic": "Excel", "device": "Laptop", **body}
    response = api_client(member).post(f"{API}/appointments/", data, format="json")
    assert response.status_code == 400, response.content


def test_api_free_times_junk_query_is_a_400(it_help, consultant):
    from rest_framework.test import APIClient

    assert APIClient().get(f"{API}/consultations/{it_help.pk}/free-times/", {"day": "x"}).status_code == 400


def test_a_room_list_does_not_offer_the_consultants_agenda(client, consultant, room):
    names = [row["name"] for row in client.get(f"{API}/resources/").json()["results"]]
    assert consultant.resource.name not in names and room.name in names
    assert timezone.now()


def test_the_agenda_has_no_room_pages(client, consultant, centre, room, member, organisation):
    agenda = consultant.resource
    client.force_login(member)
    for url in (f"/en/resources/{agenda.pk}/", f"/en/resources/{agenda.pk}/month/",
                f"/en/resources/{agenda.pk}/book/"):
        assert client.get(url).status_code == 404, url
    assert agenda.name not in client.get(f"/en/centres/{centre.pk}/").content.decode()
    assert agenda.name not in client.get(f"/en/centres/{centre.pk}/week/").content.decode()


@pytest.mark.parametrize("count", [1, 6])
def test_appointment_lists_cost_the_same_queries_however_many(client, member, organisation, it_help, legal,
                                                              consultant, open_day, count,
                                                              django_assert_max_num_queries):
    for n in range(count):
        appoint(it_help, organisation, at(open_day, 9) + timedelta(minutes=30 * n), f"Temat {n}")
    logged_in(client, member)
    with django_assert_max_num_queries(14):
        page = client.get("/en/consultations/")
    assert page.content.decode().count("Temat ") == count
    api = api_client(member)
    with django_assert_max_num_queries(8):
        rows = api.get(f"{API}/appointments/").json()["results"]
    assert len(rows) == count
