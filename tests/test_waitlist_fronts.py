"""The waitlist's two front doors: the booking form's conflict and "our bookings" (pages), `/api/v1/waitlist/`."""
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from api.authentication import issue_token
from booking import services
from booking.models import Booking, BookingStatus, WaitlistEntry
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


@pytest.fixture
def other(centre):
    return factories.make_organisation("Fundacja Pomocna Dłoń", members=[factories.make_user("ola")],
                                       centres=[centre])


@pytest.fixture
def taken(room, other, open_day):
    return factories.make_booking(resource=room, organisation=other, day=open_day, hour=10, hours=2,
                                  title="Tajne spotkanie")


def offer(taken, entry, capture):
    with capture(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    entry.refresh_from_db()
    assert entry.is_offered
    return entry


def form(organisation, day, **extra):
    return {"organisation": organisation.pk, "date": day.isoformat(), "start_time": "10:00", "end_time": "12:00",
            "title": "Walne zebranie", "attendees": 8, **extra}


# --- Pages ---------------------------------------------------------------------------------------

def test_the_conflict_offers_the_waitlist_and_joining_shows_it_on_our_bookings(client, member, room, organisation,
                                                                              open_day, taken):
    client.force_login(member)
    page = client.post(en("web:booking_create", room.pk), form(organisation, open_day)).content.decode()
    assert "This time is already booked." in page and 'name="waitlist"' in page
    response = client.post(en("web:booking_create", room.pk), form(organisation, open_day, waitlist="1"), follow=True)
    entry = WaitlistEntry.objects.get()
    assert (entry.start, entry.end, entry.title, entry.organisation) == (at(open_day, 10), at(open_day, 12),
                                                                        "Walne zebranie", organisation)
    page = response.content.decode()
    assert "You are on the waitlist" in page and f'id="waitlist-{entry.pk}"' in page
    assert "Waiting for the time to free" in page
    assert Booking.objects.count() == 1


def test_a_free_time_is_booked_not_waited_for(client, member, room, organisation, open_day):
    client.force_login(member)
    page = client.post(en("web:booking_create", room.pk), form(organisation, open_day, waitlist="1")).content.decode()
    assert "This time is free: book it instead of waiting." in page
    assert not WaitlistEntry.objects.exists()


def test_the_offer_page_accepts(client, member, room, organisation, open_day, taken,
                                django_capture_on_commit_callbacks):
    entry = offer(taken, factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day,
                                                       hour=10, hours=2), django_capture_on_commit_callbacks)
    client.force_login(member)
    page = client.get(en("web:waitlist_entry", entry.pk)).content.decode()
    assert "The time you waited for is free" in page and "Accept and book" in page
    response = client.post(en("web:waitlist_entry", entry.pk), follow=True)
    assert "The offer is accepted" in response.content.decode()
    booking = Booking.objects.get(organisation=organisation)
    assert (booking.status, booking.start) == (BookingStatus.PENDING, at(open_day, 10))
    assert not WaitlistEntry.objects.exists()


def test_leaving_from_our_bookings(client, member, room, organisation, open_day, taken):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    client.force_login(member)
    assert client.get(en("web:waitlist_leave", entry.pk)).status_code == 405
    response = client.post(en("web:waitlist_leave", entry.pk), follow=True)
    assert "is off the waitlist" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_another_organisations_entry_is_not_found(client, room, organisation, other, open_day, taken):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    client.force_login(other.members.get())
    assert client.get(en("web:waitlist_entry", entry.pk)).status_code == 404
    assert client.post(en("web:waitlist_leave", entry.pk)).status_code == 404
    assert WaitlistEntry.objects.exists()


def test_our_bookings_reads_the_waitlist_in_one_query(client, member, room, organisation, other, open_day,
                                                      django_assert_max_num_queries):
    for hour in (8, 10, 12, 14):
        factories.make_booking(resource=room, organisation=other, day=open_day, hour=hour, hours=2)
        factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=hour, hours=2)
    client.force_login(member)
    client.get(en("web:my_bookings"))
    with django_assert_max_num_queries(12):
        page = client.get(en("web:my_bookings")).content.decode()
    assert len(re.findall(r'id="waitlist-\d+"', page)) == 4


