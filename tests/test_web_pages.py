"""The member pages: centres, week calendars, the booking form, our bookings, feeds, organisations, accounts.

Most assertions read the English pages (/en/...), so that they say what an English reader sees; the Polish
default is checked in tests/test_web_translations.py.
"""
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from booking.feeds import hash_token
from booking.formatting import long_date
from booking.models import Booking, Closure, FeedToken
from ngo.models import Membership, Organisation
from tests import factories
from tests.factories import at


def en(name, *args, **kwargs):
    with translation.override("en"):
        return reverse(name, args=args, kwargs=kwargs)


def pl(name, *args, **kwargs):
    with translation.override("pl"):
        return reverse(name, args=args, kwargs=kwargs)


def error_of(response, field_id):
    """The error text shown next to a form field (the paragraph the input's aria-describedby points at)."""
    html = response.content.decode()
    match = re.search(rf'<p class="error" id="{field_id}_error">(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    assert f"{field_id}_error" in re.search(
        rf'<[^>]+id="{field_id}"[^>]*>', html).group(0), "the input does not point at its error"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()


@pytest.fixture
def other_organisation(db):
    return factories.make_organisation("Fundacja Pomocna Dłoń", members=[factories.make_user("ewa")])


# --- Public pages ---------------------------------------------------------------------------

def test_home_lists_centres_with_address_and_hours(client, room):
    page = client.get(en("web:home")).content.decode()
    assert '<html lang="en">' in page
    assert "Centrum Aktywizacji Społecznej" in page
    assert "ul. Powstańców 70/3" in page
    assert "07:00–18:00" in page and "07:00–14:00" in page
    assert "1 room or resource" in page


def test_centre_page_lists_resources_with_capacity_and_amenities(client, centre, room):
    room.amenities = ["projector", "whiteboard"]
    room.save()
    page = client.get(en("web:centre_detail", centre.pk)).content.decode()
    assert "Sala spotkań" in page
    assert "12 people" in page
    assert "projector, whiteboard" in page
    assert en("web:resource_week", room.pk) in page


def test_week_shows_free_slots_as_links_to_the_booking_form(client, room, open_day):
    response = client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()})
    page = response.content.decode()
    form_url = en("web:booking_create", room.pk)
    assert f'href="{form_url}?start={open_day}T10%3A00&amp;end={open_day}T10%3A30"' in page
    assert "10:00<span class=\"sr-only\">–10:30, free: book</span>" in page
    # Saturday and Sunday are closed, in words
    assert page.count("Closed") >= 2


def test_busy_time_shows_titles_only_where_visible(client, member, room, organisation, other_organisation,
                                                  open_day):
    ewa = other_organisation.members.get()
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                           title="Zebranie zarządu")
    factories.make_booking(actor=ewa, resource=room, organisation=other_organisation, day=open_day, hour=12,
                           title="Warsztaty kulinarne", public=True)
    url = en("web:resource_week", room.pk)
    anonymous = client.get(url, {"date": open_day.isoformat()}).content.decode()
    assert "Warsztaty kulinarne" in anonymous
    assert "Zebranie zarządu" not in anonymous
    assert "10:00–11:00</span> <span class=\"state\">Booked</span></li>" in anonymous
    client.force_login(member)
    assert "Zebranie zarządu" in client.get(url, {"date": open_day.isoformat()}).content.decode()


def test_week_shows_closures_and_public_holidays(client, staff_user, centre, room, open_day):
    Closure.objects.create(centre=centre, start=at(open_day, 12), end=at(open_day, 18), reason="Malowanie sali")
    page = client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()}).content.decode()
    assert "12:00–18:00</span> <span class=\"state\">Closed</span>: Malowanie sali" in page
    new_year = date(timezone.localdate().year + 1, 1, 1)
    page = client.get(en("web:resource_week", room.pk), {"date": new_year.isoformat()}).content.decode()
    assert "Closed: Nowy Rok" in page


def test_week_navigation_previous_next_and_jump_to_a_date(client, room, open_day):
    monday = open_day - timedelta(days=open_day.weekday())
    page = client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()}).content.decode()
    assert f'href="?date={monday - timedelta(days=7)}"' in page
    assert f'href="?date={monday + timedelta(days=7)}"' in page
    assert f'<input type="date" id="jump-date" name="date" value="{monday}" required>' in page
    assert client.get(en("web:resource_week", room.pk), {"date": "not-a-date"}).status_code == 200


def test_centre_week_shows_every_resource_with_free_ranges(client, centre, room, member, organisation, open_day):
    desk = factories.make_resource(centre, kind="desk", name="Biurko 1")
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    page = client.get(en("web:centre_week", centre.pk), {"date": open_day.isoformat()}).content.decode()
    assert "Biurko 1" in page and "Sala spotkań" in page
    # the room is free around the booking, the desk all day; free ranges are links
    assert f'start={open_day}T07%3A00&amp;end={open_day}T10%3A00' in page
    assert f'start={open_day}T11%3A00&amp;end={open_day}T18%3A00' in page
    assert en("web:booking_create", desk.pk) in page


