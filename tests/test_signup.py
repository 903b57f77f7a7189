"""Getting an account: a person signs up, confirms the address with the e-mailed link, logs in and goes on to
register an organisation or accept an invitation. The account cannot log in before; an expired or altered link
gets a clear page; sign-ups are throttled; the page never tells whether an address has an account."""
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from ngo.gdpr import purge_unconfirmed
from ngo.models import Invitation
from ngo.services import invite_member
from ngo.signup import SALT, _fingerprint, confirmation_token
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Mocne-Haslo-2024!"
User = get_user_model()


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def sign_up(email="ola@example.org", address="192.0.2.1", browser=None, **fields):
    data = {"first_name": "Ola", "last_name": "Nowak", "email": email, "password1": PASSWORD, "password2": PASSWORD,
            "language": "en", **fields}
    return (browser or Client(REMOTE_ADDR=address)).post(en("web:signup"), data)


def page_text(response):
    """The page as the person reads it: without the form's one-time CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def confirmation_link(email):
    return urlsplit(re.search(r"^(https?://\S+/accounts/signup/confirm/\S+/)$", email.body, re.M).group(1)).path


def web_login(username, password=PASSWORD):
    return Client(REMOTE_ADDR="192.0.2.9").post(en("web:login"), {"username": username, "password": password})


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Sign-ups commit here, so their e-mails go out through the outbox as in production."""
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)
    return run


def test_sign_up_confirm_log_in_and_register_an_organisation(on_commit, mailoutbox):
    centre = factories.make_centre("Centrum Aktywizacji Społecznej")
    response = on_commit(sign_up, email="Ola@example.org")

    assert response.status_code == 302 and response["Location"] == en("web:signup_sent")
    user = User.objects.get(email="Ola@example.org")
    assert user.username == "ola@example.org" and not user.is_active and user.language == "en"
    assert user.get_full_name() == "Ola Nowak" and user.check_password(PASSWORD)
    assert web_login("ola@example.org").status_code == 200  # the form again: not logged in before confirming

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["Ola@example.org"] and email.subject == "Confirm your e-mail address"
    assert "Login: ola@example.org" in email.body and "works for 3 days" in email.body
    sent = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SIGNUP_CONFIRMATION)
    assert sent.status == OutboxMessage.Status.SENT and sent.person == user
    assert not sent.body_text and not sent.body_html and not sent.payload  # the link is kept nowhere

    browser = Client()
    confirmed = browser.get(confirmation_link(email), follow=True)
    assert confirmed.redirect_chain[-1][0] == f"{en('web:login')}?next={en('web:welcome')}"
    assert "Your e-mail address is confirmed." in confirmed.content.decode()
    user.refresh_from_db()
    assert user.is_active and user.awaiting_confirmation_since is None
    # Opened again (a mail scanner came first): no error, the person logs in.
    assert browser.get(confirmation_link(email)).status_code == 302

    logged_in = browser.post(en("web:login"), {"username": "Ola@Example.org", "password": PASSWORD,
                                               "next": en("web:welcome")}, follow=True)
    assert logged_in.redirect_chain[-1][0] == en("web:welcome")
    welcome = logged_in.content.decode()
    assert "Register an organisation" in welcome and "Ola@example.org" in welcome

    registered = browser.post(en("web:organisation_register"), {
        "name": "Klub Sąsiedzki", "kind": "informal", "contact_person": "Ola Nowak", "email": "klub@example.org",
        "centre": centre.pk}, follow=True)
    assert "Klub Sąsiedzki is registered" in registered.content.decode()
    assert user.memberships.get().organisation.status == "unverified"  # staff still verify it


def test_a_confirmed_account_accepts_an_invitation_sent_to_it(on_commit, mailoutbox):
    coordinator = factories.make_user("kasia")
    organisation = factories.make_organisation("Fundacja Razem", coordinators=[coordinator])
    on_commit(invite_member, organisation=organisation, actor=coordinator, email="ola@example.org")
    on_commit(sign_up)
    browser = Client()
    browser.get(confirmation_link(mailoutbox[-1]))
    browser.post(en("web:login"), {"username": "ola@example.org", "password": PASSWORD})

    invitation = Invitation.objects.get()
    joined = browser.post(en("web:invitation", factories.invitation_token(invitation)), follow=True)
    assert "Welcome to Fundacja Razem" in joined.content.decode()
    assert User.objects.get(username="ola@example.org").memberships.get().organisation == organisation


def test_an_altered_or_expired_link_gets_a_clear_page(on_commit, mailoutbox):
    on_commit(sign_up)
    user = User.objects.get()
    link = confirmation_link(mailoutbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]

    altered = Client().get(link.replace(token, token[:-3] + ("abc" if not token.endswith("abc") else "xyz")))
    assert altered.status_code == 400
    assert "This confirmation link is not valid." in altered.content.decode()
    assert Client().get(en("web:signup_confirm", "nonsense")).status_code == 400

    class SignedDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - settings.SIGNUP_LINK_DAYS * 86400 - 60)

    expired_token = SignedDaysAgo(salt=SALT).sign_object([user.pk, _fingerprint(user)], compress=True)
    expired = Client().get(en("web:signup_confirm", expired_token))
    assert expired.status_code == 410
    page = expired.content.decode()
    assert "This confirmation link has expired." in page and "Send a new link" in page
    user.refresh_from_db()
    assert not user.is_active


