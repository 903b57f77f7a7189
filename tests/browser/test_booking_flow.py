"""A member books a room in a real browser, staff approve it, the member cancels it; in Polish and in English,
on a desktop and on a phone. axe-core checks every page of the flow against WCAG 2.1 A and AA."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Booking, BookingSeries
from booking.series import Mode
from ngo.models import Membership
from tests import factories
from tests.browser.conftest import check_page

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the pages say, in each language: the tests read the page as its user does.
WORDS = {
    "pl": {
        "prefix": "", "locale": "pl-PL", "send": "Wyślij prośbę", "sent": "Twoja prośba została wysłana.",
        "pending": "Oczekuje na zatwierdzenie", "confirmed": "Potwierdzona", "cancelled": "Anulowana",
        "approve": "Zatwierdź", "approved": "Zatwierdzono", "queue": "Prośby do zatwierdzenia",
        "cancel": "Anuluj", "yes_cancel": "Tak, anuluj rezerwację", "conflict": "Ten termin jest już zajęty.",
        "log_in": "Zaloguj się", "approve_all": "Zatwierdź wszystkie spotkania", "dates": "Terminy spotkań",
        "every_tuesday": "w każdy wtorek 16:00–18:00", "cancel_later": "Anuluj to i wszystkie późniejsze spotkania",
        "yes_cancel_later": "Tak, anuluj te spotkania", "every_week": "Co tydzień",
        "after_count": "Po określonej liczbie spotkań", "count": "Liczba spotkań",
        "book_others": "Zarezerwuj pozostałe i powiedz mi, które pominięto", "check": "Sprawdź terminy",
        "series_sent": "Twoja prośba o {} spotkania została wysłana.",
    },
    "en": {
        "prefix": "/en", "locale": "en-GB", "send": "Send the request", "sent": "Your request has been sent.",
        "pending": "Awaiting approval", "confirmed": "Confirmed", "cancelled": "Cancelled",
        "approve": "Approve", "approved": "Approved", "queue": "Requests to approve",
        "cancel": "Cancel", "yes_cancel": "Yes, cancel the booking", "conflict": "This time is already booked.",
        "log_in": "Log in", "approve_all": "Approve all meetings", "dates": "Dates of the meetings",
        "every_tuesday": "every Tuesday 16:00–18:00", "cancel_later": "Cancel this and all later meetings",
        "yes_cancel_later": "Yes, cancel these meetings", "every_week": "Every week",
        "after_count": "After a number of meetings", "count": "Number of meetings",
        "book_others": "Book the others and tell me which were skipped", "check": "Check the dates",
        "series_sent": "Your request for {} meetings has been sent.",
    },
}


@pytest.fixture
def scene(transactional_db):
    """A centre with staff, a meeting room, and a verified organisation with a member."""
    staff = factories.make_user("anna", first_name="Anna", last_name="Nowak")
    member = factories.make_user("jan", first_name="Jan", last_name="Kowalski")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff], phone="+48 32 000 00 00")
    room = factories.make_resource(centre, name="Sala spotkań", capacity=12, amenities=["rzutnik", "tablica"])
    organisation = factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member], centres=[centre])
    day = factories.next_open_weekday(1, centre=centre)
    return {"centre": centre, "room": room, "organisation": organisation, "day": day, "member": member}


def open_menu(page):
    """On a phone the site's menu is folded behind its "Menu" button: open it as a person would."""
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()


def log_in(page, base, words, username):
    page.goto(base + "/")
    open_menu(page)
    page.get_by_role("link", name=words["log_in"], exact=True).click()
    page.fill("#id_username", username)
    page.fill("#id_password", username)
    page.locator("main").get_by_role("button", name=words["log_in"]).click()
    page.wait_for_url(re.compile(r"/(en/)?$"))


def log_out(page, words):
    open_menu(page)
    page.locator("form[action$='/accounts/logout/'] button").click()
    open_menu(page)
    expect(page.get_by_role("link", name=words["log_in"], exact=True)).to_be_visible()


def slot(page, room, day, time):
    return page.locator(f'a[href*="/resources/{room.pk}/book/?start={day}T{time.replace(":", "%3A")}"]')


