"""Staff close the centre over a booking in a real browser: they see the booking first, keep it (the week shows it
inside the closure) or cancel it with a reason (the organisation gets the e-mail), and confirm a removal. On a
desktop and on a phone, in Polish and English; axe-core checks every page."""
import re
from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from booking.models import Booking, Closure
from notifications.models import OutboxMessage
from tests import factories
from tests.browser.conftest import check_page
from tests.browser.test_booking_flow import WORDS, log_in

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"viewport": {"width": 1280, "height": 900}},
             "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                       "device_scale_factor": 2}}


def say(language, text, *args):
    """What the page says in `language`: the catalogue's words, so the test reads the page as its user does."""
    with translation.override(language):
        return (ngettext(text, *args) if args else gettext(text))


@pytest.fixture
def scene(transactional_db):
    staff = factories.make_user("anna", first_name="Anna", last_name="Nowak")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12, requires_approval=False)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member])
    day = factories.next_open_weekday(1, centre=centre)
    kept = factories.make_booking(resource=room, organisation=organisation, day=day, hour=10, title="Walne zebranie")
    cancelled = factories.make_booking(resource=room, organisation=organisation, day=day + timedelta(days=1),
                                       hour=12, title="Warsztaty kulinarne")
    return {"centre": centre, "room": room, "day": day, "kept": kept, "cancelled": cancelled}


def add_closure(page, base, scene, first, last, reason):
    page.goto(f"{base}/staff/closures/")
    page.fill("#id_start_date", first.isoformat())
    page.fill("#id_end_date", last.isoformat())
    page.fill("#id_reason", reason)
    page.locator("main form button[type=submit]").last.click()


@pytest.mark.parametrize("language, screen", [("pl", "desktop"), ("en", "desktop"), ("pl", "phone")])
def test_staff_see_the_bookings_a_closure_falls_on_and_decide(chromium_browser, live_server, scene, language,
                                                              screen):
    words = WORDS[language]
    context = chromium_browser.new_context(locale=words["locale"], **VIEWPORTS[screen])
    page = context.new_page()
    base = live_server.url + words["prefix"]
    name = f"{language}-{screen}"

    def fits(shot):
        if screen == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{shot} scrolls sideways"
        check_page(page, f"closures-{name}-{shot}")

    log_in(page, base, words, "anna")
    day, room = scene["day"], scene["room"]

    # Whole days as dates: the closure falls on a booking, which is listed before anything is written.
    add_closure(page, base, scene, day, day, "Malowanie")
    hit = page.locator("#hit-bookings")
    expect(hit).to_contain_text(say(language, "The closure falls on %(count)d booking: cancel it or keep it.",
                                    "The closure falls on %(count)d bookings: cancel them or keep them.", 1)
                                % {"count": 1})
    expect(hit).to_contain_text("Walne zebranie")
    expect(hit).to_contain_text("Stowarzyszenie Aktywni Seniorzy")
    assert not Closure.objects.exists()
    fits("bookings-hit")

    # Kept: the week shows the booking inside the closure.
    page.locator("#id_decision_1").check()
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/staff/closures/$"))
    expect(page.locator(".messages")).to_contain_text(say(
        language, "%(count)d booking is kept; the calendar shows it inside the closure.",
        "%(count)d bookings are kept; the calendar shows them inside the closure.", 1) % {"count": 1})
    fits("kept")
    page.goto(f"{base}/resources/{room.pk}/?date={day}")
    marked = page.locator(".cell.busy.in-closure")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("Walne zebranie")
    expect(marked).to_contain_text(say(language, "inside the closure: %(reason)s") % {"reason": "Malowanie"})
    fits("week-kept")

    # Cancelled with a reason: the reason is asked for, then the organisation gets the e-mail.
    next_day = day + timedelta(days=1)
    add_closure(page, base, scene, next_day, next_day, "Awaria ogrzewania")
    page.locator("#id_decision_0").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#id_cancellation_reason_error")).to_have_count(1)
    expect(page.locator("#hit-bookings")).to_contain_text("Warsztaty kulinarne")
    fits("reason-missing")
    page.fill("#id_cancellation_reason", "Awaria ogrzewania, przepraszamy.")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/staff/closures/$"))
    expect(page.locator(".messages")).to_contain_text(say(
        language, "%(count)d booking is cancelled; its organisation is told by e-mail.",
        "%(count)d bookings are cancelled; their organisations are told by e-mail.", 1) % {"count": 1})
    assert Booking.objects.get(pk=scene["cancelled"].pk).status == "cancelled"
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.BOOKING_CANCELLED)
    assert message.recipient == "jan@example.org"

    # Removing a closure asks first.
    page.locator(".booking", has_text="Malowanie").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/delete/$"))
    fits("remove-confirmation")
    assert Closure.objects.filter(reason="Malowanie").exists()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/closures/$"))
    assert not Closure.objects.filter(reason="Malowanie").exists()
    context.close()
