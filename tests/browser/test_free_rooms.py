"""A member finds a free room for a time and a group, books it from the result, and reads a room's month; in a real
browser, on a desktop and on a phone. axe-core checks every page against WCAG 2.1 A and AA."""
import re
from datetime import timedelta

import pytest

from booking.availability import public_holiday
from booking.models import Booking
from tests import factories
from tests.browser.conftest import check_page
from tests.factories import at

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": {"viewport": {"width": 1280, "height": 900}},
           "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                     "device_scale_factor": 2}}


@pytest.fixture
def rooms(transactional_db):
    """A centre with a small and a big room, the small one booked at 10:00-11:00 on an open Tuesday."""
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    small = factories.make_resource(centre, name="Pokój rozmów", capacity=6, amenities=["tablica"])
    big = factories.make_resource(centre, name="Sala szkoleniowa", capacity=30, amenities=["rzutnik"])
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member])
    day = factories.next_open_weekday(1, centre=centre)
    # Monday to Wednesday in one month (the week page opens its Monday's month), Tuesday and Wednesday open
    while (day - timedelta(days=1)).month != (day + timedelta(days=1)).month \
            or public_holiday(centre, day) or public_holiday(centre, day + timedelta(days=1)):
        day += timedelta(weeks=1)
    Booking.objects.create(resource=small, organisation=organisation, start=at(day, 10), end=at(day, 11),
                           status="confirmed", title="Dyżur", exclusive=True)
    Booking.objects.create(resource=small, organisation=organisation, start=at(day + timedelta(days=1), 7),
                           end=at(day + timedelta(days=1), 18), status="confirmed", title="Warsztaty", exclusive=True)
    return {"centre": centre, "small": small, "big": big, "day": day}


@pytest.mark.parametrize(("language", "screen"), [("pl", "desktop"), ("en", "desktop"), ("pl", "phone")])
def test_member_finds_a_free_room_and_reads_its_month(chromium_browser, live_server, rooms, language, screen):
    prefix = "" if language == "pl" else "/en"
    base = live_server.url + prefix
    context = chromium_browser.new_context(locale="pl-PL" if language == "pl" else "en-GB", **SCREENS[screen])
    page = context.new_page()
    name = f"{language}-{screen}"

    def check(what):
        if screen == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{what} scrolls sideways"
        check_page(page, f"{name}-{what}")

    page.goto(f"{base}/accounts/login/?next={prefix}/free-rooms/")
    page.fill("#id_username", "jan")
    page.fill("#id_password", "jan")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/free-rooms/$"))
    expect(page.locator(f"nav.main-nav a[href='{prefix}/free-rooms/'][aria-current='page']")).to_have_count(1)
    check("free-rooms")

    day = rooms["day"]
    page.fill("#id_date", day.isoformat())
    page.fill("#id_start_time", "11:00")
    page.fill("#id_end_time", "09:00")
    page.fill("#id_people", "4")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_end_time_error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#id_end_time']")).to_be_visible()
    expect(page.locator("#id_end_time")).to_have_attribute("aria-invalid", "true")
    check("free-rooms-error")

    page.fill("#id_start_time", "10:00")
    page.fill("#id_end_time", "12:00")
    page.locator("main form button[type=submit]").click()
    cards = page.locator(".found li.card")
    expect(cards).to_have_count(1)  # the small room is booked at 10:00-11:00
    expect(cards.locator("h3")).to_have_text("Sala szkoleniowa")
    check("free-rooms-found")

    page.fill("#id_start_time", "11:00")
    page.locator("main form button[type=submit]").click()
    expect(cards).to_have_count(2)
    expect(cards.locator("h3")).to_have_text(["Pokój rozmów", "Sala szkoleniowa"])  # the smallest first
    book = cards.first.locator("a.button")
    box = book.bounding_box()
    assert box["height"] >= 44, "the booking link is too small to tap"
    book.click()
    page.wait_for_url(re.compile(rf"/resources/{rooms['small'].pk}/book/"))
    expect(page.locator("#id_date")).to_have_value(day.isoformat())
    expect(page.locator("#id_start_time")).to_have_value("11:00")
    expect(page.locator("#id_end_time")).to_have_value("12:00")
    expect(page.locator("#id_attendees")).to_have_value("4")

    page.goto(f"{base}/resources/{rooms['small'].pk}/?date={day}")
    page.locator(".view-links a").first.click()
    page.wait_for_url(re.compile(rf"/resources/{rooms['small'].pk}/month/"))
    full = page.locator(f"td.month-day a[href$='?date={day + timedelta(days=1)}']")
    expect(full).to_have_count(1)
    expect(page.locator(f"td.month-day.partly a[href$='?date={day}']")).to_have_count(1)
    expect(page.locator(f"td.month-day.full a[href$='?date={day + timedelta(days=1)}']")).to_have_count(1)
    box = full.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, "a day is too small to tap"
    check("month")
    full.click()
    page.wait_for_url(re.compile(rf"/resources/{rooms['small'].pk}/\?date={day + timedelta(days=1)}$"))
    context.close()