def test_signing_up_again_replaces_the_waiting_account_and_its_link(on_commit, mailoutbox):
    on_commit(sign_up)
    on_commit(sign_up, first_name="Aleksandra", password1="Inne-Haslo-2025?", password2="Inne-Haslo-2025?")

    user = User.objects.get()
    assert user.first_name == "Aleksandra" and user.check_password("Inne-Haslo-2025?")
    first, second = mailoutbox
    assert Client().get(confirmation_link(first)).status_code == 400  # the earlier sign-up's link
    assert Client().get(confirmation_link(second)).status_code == 302


def test_an_address_with_an_account_is_not_disclosed(on_commit, mailoutbox):
    owner = factories.make_user("jan", language="en")  # jan@example.org
    new = on_commit(sign_up, email="nowa@example.org")
    taken = on_commit(sign_up, email="JAN@example.org")

    assert taken.status_code == new.status_code == 302 and taken["Location"] == new["Location"]
    assert page_text(Client().get(taken["Location"])) == page_text(Client().get(new["Location"]))
    assert User.objects.filter(email__iexact="jan@example.org").get() == owner  # no second account
    owner.refresh_from_db()
    assert owner.check_password("jan") and owner.is_active  # nothing about the account changed
    to_owner = [email for email in mailoutbox if email.to == ["jan@example.org"]]
    assert [email.subject for email in to_owner] == ["You already have an account"]
    assert "Login: jan" in to_owner[0].body and "/accounts/password-reset/" in to_owner[0].body


@override_settings(SIGNUP_PER_ADDRESS=2, SIGNUP_PER_CLIENT=3)
def test_sign_ups_and_links_sent_again_are_throttled(on_commit, mailoutbox):
    assert [on_commit(sign_up, address="192.0.2.1").status_code for _ in range(2)] == [302, 302]
    refused = sign_up(address="192.0.2.2")  # the same address from elsewhere
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "Try again in an hour." in refused.content.decode()
    again = Client(REMOTE_ADDR="192.0.2.3").post(en("web:signup_again"), {"email": "ola@example.org"})
    assert again.status_code == 429
    assert len(mailoutbox) == 2

    # Per client address: one more from 192.0.2.1 (three counted), then refused whatever the address.
    assert sign_up(email="b@example.org", address="192.0.2.1").status_code == 302
    assert sign_up(email="c@example.org", address="192.0.2.1").status_code == 429
    assert not User.objects.filter(email="c@example.org").exists()


def test_a_link_sent_again_confirms_the_account(on_commit, mailoutbox):
    on_commit(sign_up)
    response = on_commit(Client().post, en("web:signup_again"), {"email": "OLA@example.org"})
    unknown = on_commit(Client().post, en("web:signup_again"), {"email": "nikt@example.org"})
    assert response.status_code == unknown.status_code == 302
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["ola@example.org"]
    assert Client().get(confirmation_link(mailoutbox[1])).status_code == 302
    assert User.objects.get().is_active


def test_a_weak_password_or_a_bad_form_is_refused_field_by_field(mailoutbox):
    weak = sign_up(password1="12345678", password2="12345678")
    assert weak.status_code == 400
    assert 'id="id_password1_error"' in weak.content.decode()
    differing = sign_up(password2="Inne-Haslo-2025?")
    assert differing.status_code == 400 and 'id="id_password2_error"' in differing.content.decode()
    assert sign_up(email="nie-adres").status_code == 400
    assert sign_up(language="de").status_code == 400
    assert not User.objects.exists() and not mailoutbox


def test_the_login_page_links_to_sign_up(client):
    page = client.get(en("web:login")).content.decode()
    assert f'href="{en("web:signup")}"' in page and f'href="{en("web:signup_again")}"' in page
    assert client.get(en("web:signup")).status_code == 200


def test_unconfirmed_accounts_are_deleted_after_some_days(on_commit, mailoutbox):
    on_commit(sign_up, email="stara@example.org")
    on_commit(sign_up, email="nowa@example.org")
    on_commit(sign_up, email="potwierdzona@example.org")
    Client().get(confirmation_link(mailoutbox[2]))
    old = timezone.now() - timedelta(days=settings.SIGNUP_UNCONFIRMED_DAYS, minutes=1)
    User.objects.filter(email__in=["stara@example.org", "potwierdzona@example.org"]).update(
        awaiting_confirmation_since=old)
    User.objects.filter(email="potwierdzona@example.org").update(awaiting_confirmation_since=None)
    staff = factories.make_user("anna", is_active=False)

    assert purge_unconfirmed(dry_run=True) == ["stara@example.org"]
    assert User.objects.filter(email="stara@example.org").exists()
    call_command("purge_unconfirmed_accounts")
    assert sorted(User.objects.values_list("username", flat=True)) == ["anna", "nowa@example.org",
                                                                      "potwierdzona@example.org"]
    assert not OutboxMessage.objects.filter(recipient="stara@example.org").exists()
    assert staff.pk in User.objects.values_list("pk", flat=True)


def test_the_confirmation_token_is_bound_to_the_sign_up(on_commit):
    on_commit(sign_up)
    user = User.objects.get()
    token = confirmation_token(user)
    user.set_password("Inne-Haslo-2025?")
    user.save()
    assert Client().get(en("web:signup_confirm", token)).status_code == 400