@pytest.mark.parametrize("language", ["pl", "en"])
def test_member_books_staff_approve_member_cancels(chromium_browser, live_server, scene, language):
    words = WORDS[language]
    room, day = scene["room"], scene["day"]
    context = chromium_browser.new_context(locale=words["locale"], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    base = live_server.url

    page.goto(base + "/")
    check_page(page, "pl-home" if language == "pl" else "language-switch")
    if language == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_url(base + "/en/")
        assert page.locator("html").get_attribute("lang") == "en"
        base_lang = base + "/en"
    else:
        assert page.locator("html").get_attribute("lang") == "pl"
        base_lang = base
    log_in(page, base_lang, words, "jan")

    # The week of the room; the free 10:00 slot on the day, chosen with the keyboard.
    page.goto(f"{base_lang}/resources/{room.pk}/?date={day}")
    check_page(page, f"{language}-week")
    free = slot(page, room, day, "10:00")
    free.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book/"))
    assert page.locator("#id_organisation").input_value() == str(scene["organisation"].pk)
    assert page.locator("#id_date").input_value() == day.isoformat()
    assert page.locator("#id_start_time").input_value() == "10:00"
    assert page.locator("#id_end_time").input_value() == "11:00"
    page.fill("#id_title", "Walne zebranie")
    page.fill("#id_attendees", "8")
    check_page(page, f"{language}-booking-form")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert words["sent"] in page.locator(".messages").inner_text()
    card = page.locator(".booking", has_text="Walne zebranie")
    assert words["pending"] in card.locator(".status").inner_text()
    check_page(page, f"{language}-our-bookings-pending")

    # The taken slot is no longer a link; a request overlapping it is refused next to the time fields.
    page.goto(f"{base_lang}/resources/{room.pk}/?date={day}")
    assert slot(page, room, day, "10:00").count() == 0
    slot(page, room, day, "09:00").click()
    page.fill("#id_end_time", "10:30")
    page.fill("#id_title", "Próba chóru")
    page.get_by_role("button", name=words["send"]).click()
    conflict = page.locator("fieldset#when #conflict-message")
    assert words["conflict"] in conflict.inner_text()
    assert "10:00–11:00" in conflict.inner_text()
    assert "Walne zebranie" in conflict.inner_text()  # our own booking: its title is shown
    assert page.locator("#id_start_time").get_attribute("aria-describedby").startswith("conflict-message")
    check_page(page, f"{language}-conflict")

    # The organisation's club meets every Tuesday: the member checks the dates of a weekly series, then sends it.
    page.goto(f"{base_lang}/resources/{room.pk}/?date={day}")
    slot(page, room, day, "16:00").click()
    page.fill("#id_end_time", "18:00")
    page.fill("#id_title", "Klub seniora")
    expect(page.get_by_label(words["count"], exact=True)).to_be_hidden()  # the details wait until "repeat" is chosen
    page.get_by_label(words["every_week"], exact=True).check()
    page.get_by_label(words["after_count"]).check()
    page.get_by_label(words["count"], exact=True).fill("4")
    page.get_by_label(words["book_others"]).check()
    page.get_by_role("button", name=words["check"]).click()
    expect(page.locator("#series-dates li")).to_have_count(4)
    assert not BookingSeries.objects.exists()
    check_page(page, f"{language}-booking-form-series-dates")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    series = BookingSeries.objects.get()  # a public holiday among the dates is skipped
    assert series.mode == Mode.SKIP_CONFLICTS and 2 <= series.bookings.count() <= 4
    assert words["series_sent"].format(series.bookings.count()) in page.locator(".messages").inner_text()
    log_out(page, words)

    # Staff approve it from the queue in one click.
    log_in(page, base_lang, words, "anna")
    page.get_by_role("link", name=words["queue"]).click()
    request = page.locator("article.request", has_text="Walne zebranie")
    assert "Stowarzyszenie Aktywni Seniorzy" in request.inner_text()
    check_page(page, f"{language}-approval-queue")
    request.get_by_role("button", name=re.compile(f"^{words['approve']}")).click()
    expect(page.locator(".messages")).to_contain_text(words["approved"])
    assert Booking.objects.get(title="Walne zebranie").status == "confirmed"

    # The series is one request: its recurrence in words, its dates behind a <details>, approved all at once.
    request = page.locator("article.series-request", has_text="Klub seniora")
    assert words["every_tuesday"] in request.locator(".repeats").inner_text()
    request.get_by_text(words["dates"]).click()
    expect(request.locator("details ul.meetings li")).to_have_count(series.bookings.count())
    check_page(page, f"{language}-approval-queue-series")
    request.get_by_role("button", name=re.compile(f"^{words['approve_all']}")).click()
    expect(page.locator(".messages")).to_contain_text(words["approved"])
    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}
    log_out(page, words)

    # The member sees it confirmed, and cancels it after a confirmation step.
    log_in(page, base_lang, words, "jan")
    page.goto(f"{base_lang}/bookings/")
    card = page.locator(".booking", has_text="Walne zebranie")
    assert words["confirmed"] in card.locator(".status").inner_text()
    card.get_by_role("link", name=re.compile(f"^{words['cancel']}")).click()
    check_page(page, f"{language}-cancel-confirmation")
    assert Booking.objects.get(title="Walne zebranie").status == "confirmed"
    page.get_by_role("button", name=words["yes_cancel"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    card = page.locator(".booking", has_text="Walne zebranie")
    assert words["cancelled"] in card.locator(".status").inner_text()
    check_page(page, f"{language}-our-bookings-cancelled")
    assert Booking.objects.get(title="Walne zebranie").status == "cancelled"

    # A meeting of the series: cancelled with the later ones, after a confirmation step.
    first, second = series.bookings.order_by("start")[:2]
    page.locator(f"#booking-{second.pk}").get_by_role("link", name=re.compile(f"^{words['cancel_later']}")).click()
    check_page(page, f"{language}-series-cancel-confirmation")
    page.get_by_role("button", name=words["yes_cancel_later"]).click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "cancelled")
    context.close()


def test_phone_sized_screen_is_usable(chromium_browser, live_server, scene):
    words = WORDS["pl"]
    room, day = scene["room"], scene["day"]
    context = chromium_browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844},
                                           is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    base = live_server.url

    def fits(name):
        """Nothing wider than the screen, and the page passes axe."""
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        check_page(page, f"phone-{name}")

    page.goto(base + "/")
    fits("home")
    page.goto(f"{base}/centres/{scene['centre'].pk}/")
    fits("centre")
    log_in(page, base, words, "jan")
    page.goto(f"{base}/resources/{room.pk}/?date={day}")
    fits("week")
    free = slot(page, room, day, "14:00")
    box = free.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, "a free slot is too small to tap"
    free.tap()
    page.wait_for_url(re.compile(r"/book/"))
    page.fill("#id_title", "Spotkanie z telefonu")
    fits("booking-form")
    page.get_by_role("button", name=words["send"]).tap()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert words["pending"] in page.locator(".booking", has_text="Spotkanie z telefonu").inner_text()
    fits("our-bookings")
    page.goto(f"{base}/subscriptions/")
    fits("subscriptions")
    page.goto(f"{base}/organisations/register/")
    fits("organisation-registration")
    Membership.objects.filter(user=scene["member"]).update(role=Membership.Role.COORDINATOR)
    page.goto(f"{base}/organisations/{scene['organisation'].pk}/members/")
    fits("members")
    context.close()


