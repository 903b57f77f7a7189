"""A consultation in a real browser: a member books IT help at a free time, the consultant (a volunteer's login)
sees it in their day with its topic and marks it done; in Polish and English on a desktop and on a 390x844 phone,
each page checked by axe-core."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Appointment, Booking, ConsultationService
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.browser.test_booking_flow import open_menu

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def consultation(transactional_db):
    staff = factories.make_user("anna")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    volunteer = factories.make_user("piotr", first_name="Piotr", last_name="Informatyk")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member], centres=[centre])
    it_help = factories.make_consultation_service(
        centre, ConsultationService.Kind.IT_HELP, name="Pomoc informatyka",
        description="Komputer, poczta, strona internetowa.")
    factories.make_consultation_service(centre, ConsultationService.Kind.LEGAL, name="Porada prawna")
    factories.make_consultant(centre, [it_help], user=volunteer, duty=[(day, 9, 13) for day in range(5)])
    return it_help


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", username)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/(en/)?$"))


@pytest.mark.parametrize("screen", SCREENS)
def test_a_member_books_it_help_and_the_consultant_marks_it_done(chromium_browser, live_server, consultation,
                                                                 screen):
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    phone = options["viewport"]["width"] == 390
    base = live_server.url + prefix

    def fits(page, name):
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"{screen}-consultation-{name}")

    member_context = chromium_browser.new_context(**options)
    page = member_context.new_page()
    log_in(page, base, "jan")
    page.goto(f"{base}/consultations/")
    fits(page, "services")
    page.locator(f"a[href$='/consultations/{consultation.pk}/']").click()
    page.wait_for_url(re.compile(rf"/consultations/{consultation.pk}/$"))
    fits(page, "free-times")
    page.locator(".slot-list a").first.click()
    page.wait_for_url(re.compile(r"/book/\?start="))
    page.fill("#id_topic", "Nie działa wysyłanie poczty")
    page.fill("#id_device", "Laptop, Windows 11")
    fits(page, "form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/consultations/$"))
    expect(page.locator("main")).to_contain_text("Nie działa wysyłanie poczty")
    fits(page, "booked")
    member_context.close()

    # The appointment's time comes: it started up to ten minutes ago, today (the centre's day).
    booking = Booking.objects.get(appointment__isnull=False)
    now = timezone.now().replace(second=0, microsecond=0)
    midnight = factories.at(now.astimezone(factories.WARSAW).date(), 0)
    start = max(now - timedelta(minutes=10), midnight)
    Booking.objects.filter(pk=booking.pk).update(start=start, end=start + timedelta(minutes=30))

    consultant_context = chromium_browser.new_context(**options)
    page = consultant_context.new_page()
    log_in(page, base, "piotr")
    open_menu(page)
    page.locator("a[href$='/consultations/day/']").first.click()
    page.wait_for_url(re.compile(r"/consultations/day/$"))
    expect(page.locator("main")).to_contain_text("Nie działa wysyłanie poczty")
    expect(page.locator("main")).to_contain_text("Stowarzyszenie Aktywni Seniorzy")
    fits(page, "day")
    page.locator("button[name=outcome][value=done]").click()
    page.wait_for_url(re.compile(r"/consultations/day/$"))
    expect(page.locator("button[name=outcome]")).to_have_count(0)
    fits(page, "marked")
    consultant_context.close()
    assert Appointment.objects.get().outcome == "done"
