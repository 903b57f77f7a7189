"""Our bookings in a real browser: the sections, the print page (and how it prints), copying a calendar address, and
the account page with the password change; in Polish and English on a desktop and on a 390x844 phone, each page
checked by axe-core."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking import services
from booking.models import Booking
from tests import factories
from tests.browser.conftest import ARTIFACTS, SCREENS, check_page

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def history(transactional_db):
    """A member's organisation with a coming, a past, a cancelled and a rejected booking."""
    staff = factories.make_user("anna")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member])
    day = factories.next_open_weekday(1, centre=centre)
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=day, hour=10,
                           title="Zebranie zarządu")
    past = factories.make_booking(actor=member, resource=room, organisation=organisation, day=day, hour=12,
                                  title="Dawne warsztaty")
    Booking.objects.filter(pk=past.pk).update(start=timezone.now() - timedelta(days=2, hours=2),
                                              end=timezone.now() - timedelta(days=2), status="confirmed")
    cancelled = factories.make_booking(actor=member, resource=room, organisation=organisation, day=day, hour=14,
                                       title="Odwołane spotkanie")
    services.cancel_booking(booking=cancelled, actor=member)
    rejected = factories.make_booking(actor=member, resource=room, organisation=organisation, day=day, hour=16,
                                      title="Odrzucona prośba")
    services.reject_booking(booking=rejected, actor=staff, reason="Remont sali")
    return member


def log_in(page, base):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "jan")
    page.fill("#id_password", "jan")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/(en/)?$"))


@pytest.mark.parametrize("screen", SCREENS)
def test_our_bookings_print_copy_and_account(chromium_browser, live_server, history, screen):
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    phone = options["viewport"]["width"] == 390
    context = chromium_browser.new_context(**options)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    base = live_server.url + prefix

    def fits(name):
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"{screen}-{name}")

    log_in(page, base)
    page.goto(f"{base}/bookings/")
    expect(page.locator("section[aria-labelledby=called-off-title] .booking")).to_have_count(2)
    expect(page.locator("section[aria-labelledby=upcoming-title] .booking")).to_have_text(re.compile("Zebranie"))
    fits("our-bookings-sections")

    page.locator("a[href$='/bookings/print/']").click()
    page.wait_for_url(re.compile(r"/bookings/print/$"))
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("button[data-print]")).to_be_visible()
    fits("our-bookings-print")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("button[data-print]")).to_be_hidden()
    expect(page.locator("main tbody tr")).to_contain_text("Zebranie zarządu")
    page.screenshot(path=str(ARTIFACTS / f"{screen}-our-bookings-printed.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(f"{base}/subscriptions/")
    page.locator("main form button[type=submit]").last.click()
    address = page.locator("#new-feed-url")
    expect(address).to_have_value(re.compile(r"/feeds/[\w-]+\.ics$"))
    page.locator("button[data-copy=new-feed-url]").click()
    expect(page.locator("#copy-status")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == address.input_value()
    fits("subscriptions-copied")

    page.locator("footer a[href$='/accounts/']").click()
    page.wait_for_url(re.compile(r"/accounts/$"))
    fits("account")
    page.locator("input[name=language][value=en]").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    history.refresh_from_db()
    assert history.language == "en"
    page.locator("a[href$='/accounts/password/']").click()
    page.fill("#id_old_password", "wrong")
    page.fill("#id_new_password1", "Nowe-Haslo-2024!")
    page.fill("#id_new_password2", "Nowe-Haslo-2024!")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_old_password_error")).to_have_count(1)
    fits("password-change-error")
    page.fill("#id_old_password", "jan")
    page.fill("#id_new_password1", "Nowe-Haslo-2024!")
    page.fill("#id_new_password2", "Nowe-Haslo-2024!")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/$"))
    history.refresh_from_db()
    assert history.check_password("Nowe-Haslo-2024!")
    context.close()