def test_private_occupancy_shows_opening_hours_and_closures_but_not_bookings(
        client, centre, room, member, organisation, staff_user, open_day):
    room.occupancy_public = False
    room.save()
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                           title="Zebranie zarządu", public=True)
    Closure.objects.create(centre=centre, start=at(open_day, 16), end=at(open_day, 18), reason="Malowanie sali")
    params = {"date": open_day.isoformat()}
    resource_url, centre_url = en("web:resource_week", room.pk), en("web:centre_week", centre.pk)

    outsider = factories.make_user("obcy")
    for user in (None, outsider):
        if user:
            client.force_login(user)
        for url in (resource_url, centre_url):
            page = client.get(url, params).content.decode()
            assert "Booked" not in page and "Zebranie zarządu" not in page
            assert en("web:booking_create", room.pk) not in page  # no free times either
            assert "07:00–16:00</span> <span class=\"state\">Open</span></li>" in page
            assert "16:00–18:00</span> <span class=\"state\">Closed</span>: Malowanie sali" in page
        page = client.get(resource_url, params).content.decode()
        assert "does not publish when this resource is booked" in page
        assert "Public calendar of this resource" not in page  # its feed is not public either

    for user in (member, staff_user):
        client.force_login(user)
        page = client.get(resource_url, params).content.decode()
        assert "10:00–11:00</span> <span class=\"state\">Booked</span>: Zebranie zarządu" in page
        assert f'start={open_day}T11%3A00&amp;end={open_day}T11%3A30' in page


def fill_week(user, resource, organisation, monday, per_day):
    for offset in range(4):
        for hour in range(7, 7 + per_day):
            factories.make_booking(actor=user, resource=resource, organisation=organisation,
                                   start=at(monday + timedelta(days=offset), hour),
                                   end=at(monday + timedelta(days=offset), hour + 1),
                                   title=f"Spotkanie {offset}-{hour}")


@pytest.mark.parametrize("per_day", [1, 10])
def test_week_pages_cost_the_same_queries_however_full_the_week(client, django_assert_max_num_queries, centre,
                                                               room, member, organisation, open_day, per_day):
    monday = open_day - timedelta(days=open_day.weekday())
    factories.make_resource(centre, kind="desk", name="Biurko 1")
    fill_week(member, room, organisation, monday, per_day)
    client.force_login(member)
    # session, user, resource and hours, who may read titles, bookings, closures (twice), staff menu
    with django_assert_max_num_queries(10):
        assert client.get(en("web:resource_week", room.pk), {"date": monday.isoformat()}).status_code == 200
    # two more per resource (its bookings and closures), whatever they hold
    with django_assert_max_num_queries(13):
        assert client.get(en("web:centre_week", centre.pk), {"date": monday.isoformat()}).status_code == 200
    # two of them: who may cancel what (rules.CancellationCheck); the waitlist; which lendings may be renewed
    with django_assert_max_num_queries(11):
        assert client.get(en("web:my_bookings")).status_code == 200


# --- Booking form ---------------------------------------------------------------------------

def test_booking_form_needs_a_login(client, room):
    response = client.get(en("web:booking_create", room.pk))
    assert response.status_code == 302
    assert response.url.startswith(en("web:login") + "?next=")


def test_booking_form_opens_on_the_clicked_slot_with_the_organisation_preselected(client, member, room,
                                                                                 organisation, open_day):
    Organisation.objects.create(name="Aaa grupa", kind="informal", contact_person="X", email="x@example.org")
    Membership.objects.create(user=member, organisation=Organisation.objects.get(name="Aaa grupa"))
    client.force_login(member)
    page = client.get(en("web:booking_create", room.pk),
                      {"start": f"{open_day}T10:00", "end": f"{open_day}T10:30"}).content.decode()
    # the verified organisation is chosen, not the first (unverified) one
    assert re.search(rf'<input type="radio" name="organisation" value="{organisation.pk}"[^>]*checked', page)
    assert f'value="{open_day}"' in page
    assert 'name="start_time" value="10:00"' in page
    assert 'name="end_time" value="11:00"' in page  # an hour by default


def test_default_end_stops_where_the_free_time_ends(client, member, room, organisation, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(open_day, 10, 30),
                           end=at(open_day, 12))
    client.force_login(member)
    page = client.get(en("web:booking_create", room.pk),
                      {"start": f"{open_day}T10:00", "end": f"{open_day}T10:30"}).content.decode()
    assert 'name="end_time" value="10:30"' in page


