"""Long-term lending in a real browser: the member renews a locker from our bookings, staff record its key on the
keys page and look at their queue and the agreements page; every page checked by axe-core on the shared screens."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.localtime import local_midnight
from booking.models import Booking, KeyHandover, Resource
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.browser.test_booking_flow import open_menu
from tests.browser.test_certificates import log_in

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def locker(transactional_db):
    staff = factories.make_user("anna", first_name="Anna", last_name="Nowak")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member],
                                               centres=[centre])
    resource = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 3", requires_approval=False,
                                       needs_key=True)
    first = timezone.localdate() + timedelta(days=2)
    booking = factories.make_booking(resource=resource, organisation=organisation, actor=member,
                                     start=local_midnight(first, centre.tz),
                                     end=local_midnight(first + timedelta(days=30), centre.tz), title="Materiały")
    return {"booking": booking, "first": first}


@pytest.mark.parametrize("screen", SCREENS)
def test_renew_a_locker_and_record_its_key(chromium_browser, live_server, locker, screen):
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    phone = options["viewport"]["width"] == 390
    context = chromium_browser.new_context(**options)
    page = context.new_page()
    base = live_server.url + prefix

    def fits(name):
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"{screen}-{name}")

    booking = locker["booking"]
    log_in(page, base, "jan")
    page.goto(f"{base}/bookings/")
    page.locator(f"a[href$='/bookings/{booking.pk}/renew/']").click()
    page.wait_for_url(re.compile(r"/renew/$"))
    fits("lending-renew")
    page.fill("#id_last_day", (locker["first"] + timedelta(days=59)).isoformat())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert Booking.objects.filter(start=booking.end).exists()
    open_menu(page)
    page.locator("form[action$='/accounts/logout/'] button").click()

    log_in(page, base, "anna")
    page.goto(f"{base}/staff/keys/")
    page.select_option("#id_booking", index=1)
    page.fill("#id_key", "S3-A")
    page.fill("#id_taken_by", "Jan Kowalski")
    page.fill("#id_deposit", "20")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/staff/keys/$"))
    expect(page.locator("main")).to_contain_text("S3-A")
    assert KeyHandover.objects.filter(key="S3-A").exists()
    fits("lending-keys")
    page.goto(f"{base}/staff/requests/")
    expect(page.locator("section[aria-labelledby=ending-title]")).to_be_visible()
    fits("lending-queue")
    page.goto(f"{base}/staff/agreements/")
    fits("lending-agreements-staff")
    context.close()
