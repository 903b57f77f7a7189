"""People join an organisation by accepting an invitation sent to their e-mail address (DESIGN §3): nobody is
added without consent, and no answer tells whether an address has an account."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ngo import services
from ngo.exceptions import RuleViolation
from ngo.models import Invitation, Membership, Organisation
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"
Role = Membership.Role


@pytest.fixture
def coordinator(db, centre):
    """The coordinator of an organisation that registered itself and is not verified yet."""
    user = factories.make_user("ola", first_name="Ola", last_name="Zięba")
    services.register_organisation(actor=user, name="Nowa Inicjatywa", kind=Organisation.Kind.INFORMAL_GROUP,
                                   contact_person="Ola Zięba", email="ola@example.org")
    return user


@pytest.fixture
def initiative(coordinator):
    return Organisation.objects.get(name="Nowa Inicjatywa")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def link_in(mail):
    return re.search(r"https?://\S+(/invitations/[^/\s]+/)", mail.body).group(1)


# --- the same answer for every address -----------------------------------------------------------

@pytest.fixture
def addresses(initiative, member):
    """An address of nobody, of the superuser, of an inactive account, and of someone who already belongs."""
    factories.make_user("admin", is_superuser=True, is_staff=True)
    factories.make_user("dawny", is_active=False)
    Membership.objects.create(user=member, organisation=initiative)
    return ["nikt@example.org", "admin@example.org", "dawny@example.org", "jan@example.org"]


def test_an_invitation_answers_alike_whether_the_address_has_an_account(client, initiative, coordinator, addresses,
                                                                        django_capture_on_commit_callbacks,
                                                                        mailoutbox):
    """Through the API and the page, the answer differs by the address only, as written back; the e-mail goes out
    to each address the same way."""
    api_answers, pages = [], []
    client.force_login(coordinator)
    for address in addresses:
        with django_capture_on_commit_callbacks(execute=True):
            response = api(coordinator).post(f"{API}/organisations/{initiative.pk}/members/",
                                             {"email": address, "role": "coordinator"}, format="json")
        body = response.json()
        api_answers.append((response.status_code, sorted(body), body["email"] == address, body["role"]))
        page = client.post(reverse("web:organisation_members", args=[initiative.pk]),
                           {"email": address, "role": "coordinator"}, follow=True)
        said = re.findall(r'<p class="message[^"]*">(.*?)</p>', page.content.decode(), re.S)
        card = re.search(r'<li class="card" id="invitation-\d+">(.*?)</li>', page.content.decode(), re.S).group(1)
        pages.append((page.status_code, [text.replace(address, "ADDRESS") for text in said],
                      re.sub(r'/invitations/\d+/|value="\w+"', "", card.replace(address, "ADDRESS"))))

    assert api_answers == [(202, ["created_at", "email", "expires_at", "id", "invited_by", "role"], True,
                            "coordinator")] * len(addresses)
    assert pages == [pages[0]] * len(pages)
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(addresses)
    # Nobody joined by being invited, not even the superuser, and the member is still a member only.
    assert dict(initiative.memberships.values_list("user__username", "role")) == {"ola": Role.COORDINATOR,
                                                                                  "jan": Role.MEMBER}


# --- joining -------------------------------------------------------------------------------------

def test_a_person_joins_only_by_accepting_the_invitation(client, initiative, coordinator, member, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(organisation=initiative, actor=coordinator, email="jan@example.org")
    [mail] = mailoutbox
    link = "/en" + link_in(mail)

    anonymous = client.get(link).content.decode()
    client.force_login(member)
    page = client.get(link).content.decode()

    assert "Log in to accept" in anonymous and 'name="password1"' in anonymous
    assert 'value="jan@example.org"' in anonymous
    assert "You are logged in as Jan Kowalski." in page and "Join Nowa Inicjatywa" in page
    assert not initiative.memberships.filter(user=member).exists()  # looking is not joining

    client.post(link)

    assert initiative.memberships.get(user=member).role == Role.MEMBER
    invitation = Invitation.objects.get()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (member, True)
    assert client.post(link).status_code == 404  # a link works once


def test_an_account_is_created_from_the_invitation_link(client, initiative, coordinator, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(organisation=initiative, actor=coordinator, email="Nowa.Osoba@example.org",
                               role=Role.COORDINATOR)
    link = "/en" + link_in(mailoutbox[0])
    form = {"first_name": "Nowa", "last_name": "Osoba", "username": "nowa", "email": "inny@example.org",
            "password1": "Kwiaty-w-oknie-7", "password2": "Kwiaty-w-oknie-7"}

    taken = client.post(link, {**form, "username": "ola"})
    weak = client.post(link, {**form, "password1": "12345678", "password2": "12345678"})
    assert (taken.status_code, weak.status_code) == (400, 400)
    assert "A user with that username already exists." in taken.content.decode()
    assert "This password is too common." in weak.content.decode()
    assert not get_user_model().objects.filter(username="nowa").exists()

    response = client.post(link, form, follow=True)

    person = get_user_model().objects.get(username="nowa")
    assert person.email == "Nowa.Osoba@example.org"  # the address the invitation went to, not another
    assert initiative.memberships.get(user=person).role == Role.COORDINATOR
    assert response.context["user"] == person  # logged in
    assert "Welcome to Nowa Inicjatywa." in response.content.decode()


def test_an_expired_or_revoked_invitation_is_refused(client, initiative, coordinator, member, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expiring = services.invite_member(organisation=initiative, actor=coordinator, email="jan@example.org")
        revoked = services.invite_member(organisation=initiative, actor=coordinator, email="jan2@example.org")
    Invitation.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.revoke_invitation(invitation=revoked, actor=coordinator)
    client.force_login(member)

    for mail in mailoutbox:
        response = client.post("/en" + link_in(mail))
        assert response.status_code == 404
        assert "This invitation is no longer valid" in response.content.decode()
    with pytest.raises(RuleViolation) as info:
        services.accept_invitation(token=factories.invitation_token(expiring), actor=member)
    assert info.value.code == "invitation_invalid"
    assert not initiative.memberships.filter(user=member).exists()
    assert client.get("/en/invitations/not-a-token/").status_code == 404


def test_inviting_the_same_address_again_replaces_the_pending_invitation(initiative, coordinator, member):
    first = services.invite_member(organisation=initiative, actor=coordinator, email="jan@example.org")
    services.invite_member(organisation=initiative, actor=coordinator, email="JAN@example.org", role=Role.COORDINATOR)

    with pytest.raises(RuleViolation):
        services.accept_invitation(token=factories.invitation_token(first), actor=member)
    assert [i.role for i in initiative.invitations.pending()] == [Role.COORDINATOR]


def test_an_organisation_has_a_limited_number_of_pending_invitations(initiative, coordinator):
    for number in range(services.MAX_PENDING_INVITATIONS):
        services.invite_member(organisation=initiative, actor=coordinator, email=f"osoba{number}@example.org")

    with pytest.raises(RuleViolation) as info:
        services.invite_member(organisation=initiative, actor=coordinator, email="jeszcze@example.org")

    assert (info.value.code, info.value.field) == ("too_many_invitations", "email")
    services.revoke_invitation(invitation=initiative.invitations.pending().first(), actor=coordinator)
    services.invite_member(organisation=initiative, actor=coordinator, email="jeszcze@example.org")


# --- staff -------------------------------------------------------------------------------------

def test_staff_cannot_make_themselves_members_by_inviting_themselves(initiative, staff_user, coordinator):
    """The staff of the hosting centre may invite people, but joining takes someone else's consent: their own."""
    invitation = services.invite_member(organisation=initiative, actor=staff_user, email=staff_user.email,
                                        role=Role.COORDINATOR)

    with pytest.raises(RuleViolation) as info:
        services.accept_invitation(token=factories.invitation_token(invitation), actor=staff_user)

    assert info.value.code == "own_invitation"
    assert not initiative.memberships.filter(user=staff_user).exists()


