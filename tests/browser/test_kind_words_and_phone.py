"""The booking form asks in the words of what is booked (a locker: "How many lockers?", no people), and the pages fit
a 390x844 phone: the centre's week one day at a time with a day switcher, the menu behind a button, checkboxes and
radio buttons at a size a finger can hit. On a desktop (Polish, English) and a phone; axe-core checks every page."""
import re
from datetime import timedelta

import pytest

from booking.models import Booking, Resource
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.browser.test_booking_flow import WORDS, log_in
from tests.browser.test_closures import say

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAPPABLE = 20  # px: the least rendered width and height of a checkbox or radio button


@pytest.fixture
def scene(transactional_db):
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12)
    lockers = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafki (rząd A)", units=8)
    factories.make_resource(centre, Resource.Kind.DESK, name="Biurko przy oknie")
    factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój 4-osobowy", units=4, capacity=4)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member],
                                               centres=[centre])
    monday = factories.next_open_weekday(0, centre=centre)
    return {"centre": centre, "room": room, "lockers": lockers, "organisation": organisation, "monday": monday}


def open_page(chromium_browser, screen, **options):
    context = chromium_browser.new_context(**{k: v for k, v in SCREENS[screen].items() if k != "prefix"}, **options)
    return context, context.new_page()


def language_of(screen):
    return screen[:2]


def fits(page, screen, name):
    if screen.endswith("phone"):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
    check_page(page, name)


def tappable(locator, name):
    box = locator.bounding_box()
    assert box is not None, f"{name} is not shown"
    assert box["width"] >= TAPPABLE and box["height"] >= TAPPABLE, f"{name} is rendered {box['width']}x{box['height']}"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_locker_is_booked_in_the_words_of_lockers(chromium_browser, live_server, scene, screen):
    language = language_of(screen)
    words = WORDS[language]
    context, page = open_page(chromium_browser, screen)
    base = live_server.url + SCREENS[screen]["prefix"]
    lockers, monday = scene["lockers"], scene["monday"]
    log_in(page, base, words, "jan")

    page.goto(f"{base}/resources/{lockers.pk}/book/")
    how_many = page.get_by_label(say(language, "How many lockers?"), exact=True)
    expect(how_many).to_be_visible()
    expect(page.locator("#id_quantity_helptext")).to_have_text(
        say(language, "At most %(quantity)s.") % {"quantity": say(language, "%(count)d locker", "%(count)d lockers",
                                                                   8) % {"count": 8}})
    expect(page.locator("#id_attendees")).to_have_count(0)  # nobody "comes" to a locker
    expect(page.locator("#id_title_helptext")).to_have_text(
        say(language, "For example: materials for the summer camp, the choir's costumes."))
    tappable(page.locator("#id_public"), "the 'show the title' checkbox")
    fits(page, screen, f"kind-words-locker-form-{screen}")

    page.fill("#id_start_date", monday.isoformat())
    page.fill("#id_end_date", (monday + timedelta(days=13)).isoformat())
    page.fill("#id_title", "Stroje chóru")
    how_many.fill("2")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    booking = Booking.objects.get()
    assert (booking.quantity, booking.attendees) == (2, 1)
    card = page.locator(".booking", has_text="Stroje chóru")
    expect(card).to_contain_text(say(language, "%(count)d locker", "%(count)d lockers", 2) % {"count": 2})
    fits(page, screen, f"kind-words-our-bookings-{screen}")
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_room_asks_how_many_people_come_and_its_radios_keep_their_size(chromium_browser, live_server, scene,
                                                                        screen):
    language = language_of(screen)
    words = WORDS[language]
    context, page = open_page(chromium_browser, screen)
    base = live_server.url + SCREENS[screen]["prefix"]
    log_in(page, base, words, "jan")

    page.goto(f"{base}/resources/{scene['room'].pk}/book/?date={scene['monday']}")
    expect(page.get_by_label(say(language, "How many people will come?"), exact=True)).to_be_visible()
    expect(page.locator("#id_quantity")).to_have_count(0)  # one room: nothing to count
    page.get_by_label(words["every_week"], exact=True).check()
    book_others = page.get_by_label(words["book_others"], exact=True)
    expect(book_others).to_be_visible()
    tappable(book_others, "the 'book the others' radio button")
    tappable(page.locator("#id_public"), "the 'show the title' checkbox")
    fits(page, screen, f"kind-words-room-form-{screen}")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_the_phone_shows_the_centre_week_day_by_day(chromium_browser, live_server, scene, javascript):
    language, monday = "pl", scene["monday"]
    context, page = open_page(chromium_browser, "pl-phone", java_script_enabled=javascript)
    page.goto(f"{live_server.url}/centres/{scene['centre'].pk}/week/?date={monday}")
    days = page.locator(".centre-week section.day")
    expect(days).to_have_count(7)
    expect(days.nth(0)).to_be_visible()
    for hidden in range(1, 7):
        expect(days.nth(hidden)).to_be_hidden()
    switcher = page.get_by_role("navigation", name=say(language, "Choose the day"))
    links = switcher.get_by_role("link")
    expect(links).to_have_count(7)
    expect(links.nth(0)).to_have_attribute("aria-current", "true")
    box = links.nth(1).bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, "a day of the switcher is too small to tap"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the phone's week is {height}px tall"
    if javascript:
        fits(page, "pl-phone", "week-phone-monday")

    links.nth(1).click()  # Tuesday
    if not javascript:
        page.wait_for_url(re.compile(rf"\?date={monday + timedelta(days=1)}$"))
    expect(days.nth(1)).to_be_visible()
    expect(days.nth(0)).to_be_hidden()
    expect(page.locator(".centre-week section.day:visible")).to_have_count(1)
    expect(links.nth(1)).to_have_attribute("aria-current", "true")
    expect(links.nth(0)).not_to_have_attribute("aria-current", "true")
    assert page.url.endswith(f"?date={monday + timedelta(days=1)}")  # the address names the day shown
    if javascript:
        expect(days.nth(1).locator("h2")).to_be_focused()
        fits(page, "pl-phone", "week-phone-tuesday")
    context.close()


def test_the_desktop_shows_the_whole_week_without_a_switcher(chromium_browser, live_server, scene):
    context, page = open_page(chromium_browser, "en-desktop")
    page.goto(f"{live_server.url}/en/centres/{scene['centre'].pk}/week/?date={scene['monday']}")
    expect(page.locator(".centre-week section.day:visible")).to_have_count(7)
    expect(page.get_by_role("navigation", name="Choose the day")).to_be_hidden()
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_menu_folds_away_on_a_phone(chromium_browser, live_server, scene, screen):
    language = language_of(screen)
    context, page = open_page(chromium_browser, screen)
    base = live_server.url + SCREENS[screen]["prefix"]
    log_in(page, base, WORDS[language], "jan")
    menu = page.get_by_role("navigation", name=say(language, "Main menu"))
    our_bookings = menu.get_by_role("link", name=say(language, "Our bookings"))
    toggle = page.get_by_role("button", name=say(language, "Menu"))
    if not screen.endswith("phone"):
        expect(toggle).to_be_hidden()
        expect(our_bookings).to_be_visible()
        context.close()
        return
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(our_bookings).to_be_hidden()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 844 / 8, f"the closed header is {header['height']}px tall"
    fits(page, screen, "menu-phone-closed")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(our_bookings).to_be_visible()
    fits(page, screen, "menu-phone-open")
    our_bookings.click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    expect(page.get_by_role("button", name=say(language, "Menu"))).to_have_attribute("aria-expanded", "false")
    context.close()