def test_the_week_page_shows_an_offer_as_taken_without_its_title(client, room, organisation, open_day, taken,
                                                                  django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                                          title="Nasza tajna narada")
    offer(taken, entry, django_capture_on_commit_callbacks)
    page = client.get(en("web:resource_week", room.pk) + f"?date={open_day.isoformat()}").content.decode()
    assert "Nasza tajna narada" not in page
    assert f"start={open_day.isoformat()}T10:00" not in page  # no free slot to click at 10:00


# --- API -----------------------------------------------------------------------------------------

def test_api_join_list_accept(member, room, organisation, open_day, taken, django_capture_on_commit_callbacks,
                              django_assert_max_num_queries):
    client = api(member)
    body = {"resource": room.pk, "organisation": organisation.pk, "start": at(open_day, 10).isoformat(),
            "end": at(open_day, 12).isoformat(), "title": "Walne zebranie"}
    booked = client.post("/api/v1/bookings/", body, format="json")
    assert booked.status_code == 409
    created = client.post("/api/v1/waitlist/", body, format="json")
    assert created.status_code == 201, created.content
    entry = created.json()
    assert (entry["title"], entry["offered"], entry["offer_expires_at"]) == ("Walne zebranie", False, None)
    again = client.post("/api/v1/waitlist/", body, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "already_waiting")
    refused = client.post(f"/api/v1/waitlist/{entry['id']}/accept/")
    assert (refused.status_code, refused.json()["code"]) == (400, "no_offer")

    offer(taken, WaitlistEntry.objects.get(pk=entry["id"]), django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/waitlist/").json()["results"]
    assert [(e["id"], e["offered"]) for e in listed] == [(entry["id"], True)]
    accepted = client.post(f"/api/v1/waitlist/{entry['id']}/accept/")
    assert accepted.status_code == 201, accepted.content
    assert (accepted.json()["status"], accepted.json()["organisation"]) == ("pending", organisation.pk)
    assert client.get(f"/api/v1/waitlist/{entry['id']}/").status_code == 404


def test_api_free_time_bad_input_and_other_organisations(member, room, organisation, other, open_day, taken):
    client = api(member)
    body = {"resource": room.pk, "organisation": organisation.pk, "start": at(open_day, 14).isoformat(),
            "end": at(open_day, 15).isoformat(), "title": "Walne zebranie"}
    free = client.post("/api/v1/waitlist/", body, format="json")
    assert (free.status_code, free.json()["code"]) == (400, "time_is_free")
    assert client.post("/api/v1/waitlist/", {**body, "start": "jutro"}, format="json").status_code == 400
    assert client.post("/api/v1/waitlist/", [], format="json").status_code == 400
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    stranger = api(other.members.get())
    assert stranger.get(f"/api/v1/waitlist/{entry.pk}/").status_code == 404
    assert stranger.delete(f"/api/v1/waitlist/{entry.pk}/").status_code == 404
    assert stranger.post(f"/api/v1/waitlist/{entry.pk}/accept/").status_code == 404
    assert stranger.get("/api/v1/waitlist/").json()["results"] == []
    assert APIClient().get("/api/v1/waitlist/").status_code == 401
    assert client.delete(f"/api/v1/waitlist/{entry.pk}/").status_code == 204
    assert not WaitlistEntry.objects.exists()


def test_staff_see_their_centres_waitlist_in_the_admin(client, room, organisation, open_day, taken):
    from booking.accounts import centre_staff_group

    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                                          title="Czekamy na salę spotkań")
    anna = room.centre.staff.get()
    anna.is_staff = True
    anna.save()
    anna.groups.add(centre_staff_group())
    stranger = factories.make_user("piotr", is_staff=True)
    stranger.groups.add(centre_staff_group())
    factories.make_centre("Centrum Pracy Socjalnej", staff=[stranger])
    client.force_login(anna)
    assert "Czekamy na salę spotkań" in client.get("/admin/booking/waitlistentry/").content.decode()
    assert client.get(f"/admin/booking/waitlistentry/{entry.pk}/delete/").status_code == 403
    client.force_login(stranger)
    assert "Czekamy na salę spotkań" not in client.get("/admin/booking/waitlistentry/").content.decode()