def test_keyboard_users_see_where_they_are(chromium_browser, live_server, scene):
    context = chromium_browser.new_context(locale="pl-PL")
    page = context.new_page()
    page.goto(f"{live_server.url}/resources/{scene['room'].pk}/?date={scene['day']}")
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {cls: el.className, outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                top: el.getBoundingClientRect().top};
    }""")
    assert focused["cls"] == "skip-link" and focused["top"] >= 0, "the skip link does not appear on Tab"
    assert focused["outline"] != "none" and focused["width"] >= 2, "focus is not visible"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_other_page_passes_axe(chromium_browser, live_server, scene, language):
    """The pages around the flow, with their error states, for a member and for staff."""
    words = WORDS[language]
    base = live_server.url + words["prefix"]
    centre, room = scene["centre"], scene["room"]
    factories.make_organisation("Nowe Pomysły", status="unverified", centres=[centre])
    context = chromium_browser.new_context(locale=words["locale"])
    page = context.new_page()

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "jan")
    page.fill("#id_password", "wrong")
    page.locator("main form button").click()
    expect(page.locator(".error-summary")).to_have_count(1)
    check_page(page, f"{language}-login-error")
    page.goto(f"{base}/accounts/password-reset/")
    check_page(page, f"{language}-password-reset")
    page.fill("#id_email", "jan@example.org")
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/sent/$"))
    check_page(page, f"{language}-password-reset-sent")
    page.goto(f"{base}/centres/{centre.pk}/")
    check_page(page, f"{language}-centre")
    page.goto(f"{base}/centres/{centre.pk}/week/?date={scene['day']}")
    check_page(page, f"{language}-centre-week")

    log_in(page, base, words, "jan")
    page.goto(f"{base}/resources/{room.pk}/book/?start={scene['day']}T17:00&end={scene['day']}T17:30")
    page.fill("#id_end_time", "19:00")
    page.fill("#id_title", "Za późno")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("#id_start_time_error")).to_have_count(1)
    check_page(page, f"{language}-rule-error")
    page.goto(f"{base}/subscriptions/")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#new-feed-url")).to_have_value(re.compile(r"/feeds/[\w-]+\.ics$"))
    check_page(page, f"{language}-subscriptions")
    page.goto(f"{base}/organisations/register/")
    page.fill("#id_name", "Stowarzyszenie Bez Numeru")
    page.select_option("#id_kind", "registered")
    page.fill("#id_contact_person", "Jan Kowalski")
    page.fill("#id_email", "sbn@example.org")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_krs_error")).to_have_count(1)
    check_page(page, f"{language}-organisation-registration-error")
    page.goto(f"{base}/organisations/")
    check_page(page, f"{language}-organisations")
    # As the organisation's coordinator: its members page, a refused address, an invitation sent, a removal to
    # confirm.
    Membership.objects.filter(user=scene["member"]).update(role=Membership.Role.COORDINATOR)
    Membership.objects.create(user=factories.make_user("ewa", first_name="Ewa", last_name="Lis"),
                              organisation=scene["organisation"])
    members = f"{base}/organisations/{scene['organisation'].pk}/members/"
    page.goto(members)
    expect(page.locator("li.card")).to_have_count(2)
    check_page(page, f"{language}-members")
    page.fill("#id_email", "nikt@example")  # an address to the browser, not to the service
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#id_email_error")).to_have_count(1)
    check_page(page, f"{language}-members-error")
    page.fill("#id_email", "nowa.osoba@example.org")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("li.card", has_text="nowa.osoba@example.org")).to_have_count(1)
    check_page(page, f"{language}-members-invited")
    invitation = scene["organisation"].invitations.get()
    page.goto(members)
    page.locator("li.card", has_text="Ewa Lis").locator("a.danger").click()
    page.wait_for_url(re.compile(r"/remove/$"))
    check_page(page, f"{language}-member-remove-confirmation")
    log_out(page, words)
    page.goto(f"{base}/invitations/{factories.invitation_token(invitation)}/")
    check_page(page, f"{language}-invitation-sign-up")

    log_in(page, base, words, "anna")
    page.goto(f"{base}/staff/organisations/")
    check_page(page, f"{language}-organisation-verification")
    page.goto(f"{base}/staff/closures/")
    page.fill("#id_start_date", scene["day"].isoformat())
    page.fill("#id_end_date", (scene["day"] - timedelta(days=1)).isoformat())
    page.fill("#id_reason", "Remont")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#id_end_date_error")).to_have_count(1)  # the last day before the first
    check_page(page, f"{language}-closures-error")
    page.goto(f"{base}/staff/requests/")
    check_page(page, f"{language}-approval-queue-empty")
    today = timezone.localdate()
    Booking.objects.create(resource=room, organisation=scene["organisation"], title="Walne zebranie",
                           status="confirmed", attendees=8, start=factories.at(today, 0), end=factories.at(today, 2))
    page.goto(f"{base}/staff/report/")
    expect(page.locator("table").first.locator("tbody th")).to_have_text(room.name)
    check_page(page, f"{language}-usage-report")
    page.fill("#id_first_day", f"{today.year - 3}-01-01")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_last_day_error")).to_have_count(1)  # longer than two years
    check_page(page, f"{language}-usage-report-error")
    context.close()

    # Wrong passwords pause logging in, on a page of its own.
    context = chromium_browser.new_context(locale=words["locale"])
    page = context.new_page()
    for _ in range(5):
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "jan")
        page.fill("#id_password", "wrong")
        page.locator("main form button").click()
    expect(page.locator("main h1")).to_have_count(1)
    expect(page.locator("main form")).to_have_count(0)
    check_page(page, f"{language}-login-paused")
    context.close()
