"""A newcomer creates an account from the login page, reads the confirmation e-mail, follows its link, logs in and
registers an organisation or accepts the invitation an organisation sent them; in a real browser, on every screen
of SCREENS. axe-core checks every page against WCAG 2.1 A and AA."""
import re
from urllib.parse import urlsplit

import pytest

from ngo.models import Membership, User
from ngo.services import invite_member
from tests import factories
from tests.browser.conftest import SCREENS, check_page

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mocne-Haslo-2024!"


def link_in(email, path):
    """The link to `path` in the e-mail, as the person clicks it (on the live server, not SITE_URL)."""
    return urlsplit(re.search(rf"^(https?://\S+{path}\S*)$", email.body, re.M).group(1)).path


@pytest.mark.parametrize("screen", list(SCREENS))
def test_newcomer_signs_up_confirms_and_goes_on(chromium_browser, live_server, transactional_db, mailoutbox, screen):
    settings = SCREENS[screen]
    prefix, invited = settings["prefix"], screen == "en-desktop"  # one screen accepts an invitation
    base = live_server.url + prefix
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    email_address = f"ola.{screen}@example.org"
    if invited:
        coordinator = factories.make_user("kasia", first_name="Kasia", last_name="Lis")
        organisation = factories.make_organisation("Fundacja Razem", coordinators=[coordinator], centres=[centre])
        invite_member(organisation=organisation, actor=coordinator, email=email_address)
    context = chromium_browser.new_context(**{key: value for key, value in settings.items() if key != "prefix"})
    page = context.new_page()

    def check(what):
        if settings["viewport"]["width"] == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{what} scrolls sideways"
        check_page(page, f"signup-{screen}-{what}")

    page.goto(f"{base}/accounts/login/")
    check("login")
    page.locator(f"main a[href='{prefix}/accounts/signup/']").click()
    page.wait_for_url(re.compile(r"/accounts/signup/$"))
    page.fill("#id_first_name", "Ola")
    page.fill("#id_last_name", "Nowak")
    page.fill("#id_email", email_address)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", "Inne-Haslo-2025?")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_password2_error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#id_password2']")).to_be_visible()
    check("signup-error")

    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/signup/sent/$"))
    check("sent")
    assert not User.objects.get(email=email_address).is_active

    # Logging in before confirming fails like a wrong password.
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email_address)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_have_count(1)

    confirmation = [email for email in mailoutbox if email.to == [email_address] and "/accounts/signup/" in email.body]
    assert len(confirmation) == 1
    link = link_in(confirmation[0], "/accounts/signup/confirm/")
    page.goto(live_server.url + link[:-6] + "xxxxx/")  # a link cut short in the mail program
    expect(page.locator("main .error[role=alert]")).to_be_visible()
    check("link-invalid")

    page.goto(live_server.url + link)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    check("confirmed")
    page.fill("#id_username", email_address)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/welcome/$"))
    expect(page.locator("main")).to_contain_text(email_address)
    check("welcome")

    if invited:
        invitation = [email for email in mailoutbox if email.to == [email_address] and "/invitations/" in email.body]
        page.goto(live_server.url + link_in(invitation[0], "/invitations/"))
        check("invitation")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/organisations/$"))
        expect(page.locator("main")).to_contain_text("Fundacja Razem")
        check("joined")
        assert Membership.objects.get(user__email=email_address).organisation == organisation
    else:
        page.locator(f"main a[href='{prefix}/organisations/register/']").click()
        page.wait_for_url(re.compile(r"/organisations/register/$"))
        page.fill("#id_name", "Klub Sąsiedzki")
        page.select_option("#id_kind", "informal")
        page.fill("#id_contact_person", "Ola Nowak")
        page.fill("#id_email", "klub@example.org")
        check("register-organisation")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/organisations/$"))
        expect(page.locator("main h2", has_text="Klub Sąsiedzki")).to_have_count(1)
        check("registered")
        membership = Membership.objects.get(user__email=email_address)
        assert membership.role == Membership.Role.COORDINATOR and membership.organisation.status == "unverified"

    # The page for a new link, as a person who lost the e-mail finds it.
    context.clear_cookies()
    page.goto(f"{base}/accounts/signup/again/")
    page.fill("#id_email", email_address)
    check("again")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/signup/sent/$"))
    context.close()