def form_data(organisation, day, start, end, **extra):
    return {"organisation": organisation.pk, "date": day.isoformat(), "start_time": start, "end_time": end,
            "title": "Walne zebranie", "attendees": 8, **extra}


def test_booking_request_is_sent_and_shown_awaiting_approval(client, member, room, organisation, open_day):
    client.force_login(member)
    response = client.post(en("web:booking_create", room.pk), form_data(organisation, open_day, "10:00", "12:00"),
                           follow=True)
    booking = Booking.objects.get()
    assert (booking.start, booking.end, booking.status) == (at(open_day, 10), at(open_day, 12), "pending")
    assert booking.created_by == member and booking.attendees == 8
    page = response.content.decode()
    assert "Your request has been sent." in page
    assert "Walne zebranie" in page and "Awaiting approval" in page


def test_a_broken_rule_is_shown_next_to_its_field(client, member, room, organisation, open_day):
    client.force_login(member)
    url = en("web:booking_create", room.pk)
    response = client.post(url, form_data(organisation, open_day, "17:00", "19:00"))
    with translation.override("en"):
        day = long_date(open_day)
    assert error_of(response, "id_start_time") == (
        f"The centre is not open for the whole of this time. Opening hours that day ({day}): 07:00–18:00.")
    response = client.post(url, form_data(organisation, open_day, "10:00", "11:00", attendees=40))
    assert error_of(response, "id_attendees") == "Sala spotkań holds at most 12 people."
    assert not Booking.objects.exists()


def test_an_unverified_organisation_is_told_next_to_the_organisation(client, member, room, organisation, open_day):
    organisation.status = Organisation.Status.UNVERIFIED
    organisation.save()
    client.force_login(member)
    response = client.post(en("web:booking_create", room.pk), form_data(organisation, open_day, "10:00", "11:00"))
    assert error_of(response, "id_organisation") == (
        "Stowarzyszenie Aktywni Seniorzy has not been verified by the centre yet.")


def test_a_conflict_is_shown_by_the_time_fields_with_titles_only_where_visible(
        client, member, room, organisation, other_organisation, open_day):
    ewa = other_organisation.members.get()
    factories.make_booking(actor=ewa, resource=room, organisation=other_organisation, day=open_day, hour=10,
                           title="Tajne spotkanie")
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=11,
                           title="Nasza próba chóru")
    client.force_login(member)
    response = client.post(en("web:booking_create", room.pk), form_data(organisation, open_day, "10:30", "11:30"))
    page = response.content.decode()
    conflict = re.search(r'<div class="error conflict" id="conflict-message">(.*?)</div>', page, re.S).group(1)
    assert "This time is already booked." in conflict
    assert "10:00–11:00" in conflict and "11:00–12:00 – Nasza próba chóru" in conflict
    assert "Tajne spotkanie" not in page
    assert 'aria-describedby="conflict-message' in page
    assert Booking.objects.count() == 2


def test_a_member_without_organisation_is_sent_to_register_one(client, room):
    client.force_login(factories.make_user("solo"))
    page = client.get(en("web:booking_create", room.pk)).content.decode()
    assert "Only members of an organisation verified by the centre can book." in page
    assert en("web:organisation_register") in page


# --- Our bookings and cancelling ------------------------------------------------------------

def test_our_bookings_lists_upcoming_and_past_with_status_in_words(client, member, room, organisation, open_day):
    upcoming = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                      title="Przyszłe spotkanie")
    past = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=12,
                                  title="Dawne spotkanie")
    Booking.objects.filter(pk=past.pk).update(start=timezone.now() - timedelta(days=3, hours=1),
                                              end=timezone.now() - timedelta(days=3), status="confirmed")
    client.force_login(member)
    page = client.get(en("web:my_bookings")).content.decode()
    upcoming_part, past_part = page.split('id="past-title"')
    assert "Przyszłe spotkanie" in upcoming_part and "Awaiting approval" in upcoming_part
    assert "Dawne spotkanie" in past_part and "Confirmed" in past_part
    assert en("web:booking_cancel", upcoming.pk) in upcoming_part
    assert en("web:booking_cancel", past.pk) not in page


