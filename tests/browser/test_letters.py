"""The correspondence register in a real browser: staff log three letters for two organisations in one go, the
member sees them and the count in the header, staff mark two collected by a named member, and the register shows
the right states. On every screen of SCREENS; axe-core checks every page."""

import re

import pytest
from django.utils import translation

from ngo.models import AddressAgreement, Letter
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.browser.test_booking_flow import WORDS, log_in, log_out, open_menu

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    anna = factories.make_user("anna", first_name="Anna", last_name="Nowak")
    ewa = factories.make_user("ewa", first_name="Ewa", last_name="Zielińska")
    jan = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[anna])
    club = factories.make_organisation("Klub Rowerowy", coordinators=[ewa], centres=[centre], krs="0000123456")
    seniors = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[jan], centres=[centre])
    return {"club": club, "seniors": seniors}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_staff_log_three_letters_the_member_sees_them_staff_hand_two_over(chromium_browser, live_server, scene,
                                                                          screen):
    settings = SCREENS[screen]
    words = WORDS["en" if settings["prefix"] else "pl"]
    context = chromium_browser.new_context(**{key: value for key, value in settings.items() if key != "prefix"})
    page = context.new_page()
    base = live_server.url + settings["prefix"]

    def fits(shot):
        if settings.get("is_mobile"):
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{shot} scrolls sideways"
        check_page(page, f"letters-{screen}-{shot}")

    # Staff log a stack: three letters for two organisations, typed by name and by KRS number, from the keyboard.
    log_in(page, base, words, "anna")
    page.goto(f"{base}/staff/letters/new/")
    fits("log")
    rows = [("Klub Rowerowy", "Urząd Skarbowy", "registered", "RR123456789PL"),
            ("0000123456", "Sąd Rejonowy", "official", ""),
            ("Stowarzyszenie Aktywni Seniorzy", "ZUS", "ordinary", "")]
    for index, (organisation, sender, kind, tracking) in enumerate(rows):
        page.fill(f"#id_letter-{index}-organisation", organisation)
        page.keyboard.press("Tab")
        page.keyboard.type(sender)
        page.select_option(f"#id_letter-{index}-kind", kind)
        page.fill(f"#id_letter-{index}-tracking_number", tracking)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Klub Rowerowy (Urząd Skarbowy)")
    expect(page.locator(".messages")).to_contain_text("Stowarzyszenie Aktywni Seniorzy (ZUS)")
    assert Letter.objects.filter(status="waiting").count() == 3
    fits("logged")
    log_out(page, words)

    # The club's coordinator sees its two letters and the count in the header, with the centre's hours.
    log_in(page, base, words, "ewa")
    open_menu(page)
    expect(page.locator(".letter-count")).to_contain_text("2")
    page.locator(".letter-count").click()
    letters = page.locator("#letters")
    expect(letters).to_contain_text("Urząd Skarbowy")
    expect(letters).to_contain_text("RR123456789PL")
    expect(letters).to_contain_text("Sąd Rejonowy")
    expect(letters).not_to_contain_text("ZUS")
    expect(letters).to_contain_text("7:00")
    fits("member")
    log_out(page, words)

    # Staff hand the club's two letters to Ewa, chosen from the suggestions of its members.
    log_in(page, base, words, "anna")
    page.goto(f"{base}/staff/letters/?organisation={scene['club'].pk}")
    fits("register")
    for letter in Letter.objects.filter(organisation=scene["club"]):
        page.check(f"#choose-{letter.pk}")
    page.fill("#id_collected_by", "Ewa Zielińska")
    page.locator("form[action$='/staff/letters/collect/'] > button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Ewa Zielińska")
    page.goto(f"{base}/staff/letters/")
    states = dict(Letter.objects.values_list("sender", "status"))
    assert states == {"Urząd Skarbowy": "collected", "Sąd Rejonowy": "collected", "ZUS": "waiting"}
    assert set(Letter.objects.filter(status="collected").values_list("collected_by__username", flat=True)) == {"ewa"}
    for letter in Letter.objects.all():
        status = page.locator(f"#letter-{letter.pk} .letter-status")
        with translation.override("en" if settings["prefix"] else "pl"):
            expect(status).to_contain_text(str(letter.get_status_display()))
        if letter.status == "collected":
            expect(status).to_contain_text("Ewa Zielińska")
    expect(page.locator(".letter-choice")).to_have_count(1)
    fits("register-after")
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_coordinator_asks_for_the_address_and_staff_approve(chromium_browser, live_server, scene, screen):
    settings = SCREENS[screen]
    words = WORDS["en" if settings["prefix"] else "pl"]
    context = chromium_browser.new_context(**{key: value for key, value in settings.items() if key != "prefix"})
    page = context.new_page()
    base = live_server.url + settings["prefix"]

    def fits(shot):
        if settings.get("is_mobile"):
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{shot} scrolls sideways"
        check_page(page, f"agreements-{screen}-{shot}")

    club = scene["club"]
    log_in(page, base, words, "ewa")
    page.goto(f"{base}/organisations/{club.pk}/address/")
    fits("request")
    page.uncheck("#id_registered_seat")
    page.fill("#id_note", "Prosimy o adres do korespondencji")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/organisations/$"))
    fits("requested")
    log_out(page, words)

    log_in(page, base, words, "anna")
    page.goto(f"{base}/staff/address-agreements/")
    fits("staff")
    request = AddressAgreement.objects.get()
    page.locator(f"form[action$='/staff/address-agreements/{request.pk}/approve/'] button").click()
    expect(page.locator(f"#agreement-{request.pk} h3")).to_contain_text("/ADR/")
    fits("approved")
    context.close()
    request.refresh_from_db()
    assert request.status == "approved" and not request.registered_seat and request.correspondence


def test_the_admins_letter_pages_pass_axe(chromium_browser, live_server, scene):
    """Issue 16: the admin's letter form had unlabelled date and time fields and an unnamed search box. Letters are
    read only there now (the register is on our pages); the list and a letter pass axe."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "root")
    letter = factories.make_letter(organisation=scene["club"], centre=Letter._meta.get_field("centre").related_model
                                   .objects.get(), sender="ZUS")
    context = chromium_browser.new_context(**{key: value for key, value in SCREENS["en-desktop"].items()
                                              if key != "prefix"})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "root")
    page.locator("input[type=submit]").click()
    page.goto(f"{live_server.url}/admin/ngo/letter/")
    check_page(page, "admin-letters")
    page.goto(f"{live_server.url}/admin/ngo/letter/{letter.pk}/change/")
    check_page(page, "admin-letter")
    context.close()
