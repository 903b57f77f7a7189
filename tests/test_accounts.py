"""Account hardening: a new password ends the old credentials; wrong passwords pause logging in; a password reset
goes through the outbox, throttled, and answers alike whether the address has an account."""
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from notifications.models import OutboxMessage
from tests import factories

API = "/api/v1"
NEW_PASSWORD = "Nowe-Haslo-2024!"


def en(name, **kwargs):
    with translation.override("en"):
        return reverse(name, kwargs=kwargs)


def api_token(username, password):
    response = APIClient().post(f"{API}/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def web_session(username, password):
    """A browser that logged in through the login page."""
    browser = Client()
    response = browser.post(en("web:login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return browser


def is_signed_in(browser):
    return browser.get(en("web:my_bookings")).status_code == 200


# --- 3. Old credentials stop working when the password changes ------------------------------------

def reset_through_the_link(client, user):
    """What the person does with the e-mailed link: open it, set a new password."""
    user.refresh_from_db()  # the token depends on the last login
    link = en("web:password_reset_confirm", uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
              token=default_token_generator.make_token(user))
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                        "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your new password is set." in response.content.decode()


def change_on_the_account_page(client, user):
    """What the person does on "Your account", logged in on another device."""
    client.force_login(user)
    response = client.post(en("web:password_change"), {"old_password": user.username, "new_password1": NEW_PASSWORD,
                                                       "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your password is changed." in response.content.decode()


def change_in_the_admin(client, user):
    client.force_login(factories.make_user("admin", is_staff=True, is_superuser=True))
    response = client.post(f"/en/admin/ngo/user/{user.pk}/password/",
                           {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content


def disable_in_the_admin(client, user):
    client.force_login(factories.make_user("admin", is_staff=True, is_superuser=True))
    response = client.post(f"/en/admin/ngo/user/{user.pk}/password/", {"usable_password": "false",
                                                                       "unset-password": "1"})
    assert response.status_code == 302, response.content


def changepassword_command(client, user):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)  # what staff type at the terminal
        call_command("changepassword", user.username, stdout=io.StringIO())


def set_in_the_shell(client, user):
    """What any script does."""
    person = get_user_model().objects.get(pk=user.pk)
    person.set_password(NEW_PASSWORD)
    person.save()


@pytest.mark.parametrize("change", [reset_through_the_link, change_on_the_account_page, change_in_the_admin,
                                    disable_in_the_admin, changepassword_command, set_in_the_shell])
def test_a_new_password_ends_the_old_tokens_and_sessions(client, member, change):
    token = api_token("jan", "jan")
    browser = web_session("jan", "jan")
    assert token_client(token).get(f"{API}/bookings/").status_code == 200
    assert is_signed_in(browser)

    change(client, member)

    response = token_client(token).get(f"{API}/bookings/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert not is_signed_in(browser)
    assert browser.get(en("web:my_bookings")).url.startswith(en("web:login"))


def test_after_a_reset_the_new_password_gives_a_working_token(client, member):
    reset_through_the_link(client, member)

    assert APIClient().post(f"{API}/auth/token/", {"username": "jan", "password": "jan"}).status_code == 400
    assert token_client(api_token("jan", NEW_PASSWORD)).get(f"{API}/bookings/").status_code == 200


def test_other_people_keep_their_tokens(client, member):
    other = factories.make_user("ola")
    token = api_token("ola", "ola")

    reset_through_the_link(client, member)

    assert token_client(token).get(f"{API}/bookings/").status_code == 200
    assert other.api_tokens.count() == 1


def test_a_hash_upgrade_at_login_is_no_password_change(member, settings):
    """Django re-hashes a password with a newer hasher when the person logs in: their tokens stay."""
    token = api_token("jan", "jan")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.ScryptPasswordHasher",
                                 *settings.PASSWORD_HASHERS]

    assert token_client(api_token("jan", "jan")).get(f"{API}/bookings/").status_code == 200

    member.refresh_from_db()
    assert member.password.startswith("scrypt$")  # it was upgraded
    assert token_client(token).get(f"{API}/bookings/").status_code == 200


# --- 4. Wrong passwords pause logging in ---------------------------------------------------------------

def web_login(username, password, address="192.0.2.1", **headers):
    return Client(REMOTE_ADDR=address).post(en("web:login"), {"username": username, "password": password},
                                            **headers)


def admin_login(username, password, address="192.0.2.1", **headers):
    return Client(REMOTE_ADDR=address).post("/en/admin/login/", {"username": username, "password": password,
                                                                 "next": "/en/admin/"}, **headers)


def token_login(username, password, address="192.0.2.1", **headers):
    """The token endpoint, asked in English (the API answers in Polish unless asked otherwise)."""
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return APIClient(REMOTE_ADDR=address).post(f"{API}/auth/token/", {"username": username, "password": password},
                                               **headers)


def accepted(response):
    """Signed in: a token, or the login form's redirect onwards."""
    if response["Content-Type"] == "application/json":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


def assert_paused(response):
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == "900"
    if response["Content-Type"] == "application/json":
        body = response.json()
        assert body["code"] == "locked_out" and body["fields"] == {}
        text = body["detail"]
    else:
        text = response.content.decode()
        assert "<h1>Logging in is paused</h1>" in text
    assert "Too many wrong passwords" in text and "paused for 15 minutes" in text


DOORS = [web_login, admin_login, token_login]


@pytest.fixture
def staff_member(member):
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    return member


@pytest.mark.parametrize("login", DOORS)
def test_after_five_wrong_passwords_even_the_right_one_is_refused(staff_member, login):
    answers = [login("jan", f"wrong-{attempt}") for attempt in range(5)]

    assert not any(accepted(answer) for answer in answers)
    assert all(answer.status_code != 429 for answer in answers[:4])
    assert_paused(answers[4])
    assert_paused(login("jan", "jan"))


@pytest.mark.parametrize("login", DOORS)
def test_one_address_trying_many_usernames_is_paused(staff_member, login):
    for attempt in range(5):
        login(f"guess{attempt}", "jan")

    assert_paused(login("jan", "jan"))
    assert accepted(login("jan", "jan", address="198.51.100.9"))


@pytest.mark.parametrize("login", DOORS)
def test_one_username_tried_from_many_addresses_is_paused(staff_member, login):
    factories.make_user("ola", is_staff=True)
    for attempt in range(5):
        login("jan", "wrong", address=f"203.0.113.{attempt + 1}")

    assert_paused(login("jan", "jan", address="198.51.100.9"))
    assert accepted(login("ola", "ola", address="198.51.100.9"))


def test_the_pause_ends_after_fifteen_minutes(member):
    for _attempt in range(5):
        web_login("jan", "wrong")
    assert_paused(web_login("jan", "jan"))

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    assert accepted(web_login("jan", "jan"))


def test_staff_unlock_a_person_with_a_command(member):
    for attempt in range(5):
        token_login("jan", "wrong", address=f"203.0.113.{attempt + 1}")
    assert_paused(token_login("jan", "jan"))

    call_command("axes_reset_username", "jan", stdout=io.StringIO())

    assert accepted(token_login("jan", "jan"))


def test_an_invented_forwarded_address_does_not_make_a_new_caller(member):
    for attempt in range(5):
        web_login(f"guess{attempt}", "wrong")

    assert_paused(web_login("jan", "jan", HTTP_X_FORWARDED_FOR="198.51.100.9"))


def test_behind_a_proxy_callers_are_told_apart_by_the_forwarded_address(member, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    for attempt in range(5):
        web_login(f"guess{attempt}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert_paused(web_login("jan", "jan", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert accepted(web_login("jan", "jan", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8"))
    # What a client talking to the server directly invents is no address: it counts as the proxy's.
    assert web_login("jan", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 200


def test_the_lockout_page_is_in_the_site_language(member):
    for _attempt in range(5):
        web_login("jan", "wrong")

    response = Client(REMOTE_ADDR="192.0.2.1").post("/accounts/login/", {"username": "jan", "password": "jan"})

    assert response.status_code == 429
    assert '<html lang="pl">' in response.content.decode()


# --- 5. Password reset: through the outbox, throttled, answered alike ----------------------------------

def ask_for_reset(email, address="192.0.2.1", language="en"):
    """The reset form posted, as a browser does; the page it ends on."""
    with translation.override(language):
        url = reverse("web:password_reset")
    response = Client(REMOTE_ADDR=address).post(url, {"email": email}, follow=True)
    assert response.status_code == 200
    return response


def page_text(response):
    """The page as the person reads it: without the form's one-time CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def link_in(email):
    return re.search(r"^(https?://\S+/accounts/reset/\S+/)$", email.body, re.M).group(1)


def test_a_reset_for_a_known_address_sends_one_email_with_a_working_link(
        english_member, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = ask_for_reset("JAN@example.org", language="pl")

    assert page.redirect_chain[-1][0] == "/accounts/password-reset/sent/"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["jan@example.org"] and email.subject == "Reset your password"  # the person's language
    assert "Username: jan" in email.body
    sent = OutboxMessage.objects.get(kind=OutboxMessage.Kind.PASSWORD_RESET)
    assert sent.status == OutboxMessage.Status.SENT and sent.person == english_member
    assert not sent.body_text and not sent.body_html  # staff reading the outbox cannot use the link

    link = link_in(email)
    assert link.startswith(f"{settings.SITE_URL}/en/accounts/reset/")
    browser = Client()
    form = browser.get(urlsplit(link).path, follow=True)
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
                        follow=True)
    assert "Your new password is set." in done.content.decode()
    assert accepted(web_login("jan", NEW_PASSWORD))


def test_the_email_is_in_polish_for_a_polish_account(member, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_reset("jan@example.org", language="en")

    assert mailoutbox[0].subject == "Zmiana hasła"
    assert "/en/" not in link_in(mailoutbox[0])


def test_an_unknown_address_sends_nothing_and_gets_the_same_page(member, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask_for_reset("jan@example.org")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        unknown = ask_for_reset("nikt@example.org")

    assert mailoutbox == []
    assert not OutboxMessage.objects.filter(recipient="nikt@example.org").exists()
    assert unknown.redirect_chain == known.redirect_chain
    assert page_text(unknown) == page_text(known)
    assert "Check your e-mail" in unknown.content.decode()


def test_an_inactive_account_gets_no_email(member, mailoutbox, django_capture_on_commit_callbacks):
    member.is_active = False
    member.save(update_fields=["is_active"])

    with django_capture_on_commit_callbacks(execute=True):
        ask_for_reset("jan@example.org")

    assert mailoutbox == []


def test_the_request_does_the_same_work_for_known_and_unknown_addresses(member, mailoutbox):
    """Nothing is looked up or sent in the request itself (the transaction does not commit here, so the send task
    does not run): the same queries, only their values differ, so no timing tells the addresses apart."""
    def queries(email):
        with CaptureQueriesContext(connection) as captured:
            ask_for_reset(email)
        return [re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", query["sql"])
                for query in captured.captured_queries]

    known, unknown = queries("jan@example.org"), queries("nikt@example.org")

    assert mailoutbox == []
    assert known == unknown


def test_an_address_gets_at_most_three_emails_an_hour(member, mailoutbox, django_capture_on_commit_callbacks):
    pages = []
    for attempt in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            pages.append(ask_for_reset("jan@example.org", address=f"203.0.113.{attempt + 1}"))

    assert len(mailoutbox) == 3
    assert page_text(pages[3]) == page_text(pages[0]) and pages[3].redirect_chain == pages[0].redirect_chain


def test_a_client_asks_for_at_most_ten_links_an_hour(member):
    for attempt in range(11):
        ask_for_reset(f"adres{attempt}@example.org")
    assert OutboxMessage.objects.count() == 10

    ask_for_reset("jan@example.org", address="198.51.100.9")
    assert OutboxMessage.objects.count() == 11


def test_without_the_cache_resets_still_go_out(member, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # nothing listens there

    with django_capture_on_commit_callbacks(execute=True):
        page = ask_for_reset("jan@example.org")

    assert "Check your e-mail" in page.content.decode()
    assert len(mailoutbox) == 1


def test_one_email_for_several_accounts_with_the_address(member, mailoutbox, django_capture_on_commit_callbacks):
    factories.make_user("jan2", language="en")
    get_user_model().objects.filter(username="jan2").update(email="jan@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        ask_for_reset("jan@example.org")

    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert re.search(r"^- jan: http\S+/accounts/reset/\S+/$", body, re.M)
    assert re.search(r"^- jan2: http\S+/accounts/reset/\S+/$", body, re.M)
