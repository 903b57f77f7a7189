"""Headless Chromium (Debian's package) driven by Playwright, with axe-core from npm injected into pages.

Without chromium, Playwright or axe-core these tests skip, or fail under REQUIRE_SERVICES=1 (CI):
`apt-get install chromium` and `npm install --prefix tests/browser` (both done by .ci/run).
"""
import os
from pathlib import Path

import pytest

from tests.conftest import need_service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# The screens the pages are checked on: Polish and English on a desktop, Polish on a 390x844 phone.
SCREENS = {
    "pl-desktop": {"prefix": "", "locale": "pl-PL", "viewport": {"width": 1280, "height": 900}},
    "en-desktop": {"prefix": "/en", "locale": "en-GB", "viewport": {"width": 1280, "height": 900}},
    "pl-phone": {"prefix": "", "locale": "pl-PL", "viewport": {"width": 390, "height": 844}, "is_mobile": True,
                 "has_touch": True, "device_scale_factor": 2},
}


@pytest.fixture(scope="module")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        need_service(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        need_service(f"axe-core is not installed at {AXE} (npm install --prefix tests/browser)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service("Playwright is not installed (pip install '.[test]')")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def check_page(page, name):
    """Save a screenshot of the page under tests/artifacts/ and assert axe-core finds no WCAG 2.1 A/AA fault."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    faults = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
              for v in result["violations"]]
    assert not faults, f"axe-core on {name} ({page.url}):\n" + "\n".join(faults)
    assert result["passes"], "axe-core ran no checks"