def test_cancelling_asks_first_then_cancels(client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    client.force_login(member)
    url = en("web:booking_cancel", booking.pk)
    page = client.get(url).content.decode()
    assert "Cancel the booking?" in page and "Yes, cancel the booking" in page
    booking.refresh_from_db()
    assert booking.status == "pending"
    response = client.post(url, {"reason": "Zmiana planów"}, follow=True)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_reason == "Zmiana planów"
    assert "Cancelled" in response.content.decode()


def test_another_organisations_booking_cannot_be_seen_or_cancelled(client, member, room, other_organisation,
                                                                   open_day):
    ewa = other_organisation.members.get()
    booking = factories.make_booking(actor=ewa, resource=room, organisation=other_organisation, day=open_day, hour=10)
    client.force_login(member)
    assert client.get(en("web:booking_cancel", booking.pk)).status_code == 404
    assert client.post(en("web:booking_cancel", booking.pk)).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "pending"


# --- Calendar feeds -------------------------------------------------------------------------

def test_a_feed_address_is_shown_once_with_webcal_and_can_be_turned_off(client, member, organisation, settings):
    settings.SITE_URL = "https://rezerwacje.example.org"
    client.force_login(member)
    url = en("web:feeds")
    page = client.post(url, {"what": f"organisation:{organisation.pk}", "name": "Telefon"}).content.decode()
    raw = re.search(r'value="https://rezerwacje\.example\.org/feeds/([\w-]+)\.ics"', page).group(1)
    assert f'href="webcal://rezerwacje.example.org/feeds/{raw}.ics"' in page
    feed = FeedToken.objects.get()
    assert (feed.token_hash, feed.organisation, feed.name) == (hash_token(raw), organisation, "Telefon")
    listing = client.get(url).content.decode()
    assert "Telefon" in listing and raw not in listing
    page = client.post(en("web:feed_revoke", feed.pk), follow=True).content.decode()
    assert "The calendar address “Telefon” no longer works." in page
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert "Telefon" not in client.get(url).content.decode()


def test_someone_elses_feed_cannot_be_revoked(client, member, organisation):
    client.force_login(member)
    client.post(en("web:feeds"), {"what": "person"})
    feed = FeedToken.objects.get()
    client.force_login(factories.make_user("obcy"))
    assert client.post(en("web:feed_revoke", feed.pk)).status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


# --- Organisations --------------------------------------------------------------------------

def test_registering_an_organisation_then_seeing_its_status(client, member, centre):
    client.force_login(member)
    response = client.post(en("web:organisation_register"), {
        "name": "Koło Gospodyń Miejskich", "kind": "informal", "contact_person": "Jan Kowalski",
        "email": "kgm@example.org"}, follow=True)
    organisation = Organisation.objects.get(name="Koło Gospodyń Miejskich")
    assert organisation.status == "unverified"
    assert Membership.objects.get(organisation=organisation).user == member
    assert list(organisation.centres.all()) == [centre]  # the only centre is its home
    page = response.content.decode()
    assert "Koło Gospodyń Miejskich" in page and "Awaiting verification" in page


def test_a_registered_ngo_without_krs_is_told_next_to_the_field(client, member, centre):
    client.force_login(member)
    response = client.post(en("web:organisation_register"), {
        "name": "Stowarzyszenie Bez Numeru", "kind": "registered", "contact_person": "Jan Kowalski",
        "email": "sbn@example.org"})
    assert error_of(response, "id_krs") == "A registered NGO gives its KRS number."
    assert not Organisation.objects.filter(name="Stowarzyszenie Bez Numeru").exists()


# --- Accounts and language ------------------------------------------------------------------

def test_login_returns_to_the_page_asked_for(client, member, room):
    target = en("web:my_bookings")
    response = client.post(en("web:login"), {"username": "jan", "password": "jan", "next": target})
    assert response.status_code == 302 and response.url == target


def test_password_reset_by_email(client, english_member, mailoutbox, django_capture_on_commit_callbacks):
    member = english_member  # the link follows the person's language
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends once the request commits
        response = client.post(en("web:password_reset"), {"email": "jan@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/en/accounts/reset/\S+/", mailoutbox[0].body).group(0)
    page = client.get(urlsplit(link).path, follow=True)
    assert "new_password1" in page.content.decode()
    response = client.post(page.redirect_chain[-1][0], {"new_password1": "Nowe-Haslo-2024!",
                                                        "new_password2": "Nowe-Haslo-2024!"}, follow=True)
    assert "Your new password is set." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password("Nowe-Haslo-2024!")


def test_language_switch_moves_to_the_english_page_and_remembers_it(client, member, room):
    client.force_login(member)
    polish_url = pl("web:resource_week", room.pk) + "?date=2030-01-07"
    response = client.post(pl("web:set_language"), {"language": "en", "next": polish_url})
    assert response.status_code == 302
    assert response.url == "/en" + polish_url
    member.refresh_from_db()
    assert member.language == "en"
    assert '<html lang="en">' in client.get(response.url).content.decode()


def test_every_form_carries_a_csrf_token(client, member, room, organisation, open_day):
    client.force_login(member)
    for url in [en("web:booking_create", room.pk), en("web:feeds"), en("web:organisation_register")]:
        page = client.get(url).content.decode()
        assert page.count("<form") == page.count('name="csrfmiddlewaretoken"')
