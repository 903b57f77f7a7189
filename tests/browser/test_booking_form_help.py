"""The booking form speaks plainly in a real browser: a time outside the opening hours is refused with the hours of
that day and the nearest free times as links that fill the form in; a member of several organisations sees which one
books, the one they booked for last chosen. On a desktop and on a phone, in Polish and English; axe-core checks
every page."""
import re

import pytest
from django.utils import translation

from booking.formatting import long_date
from booking.models import Booking
from tests import factories
from tests.browser.conftest import check_page
from tests.browser.test_booking_flow import WORDS, log_in
from tests.browser.test_closures import VIEWPORTS, say

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [("pl", "desktop"), ("en", "desktop"), ("pl", "phone")]


@pytest.fixture
def scene(transactional_db):
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member])
    friday = factories.next_open_weekday(4, centre=centre)
    return {"centre": centre, "room": room, "organisation": organisation, "friday": friday, "member": member}


def open_page(chromium_browser, language, screen):
    context = chromium_browser.new_context(locale=WORDS[language]["locale"], **VIEWPORTS[screen])
    return context, context.new_page()


def fits(page, screen, name):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
    check_page(page, name)


@pytest.mark.parametrize("language, screen", CASES)
def test_a_time_past_closing_shows_the_hours_and_the_nearest_free_times(chromium_browser, live_server, scene,
                                                                       language, screen):
    words = WORDS[language]
    context, page = open_page(chromium_browser, language, screen)
    base = live_server.url + words["prefix"]
    room, friday = scene["room"], scene["friday"]
    log_in(page, base, words, "jan")

    page.goto(f"{base}/resources/{room.pk}/book/")
    page.fill("#id_date", friday.isoformat())
    page.fill("#id_start_time", "13:00")
    page.fill("#id_end_time", "15:00")
    page.fill("#id_title", "Próba chóru")
    page.fill("#id_attendees", "9")
    page.get_by_role("button", name=words["send"]).click()

    with translation.override(language):
        with_day = {"day": long_date(friday), "hours": "07:00–14:00"}
    expect(page.locator("#id_start_time_error")).to_contain_text(
        say(language, "Opening hours that day (%(day)s): %(hours)s.") % with_day)
    offers = page.locator("#suggestions a")
    expect(offers.first).to_have_text(f"{with_day['day']}, 12:00–14:00")
    if screen == "phone":
        box = offers.first.bounding_box()
        assert box["height"] >= 44, "a suggested time is too small to tap"
    fits(page, screen, f"nearest-{language}-{screen}-refused")

    offers.first.click()
    page.wait_for_url(re.compile(r"/book/\?"))
    assert page.locator("#id_date").input_value() == friday.isoformat()
    assert (page.locator("#id_start_time").input_value(), page.locator("#id_end_time").input_value()) == (
        "12:00", "14:00")
    assert page.locator("#id_title").input_value() == "Próba chóru"
    assert page.locator("#id_attendees").input_value() == "9"
    fits(page, screen, f"nearest-{language}-{screen}-filled-in")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    booking = Booking.objects.get()
    assert (booking.title, booking.attendees) == ("Próba chóru", 9)
    context.close()


@pytest.mark.parametrize("language, screen", CASES)
def test_a_member_of_two_organisations_sees_which_one_books(chromium_browser, live_server, scene, language, screen):
    words = WORDS[language]
    context, page = open_page(chromium_browser, language, screen)
    base = live_server.url + words["prefix"]
    room, friday = scene["room"], scene["friday"]
    second = factories.make_organisation("Fundacja Zielone Podwórko", members=[scene["member"]])
    factories.make_booking(resource=room, organisation=scene["organisation"], actor=scene["member"], day=friday,
                           hour=8)
    log_in(page, base, words, "jan")

    page.goto(f"{base}/resources/{room.pk}/book/")
    # The one booked for last is chosen, and the form says so; the other is in sight beside it.
    chosen = page.get_by_label("Stowarzyszenie Aktywni Seniorzy", exact=True)
    other = page.get_by_label("Fundacja Zielone Podwórko", exact=True)
    expect(chosen).to_be_checked()
    expect(other).not_to_be_checked()
    expect(page.locator("#id_organisation_helptext")).to_contain_text(
        say(language, "The booking is made for the organisation chosen here. Chosen: %(name)s, which you booked for "
                      "last.") % {"name": "Stowarzyszenie Aktywni Seniorzy"})
    fits(page, screen, f"organisation-{language}-{screen}")

    other.check()
    page.fill("#id_date", friday.isoformat())
    page.fill("#id_start_time", "10:00")
    page.fill("#id_end_time", "11:00")
    page.fill("#id_title", "Sprzątanie podwórka")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert Booking.objects.get(title="Sprzątanie podwórka").organisation == second

    # Next time, the one just used is chosen.
    page.goto(f"{base}/resources/{room.pk}/book/")
    expect(page.get_by_label("Fundacja Zielone Podwórko", exact=True)).to_be_checked()
    context.close()
