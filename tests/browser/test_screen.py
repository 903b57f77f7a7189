"""The reception screen on a 1920x1080 TV and a 1280x800 tablet: it shows a booking made after it was opened
within one polling interval, without reloading; and a door sign whose QR code, as the browser draws it, reads
back as the room's address. axe-core checks both pages against WCAG 2.1 A and AA."""
import io
import re

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from booking.localtime import day_bounds
from booking.models import Booking, BookingStatus
from booking.qrcodes import resource_week_url
from tests import factories
from tests.browser.conftest import SCREENS, check_page

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAPER = {"a4": (595, 842), "a5": (420, 595)}
SIZES = {"tv": {"width": 1920, "height": 1080}, "tablet": {"width": 1280, "height": 800}}


@pytest.fixture
def today(transactional_db):
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    hall = factories.make_resource(centre, name="Sala szkoleniowa", capacity=30, amenities=["rzutnik", "tablica"])
    kitchen = factories.make_resource(centre, name="Kuchnia warsztatowa", capacity=10)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", centres=[centre])
    first, last = day_bounds(timezone.now().astimezone(centre.tz).date(), centre.tz)
    Booking.objects.create(resource=hall, organisation=organisation, start=first, end=last, public=True,
                           title="Warsztaty decoupage", status=BookingStatus.CONFIRMED, exclusive=True)
    return {"centre": centre, "hall": hall, "kitchen": kitchen, "organisation": organisation, "day": (first, last)}


@pytest.mark.parametrize(("language", "size"), [("pl", "tv"), ("en", "tablet"), ("pl", "tablet"), ("en", "tv")])
def test_the_screen_shows_a_new_booking_without_reloading(chromium_browser, live_server, settings, today, language,
                                                          size):
    settings.SCREEN_REFRESH_SECONDS = 1
    prefix = "" if language == "pl" else "/en"
    context = chromium_browser.new_context(locale="pl-PL" if language == "pl" else "en-GB", viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server.url}{prefix}/centres/{today['centre'].pk}/screen/")
    hall, kitchen = (page.locator(f"[data-room='{today[name].pk}']") for name in ("hall", "kitchen"))
    expect(hall.locator("[data-now]")).to_contain_text("Warsztaty decoupage")
    expect(hall.locator("[data-now]")).to_contain_text("Stowarzyszenie Aktywni Seniorzy")
    if language == "en":  # the Polish words come with the merged catalogue (locale/pl/pending/screen.po)
        expect(kitchen.locator("[data-now]")).to_have_text("Free")
    # Readable from three metres: the room's current booking in large type, and nothing scrolls on the screen.
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.room-now')).fontSize)") >= 26
    assert page.evaluate("document.documentElement.scrollHeight") <= SIZES[size]["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    check_page(page, f"screen-{language}-{size}")
    page.evaluate("window.notReloaded = true")

    first, last = today["day"]
    Booking.objects.create(resource=today["kitchen"], organisation=today["organisation"], start=first, end=last,
                           public=False, title="Zebranie zarządu", status=BookingStatus.CONFIRMED, exclusive=True)

    expect(kitchen.locator("[data-now] .who")).to_have_count(1, timeout=3000)  # one polling interval and a bit
    if language == "en":
        expect(kitchen.locator("[data-now]")).to_have_text("00:00–24:00 Booking")
    expect(kitchen.locator("[data-list] li")).to_have_count(1)
    assert "Zebranie" not in page.content()
    assert page.evaluate("window.notReloaded") is True
    check_page(page, f"screen-{language}-{size}-updated")
    context.close()


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_the_door_sign_qr_code_reads_back_as_the_rooms_address(chromium_browser, live_server, today, size):
    context = chromium_browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/en/resources/{today['hall'].pk}/sign/?size={size}")
    expect(page.locator(".door-sign h2")).to_have_text("Sala szkoleniowa")
    expect(page.locator(".door-sign")).to_contain_text("30 people")
    expect(page.locator(".door-sign")).to_contain_text("rzutnik, tablica")
    png = page.locator(".qr-box").screenshot()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [resource_week_url(today["hall"])]
    check_page(page, f"door-sign-{size}")
    pdf = page.pdf(prefer_css_page_size=True)  # print CSS: one sheet of the size asked for, in points
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert [(round(float(width)), round(float(height))) for width, height in boxes] == [PAPER[size]]
    context.close()


@pytest.mark.parametrize("screen", ["pl-desktop", "en-desktop", "pl-phone"])
def test_the_centre_page_leads_to_the_public_agenda(chromium_browser, live_server, today, screen):
    options = SCREENS[screen]
    context = chromium_browser.new_context(**{key: value for key, value in options.items() if key != "prefix"})
    page = context.new_page()
    centre = today["centre"]
    page.goto(f"{live_server.url}{options['prefix']}/centres/{centre.pk}/")
    check_page(page, f"centre-{screen}")
    page.locator(f"a[href='{options['prefix']}/centres/{centre.pk}/agenda/']").click()
    expect(page.locator("main h1")).to_contain_text(centre.name)
    expect(page.locator(".agenda-event")).to_have_count(1)  # today's, going on till midnight
    expect(page.locator(".agenda-event")).to_contain_text("Warsztaty decoupage")
    expect(page.locator(".agenda-event")).to_contain_text("Stowarzyszenie Aktywni Seniorzy")
    if screen == "pl-phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the agenda scrolls sideways"
    check_page(page, f"agenda-{screen}")
    context.close()
