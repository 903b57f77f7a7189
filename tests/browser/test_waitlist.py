"""The waitlist in a real browser: a member finds the time taken, joins the waitlist from the booking form's
conflict, and sees the entry on "our bookings"; on a desktop (Polish, English) and a 390x844 phone, axe-checked."""
import re

import pytest

from booking import services
from booking.models import Booking, WaitlistEntry
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.factories import at

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    """The meeting room is taken on Tuesday 10:00-12:00 by another organisation."""
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[factories.make_user("anna")])
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member], centres=[centre])
    other = factories.make_organisation("Fundacja Pomocna Dłoń", members=[factories.make_user("ola")],
                                        centres=[centre])
    day = factories.next_open_weekday(1, centre=centre)
    factories.make_booking(resource=room, organisation=other, day=day, hour=10, hours=2, title="Warsztaty")
    return room, organisation, day


@pytest.mark.parametrize("screen", SCREENS)
def test_member_joins_the_waitlist_from_the_taken_slot(chromium_browser, live_server, scene, screen):
    room, organisation, day = scene
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    phone = options["viewport"]["width"] == 390
    page = chromium_browser.new_context(**options).new_page()
    base = live_server.url + prefix

    def fits(name):
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"{screen}-{name}")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "jan")
    page.fill("#id_password", "jan")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/(en/)?$"))

    # The week shows 10:00-12:00 taken; the member opens the form from the slot before it and asks for the taken time.
    page.goto(f"{base}/resources/{room.pk}/?date={day}")
    expect(page.locator(f'a[href*="/resources/{room.pk}/book/?start={day}T10%3A00"]')).to_have_count(0)
    page.locator(f'a[href*="/resources/{room.pk}/book/?start={day}T09%3A00"]').first.click()
    page.fill("#id_start_time", "10:00")
    page.fill("#id_end_time", "12:00")
    page.fill("#id_title", "Walne zebranie")
    page.locator("form.booking-form .actions button").first.click()
    expect(page.locator("#conflict-message")).to_be_visible()
    join = page.locator("#conflict-message button[name=waitlist]")
    expect(join).to_be_visible()
    fits("waitlist-conflict")

    join.click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    entry = WaitlistEntry.objects.get()
    assert (entry.start, entry.end, entry.organisation_id) == (at(day, 10), at(day, 12), organisation.pk)
    card = page.locator(f"section[aria-labelledby=waitlist-title] #waitlist-{entry.pk}")
    expect(card).to_contain_text("Walne zebranie")
    expect(card.locator("button")).to_be_visible()
    fits("waitlist-our-bookings")

    # The other organisation cancels: the offer's page (the e-mail's link) accepts it.
    taken = Booking.objects.get(title="Warsztaty")
    services.cancel_booking(booking=taken, actor=taken.organisation.members.get())
    page.goto(f"{base}/waitlist/{entry.pk}/")
    accept = page.locator("main form:not([action]) button")
    expect(accept).to_be_visible()
    fits("waitlist-offer")
    accept.click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    expect(page.locator("section[aria-labelledby=upcoming-title] .booking")).to_contain_text("Walne zebranie")