def test_staff_registering_an_organisation_invite_its_contact_instead_of_joining(client, staff_user, centre,
                                                                                   mailoutbox,
                                                                                   django_capture_on_commit_callbacks):
    factories.make_centre("Centrum Pracy Socjalnej")
    client.force_login(staff_user)
    assert f'<option value="{centre.pk}" selected>' in client.get(reverse("web:organisation_register")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:organisation_register"), {
            "name": "Klub Seniora", "kind": "informal", "contact_person": "Zofia Wiśniewska",
            "email": "zofia@example.org", "centre": centre.pk})

    organisation = Organisation.objects.get(name="Klub Seniora")
    assert list(organisation.centres.all()) == [centre]
    assert not organisation.memberships.exists()
    assert [(i.email, i.role) for i in organisation.invitations.all()] == [("zofia@example.org", Role.COORDINATOR)]
    assert [mail.to for mail in mailoutbox] == [["zofia@example.org"]]


def test_hosting_staff_see_and_revoke_pending_invitations(client, initiative, coordinator, staff_user):
    invitation = services.invite_member(organisation=initiative, actor=coordinator, email="nowa@example.org")
    client.force_login(staff_user)

    page = client.get(reverse("web:organisation_members", args=[initiative.pk])).content.decode()
    client.post(reverse("web:invitation_revoke", args=[initiative.pk, invitation.pk]))

    assert "nowa@example.org" in page
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# --- the e-mail ----------------------------------------------------------------------------------

def test_the_invitation_e_mail_is_in_the_invitees_language_with_a_link_that_opens(
        client, initiative, coordinator, english_member, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://rezerwacje.example.org/"
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(organisation=initiative, actor=coordinator, email="jan@example.org")
        services.invite_member(organisation=initiative, actor=coordinator, email="nieznana@example.org")

    english, unknown = mailoutbox
    assert english.subject == "Invitation to join Nowa Inicjatywa"
    assert "Ola Zięba invites you to join Nowa Inicjatywa (role: member)" in english.body
    assert "https://rezerwacje.example.org/en/invitations/" in english.body
    assert (english.extra_headers["Content-Language"], unknown.extra_headers["Content-Language"]) == ("en", "pl")
    assert "https://rezerwacje.example.org/invitations/" in unknown.body  # the Polish page
    assert client.get(link_in(unknown)).status_code == 200
    assert Invitation.objects.filter(token_hash__contains=link_in(unknown).split("/")[2]).count() == 0  # hashed


def test_staff_do_not_read_invitation_e_mails_in_the_admin(client, initiative, coordinator, staff_user,
                                                          django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    staff_user.is_staff = True
    staff_user.save(update_fields=["is_staff"])
    staff_user.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(organisation=initiative, actor=coordinator, email="nowa@example.org")
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.INVITATION)
    client.force_login(staff_user)

    assert client.get(reverse("admin:notifications_outboxmessage_change", args=[message.pk])).status_code == 302
    assert "nowa@example.org" not in client.get(reverse("admin:notifications_outboxmessage_changelist")) \
        .content.decode()
