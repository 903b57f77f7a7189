"""In-kind certificates in a real browser: staff issue one for last month, the member downloads it; both pages
checked by axe-core, in Polish and English on a desktop and in Polish on a 390x844 phone."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.localtime import local_midnight
from booking.models import InKindCertificate, Resource
from booking.services import approve_booking
from tests import factories
from tests.browser.conftest import SCREENS, check_page
from tests.browser.test_booking_flow import open_menu

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_month(transactional_db):
    """Two hours of a meeting room and ten days of a locker, last month, with rates."""
    staff = factories.make_user("anna", first_name="Anna", last_name="Nowak")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff], short_name="CAS")
    factories.make_document_details(centre)
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member],
                                               centres=[centre])
    room = factories.make_resource(centre, name="Sala spotkań")
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 3", requires_approval=False)
    first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    factories.make_rate(room, "40.00", first - timedelta(days=60))
    factories.make_rate(locker, "3.00", first - timedelta(days=60))
    booked_on = local_midnight(first - timedelta(days=14), centre.tz)
    day = first + timedelta(days=(1 - first.weekday()) % 7 + 7)  # the second Tuesday: never a public holiday
    meeting = factories.make_booking(resource=room, organisation=organisation, actor=member, day=day, hour=10,
                                     hours=2, now=booked_on)
    approve_booking(booking=meeting, actor=staff)
    factories.make_booking(resource=locker, organisation=organisation, actor=member,
                           start=local_midnight(first, centre.tz),
                           end=local_midnight(first + timedelta(days=10), centre.tz), now=booked_on)
    return {"centre": centre, "organisation": organisation, "first": first,
            "last": timezone.localdate().replace(day=1) - timedelta(days=1)}


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", username)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/(en/)?$"))


@pytest.mark.parametrize("screen", SCREENS)
def test_staff_issue_a_certificate_and_the_member_downloads_it(chromium_browser, live_server, last_month, screen):
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    phone = options["viewport"]["width"] == 390
    context = chromium_browser.new_context(accept_downloads=True, **options)
    page = context.new_page()
    base = live_server.url + prefix

    def fits(name):
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"{screen}-{name}")

    log_in(page, base, "anna")
    page.goto(f"{base}/staff/certificates/")
    fits("certificates-staff-form")
    page.select_option("#id_organisation", label="Stowarzyszenie Aktywni Seniorzy")
    page.fill("#id_first_day", last_month["first"].isoformat())
    page.fill("#id_last_day", last_month["last"].isoformat())
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/staff/certificates/$"))
    certificate = InKindCertificate.objects.get()
    assert certificate.total == 2 * 40 + 10 * 3
    expect(page.locator("main")).to_contain_text(certificate.reference)
    expect(page.locator("main")).to_contain_text("110")
    fits("certificates-staff-issued")
    open_menu(page)
    page.locator("form[action$='/accounts/logout/'] button").click()

    log_in(page, base, "jan")
    page.goto(f"{base}/certificates/")
    expect(page.locator("section[aria-labelledby=certificates-title] h3")).to_have_text(certificate.reference)
    fits("certificates-member")
    with page.expect_download() as download:
        page.locator(f"a[href*='/certificates/{certificate.pk}/pdf/']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    context.close()
