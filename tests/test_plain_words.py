"""Plain words (issue 16, point 12): durations written out, a refused series in sentences, the cancel form as each
person needs it, a pending badge that does not read like cut-off text, and addresses without `/en/` that follow
the language the visitor chose."""
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from booking.exceptions import BookingConflict, RuleViolation
from booking.rules import check_duration, check_timing
from booking.series import Mode
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


# --- Durations in words ----------------------------------------------------------------------------

@pytest.mark.parametrize("limit, hours, words", [
    (timedelta(hours=8), 9, "A booking lasts at most 8 hours."),
    (timedelta(hours=1), 2, "A booking lasts at most 1 hour."),
    (timedelta(minutes=90), 2, "A booking lasts at most 90 minutes."),
])
def test_durations_are_written_out_and_end_in_one_full_stop(room, open_day, limit, hours, words):
    room.max_duration = limit
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        check_duration(room, at(open_day, 7), at(open_day, 7) + timedelta(hours=hours))
    assert refused.value.message == words


@pytest.mark.parametrize("notice, window, hours_before, words", [
    (timedelta(days=1), timedelta(days=30), 2, "Book at least 1 day ahead."),
    (timedelta(0), timedelta(days=30), 31 * 24, "This resource can be booked at most 30 days ahead."),
])
def test_the_notice_and_the_advance_window_are_written_out_too(room, open_day, notice, window, hours_before, words):
    room.minimum_notice, room.advance_window = notice, window
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        check_timing(room, at(open_day, 10), at(open_day, 10) - timedelta(hours=hours_before))
    assert refused.value.message == words


def test_the_booking_form_says_the_longest_booking_in_words(client, member, room, organisation, open_day):
    room.max_duration = timedelta(hours=2)
    room.save()
    client.force_login(member)
    response = client.post(en("web:booking_create", room.pk), {
        "organisation": organisation.pk, "title": "Długie zebranie", "attendees": 3, "quantity": 1,
        "date": open_day.isoformat(), "start_time": "08:00", "end_time": "11:00",
    })
    page = response.content.decode()
    assert "A booking lasts at most 2 hours." in page and "hours.." not in page


# --- A refused series in sentences ----------------------------------------------------------------

TUESDAY = date(2027, 1, 12)
NOW = at(date(2027, 1, 4), 9)


@pytest.fixture
def other_organisation(db):
    return factories.make_organisation("Fundacja Sąsiedzi", members=[factories.make_user("ewa")])


@pytest.mark.parametrize("taken_days, words", [
    ([date(2027, 1, 26)], "The meeting on {first} cannot be booked. This time is already booked. You can book the "
                          "other dates and skip these."),
    ([date(2027, 1, 19), date(2027, 1, 26)], "2 of the 5 meetings cannot be booked. The first of them is on {first}. "
                                             "This time is already booked. You can book the other dates and skip "
                                             "these."),
])
def test_a_refused_series_says_which_date_in_sentences(member, room, organisation, other_organisation, taken_days,
                                                         words):
    for day in taken_days:
        factories.make_booking(resource=room, organisation=other_organisation, start=at(day, 16, 30),
                               end=at(day, 17, 30), now=NOW)
    with translation.override("en"), pytest.raises(BookingConflict) as refused:
        factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=5", mode=Mode.ALL_OR_NOTHING, now=NOW)
    with translation.override("en"):
        assert refused.value.message == words.format(first=date_format(taken_days[0]))


# --- The cancel form as each person needs it ----------------------------------------------------------

def reason_field(page):
    label = re.search(r'<label for="id_reason">(.*?)</label>', page).group(1)
    return label, re.search(r"<textarea[^>]*>", page).group(0)


def test_members_may_leave_the_reason_out(client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day)
    client.force_login(member)
    label, textarea = reason_field(client.get(en("web:booking_cancel", booking.pk)).content.decode())
    assert label == "Why is it cancelled? (you may leave this empty)"
    assert "required" not in textarea
    client.post(en("web:booking_cancel", booking.pk), {"reason": ""})
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_staff_cancelling_another_organisations_booking_are_asked_for_the_reason(client, staff_user, member, room,
                                                                                 organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day)
    client.force_login(staff_user)
    page = client.get(en("web:booking_cancel", booking.pk)).content.decode()
    label, textarea = reason_field(page)
    assert label == "Reason for the cancellation" and "required" in textarea
    assert "The organisation reads it in the cancellation e-mail." in page
    response = client.post(en("web:booking_cancel", booking.pk), {"reason": " "})
    assert "Say why the booking is cancelled." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_the_series_cancel_form_asks_the_same(client, staff_user, member, room, organisation, open_day):
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day,
                                   rrule="FREQ=WEEKLY;COUNT=2")
    meeting = result.bookings[0]
    client.force_login(member)
    assert reason_field(client.get(en("web:booking_cancel_following", meeting.pk)).content.decode())[0] == (
        "Why is it cancelled? (you may leave this empty)")
    client.force_login(staff_user)
    assert reason_field(client.get(en("web:booking_cancel_following", meeting.pk)).content.decode())[0] == (
        "Reason for the cancellation")


# --- The pending badge ----------------------------------------------------------------------------------

def test_the_pending_badge_does_not_start_with_an_ellipsis(client, member, room, organisation, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day)
    client.force_login(member)
    badge = re.search(r'<span class="status status-pending">.*?</span> (.*?)</span>',
                      client.get(en("web:my_bookings")).content.decode())
    assert badge.group(1) == "Awaiting approval" and "…" not in badge.group(0)


# --- Addresses without /en/ follow the language the visitor chose --------------------------------

def visitor(language=None, **headers):
    browser = Client(**headers)
    if language:
        browser.cookies["django_language"] = language
    return browser


@pytest.mark.parametrize("path", ["/", "/centres/{centre}/?date=2027-01-12", "/accounts/login/?next=/bookings/"])
def test_a_visitor_who_chose_english_gets_the_english_address(centre, path):
    path = path.format(centre=centre.pk)
    response = visitor("en").get(path)
    assert response.status_code == 302 and response.url == "/en" + path
    assert "Cookie" in response["Vary"]
    page = visitor("en").get(path, follow=True)
    assert '<html lang="en">' in page.content.decode()


@pytest.mark.parametrize("browser", [visitor(), visitor("pl"), visitor(HTTP_ACCEPT_LANGUAGE="en"),
                                     visitor("xx")], ids=["new", "polish", "accept-language", "unknown"])
def test_others_stay_on_the_polish_address(centre, browser):
    response = browser.get("/")
    assert response.status_code == 200 and '<html lang="pl">' in response.content.decode()
    assert "Cookie" in response["Vary"]


def test_only_pages_that_have_an_english_address_move(centre, member):
    browser = visitor("en")
    assert browser.get("/api/v1/centres/").status_code == 200
    assert browser.get("/healthz").status_code == 200
    browser.force_login(member)
    response = browser.post("/en/language/", {"language": "pl", "next": "/en/bookings/"})
    assert response.status_code == 302 and response.url == "/bookings/"  # the switch back to Polish
    assert browser.get("/bookings/").status_code == 200  # and Polish addresses stay Polish
    assert '<html lang="pl">' in browser.get("/bookings/").content.decode()


def test_a_form_posted_to_a_polish_address_is_not_redirected(client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day)
    browser = visitor("en")
    browser.force_login(member)
    browser.post(f"/bookings/{booking.pk}/cancel/", {"reason": ""})
    booking.refresh_from_db()
    assert booking.status == "cancelled"
