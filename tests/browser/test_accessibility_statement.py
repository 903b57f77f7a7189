"""The accessibility statement, reached as a visitor reaches it: from the footer of the home page, then the centre's
statement; in Polish and English on a desktop, and on a 390x844 phone. axe-core checks each page."""
import re

import pytest

from tests import factories
from tests.browser.conftest import SCREENS, check_page

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def centres(transactional_db):
    cas = factories.make_centre("Centrum Aktywizacji Społecznej", phone="+48 32 000 00 00")
    factories.make_accessibility_statement(
        cas, non_accessible_pl="Pliki PDF nie mają struktury dla czytników ekranu.",
        non_accessible_en="The PDF files have no structure for screen readers.",
        entrances_pl="Wejście główne na poziomie chodnika.",
        entrances_en="The main entrance is level with the pavement.",
        lifts_pl="Winda na wszystkie piętra.", toilets_pl="Toaleta na parterze.", parking_pl="Dwa miejsca.",
        induction_loop_pl="Pętla przenośna.", sign_language_pl="Tłumacz PJM online.",
    )
    factories.make_centre("Centrum Pracy Socjalnej")
    return cas


@pytest.mark.parametrize("screen", SCREENS)
def test_the_statement_from_the_footer(chromium_browser, live_server, centres, screen):
    options = dict(SCREENS[screen])
    prefix = options.pop("prefix")
    context = chromium_browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{live_server.url}{prefix}/")
    page.locator("footer a[href$='/accessibility/']").click()
    page.wait_for_url(re.compile(r"/accessibility/$"))
    expect(page.locator("main .card")).to_have_count(2)
    check_page(page, f"{screen}-accessibility-statements")
    page.locator("main .card", has_text="Aktywizacji").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/accessibility/{centres.pk}/$"))
    expect(page.locator("#a11y-osoba")).to_have_text("Anna Nowak")
    expected = "The main entrance is level" if prefix else "Wejście główne na poziomie chodnika."
    expect(page.locator("#a11y-architektura + p + dl")).to_contain_text(expected)
    if options["viewport"]["width"] == 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the statement scrolls sideways"
    check_page(page, f"{screen}-accessibility-statement")
    # The centre's own pages lead straight to its statement.
    page.goto(f"{live_server.url}{prefix}/centres/{centres.pk}/")
    page.locator(f"footer a[href$='/accessibility/{centres.pk}/']").click()
    page.wait_for_url(re.compile(rf"/accessibility/{centres.pk}/$"))
    context.close()
