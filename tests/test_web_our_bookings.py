"""Our bookings as a member uses them: standing bookings apart from cancelled and rejected ones, a page to print the
coming ones, calendar addresses to copy, and the account page (password, language of e-mails)."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from booking import services
from booking.models import Booking
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nowe-Haslo-2024!"


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def sections(page):
    """The page's sections by their heading id: upcoming, past and called-off."""
    _before, upcoming, past, called_off = re.split(r'id="(?:upcoming|past|called-off)-title"', page)
    return upcoming, past, called_off


def make_history(member, staff_user, room, organisation, day, n):
    """`n` bookings of each kind: coming, past, cancelled and rejected."""
    made = {"coming": [], "past": [], "cancelled": [], "rejected": []}
    for i in range(n):
        for kind in made:
            booking = factories.make_booking(actor=member, resource=room, organisation=organisation,
                                             day=day + timedelta(weeks=i), hour=8 + 2 * list(made).index(kind),
                                             title=f"{kind} {i}")
            if kind == "past":
                Booking.objects.filter(pk=booking.pk).update(start=timezone.now() - timedelta(days=i + 1, hours=2),
                                                             end=timezone.now() - timedelta(days=i + 1))
            elif kind == "cancelled":
                services.cancel_booking(booking=booking, actor=member, reason="Zmiana planów")
            elif kind == "rejected":
                services.reject_booking(booking=booking, actor=staff_user, reason="Remont sali")
            made[kind].append(booking)
    return made


def test_cancelled_and_rejected_bookings_have_their_own_section(client, member, staff_user, room, organisation,
                                                                 open_day):
    make_history(member, staff_user, room, organisation, open_day, 1)
    client.force_login(member)
    upcoming, past, called_off = sections(client.get(en("web:my_bookings")).content.decode())
    assert "coming 0" in upcoming and "Awaiting approval" in upcoming
    assert "past 0" in past
    assert "cancelled 0" in called_off and "rejected 0" in called_off
    assert "Zmiana planów" in called_off and "Remont sali" in called_off
    assert "cancelled 0" not in upcoming + past and "rejected 0" not in upcoming + past
    assert "Cancelled and rejected" in client.get(en("web:my_bookings")).content.decode()


def test_our_bookings_take_the_same_queries_for_many_bookings(client, member, staff_user, room, organisation,
                                                              open_day, django_assert_max_num_queries):
    client.force_login(member)
    make_history(member, staff_user, room, organisation, open_day, 1)
    # session, user, the three sections counted in one query and a page of each, who may cancel what (two), the
    # staff menu, the footer's centres and their hours, the waitlist, which lendings may be renewed
    with django_assert_max_num_queries(13) as few:
        client.get(en("web:my_bookings"))
    make_history(member, staff_user, room, organisation, open_day + timedelta(weeks=1), 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(en("web:my_bookings")).content.decode()
    assert page.count('class="booking"') == 4 * 7


def test_the_print_page_lists_the_coming_bookings_that_stand(client, member, staff_user, room, organisation, open_day,
                                                            django_assert_max_num_queries):
    made = make_history(member, staff_user, room, organisation, open_day, 2)
    other = factories.make_organisation("Fundacja Sąsiedzi", members=[factories.make_user("ewa")])
    factories.make_booking(resource=room, organisation=other, day=open_day, hour=16, title="Cudze spotkanie")
    client.force_login(member)
    with django_assert_max_num_queries(8):
        response = client.get(en("web:my_bookings_print"))
    page = response.content.decode()
    rows = re.findall(r"<tr><td>.*?</tr>", page, re.S)
    assert [re.search(r"<td>(coming \d)</td>", row).group(1) for row in rows] == ["coming 0", "coming 1"]
    assert all(booking.title not in page for booking in made["past"] + made["cancelled"] + made["rejected"])
    assert "Cudze spotkanie" not in page
    assert "Sala spotkań, Centrum Aktywizacji Społecznej" in rows[0]
    assert "data-print hidden" in page  # the button appears only where print.js runs
    assert 'href="/en/bookings/print/"' in client.get(en("web:my_bookings")).content.decode()


def test_the_print_page_needs_a_login(client):
    response = client.get(en("web:my_bookings_print"))
    assert response.status_code == 302 and response.url.startswith(en("web:login"))


def test_a_new_calendar_address_has_copy_buttons_and_stays_selectable_without_script(client, member, organisation):
    client.force_login(member)
    page = client.post(en("web:feeds"), {"what": f"organisation:{organisation.pk}", "name": "Telefon"}).content.decode()
    for field in ("new-feed-url", "new-feed-webcal"):
        assert re.search(rf'<input id="{field}" type="text" readonly value="[^"]+\.ics"', page)
        assert re.search(rf'<button type="button"[^>]*data-copy="{field}"[^>]*hidden>Copy', page)
    assert "web/copy.js" in page


# --- Your account ---------------------------------------------------------------------------------

def test_the_account_page_changes_the_language_of_emails(client, member):
    client.force_login(member)
    page = client.get(en("web:account")).content.decode()
    assert 'value="pl"' in page and re.search(r'value="pl"[^>]*checked', page)
    response = client.post(en("web:account"), {"language": "en"}, follow=True)
    assert "Your e-mails will be in English." in response.content.decode()
    member.refresh_from_db()
    assert member.language == "en"


def test_a_language_that_does_not_exist_is_a_form_error_and_changes_nothing(client, member):
    client.force_login(member)
    response = client.post(en("web:account"), {"language": "de"})
    assert response.status_code == 200
    assert 'id="id_language_error"' in response.content.decode()
    member.refresh_from_db()
    assert member.language == "pl"


def test_account_pages_need_a_login(client):
    for name in ("web:account", "web:password_change"):
        assert client.get(en(name)).url.startswith(en("web:login"))


def test_changing_the_password_keeps_this_session_and_ends_the_old_token(client, member):
    token = APIClient().post("/api/v1/auth/token/", {"username": "jan", "password": "jan"}).json()["token"]
    phone = Client()
    phone.force_login(member)
    client.force_login(member)
    response = client.post(en("web:password_change"), {"old_password": "jan", "new_password1": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == en("web:account")
    assert "Your password is changed." in response.content.decode()
    assert client.get(en("web:my_bookings")).status_code == 200  # this browser stays logged in
    assert phone.get(en("web:my_bookings")).status_code == 302  # the other one is logged out
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/bookings/").status_code == 401


def test_a_wrong_old_password_changes_nothing(client, member):
    token = APIClient().post("/api/v1/auth/token/", {"username": "jan", "password": "jan"}).json()["token"]
    client.force_login(member)
    response = client.post(en("web:password_change"), {"old_password": "nie-to", "new_password1": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD})
    assert response.status_code == 200 and 'id="id_old_password_error"' in response.content.decode()
    member.refresh_from_db()
    assert member.check_password("jan")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/bookings/").status_code == 200


def test_every_footer_leads_a_member_to_their_account(client, member):
    client.force_login(member)
    footer = re.search(r"<footer.*</footer>", client.get(en("web:home")).content.decode(), re.S).group(0)
    assert f'href="{en("web:account")}"' in footer
    anonymous = re.search(r"<footer.*</footer>", Client().get(en("web:home")).content.decode(), re.S).group(0)
    assert en("web:account") not in anonymous
