"""Account hardening: a new password ends the old credentials."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

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
    response = browser.post(en("booking:login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return browser


def is_signed_in(browser):
    return browser.get(en("booking:my_bookings")).status_code == 200


# --- 3. Old credentials stop working when the password changes ------------------------------------

def reset_through_the_link(client, user):
    """What the person does with the e-mailed link: open it, set a new password."""
    user.refresh_from_db()  # the token depends on the last login
    link = en("booking:password_reset_confirm", uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
              token=default_token_generator.make_token(user))
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                        "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your new password is set." in response.content.decode()


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


@pytest.mark.parametrize("change", [reset_through_the_link, change_in_the_admin, disable_in_the_admin,
                                    changepassword_command, set_in_the_shell])
def test_a_new_password_ends_the_old_tokens_and_sessions(client, member, change):
    token = api_token("jan", "jan")
    browser = web_session("jan", "jan")
    assert token_client(token).get(f"{API}/bookings/").status_code == 200
    assert is_signed_in(browser)

    change(client, member)

    response = token_client(token).get(f"{API}/bookings/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert not is_signed_in(browser)
    assert browser.get(en("booking:my_bookings")).url.startswith(en("booking:login"))


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
