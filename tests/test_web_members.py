"""The members page of an organisation: coordinators (and the staff of its hosting centres) invite people, change
roles and remove members; members see who belongs and may leave; everyone else gets a 404."""
import html
import re

import pytest

from booking.models import Booking
from ngo.models import Membership
from tests import factories
from tests.test_web_pages import en, error_of

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture
def coordinator(organisation):
    user = factories.make_user("ola", first_name="Ola", last_name="Zięba")
    Membership.objects.create(user=user, organisation=organisation, role=Role.COORDINATOR)
    return user


@pytest.fixture
def newcomer(db):
    return factories.make_user("nowy", first_name="Piotr", last_name="Nowy")


def roles(organisation):
    return dict(Membership.objects.filter(organisation=organisation).values_list("user__username", "role"))


def messages_of(response):
    return html.unescape(" ".join(re.findall(r'<p class="message[^"]*">(.*?)</p>', response.content.decode(),
                                               re.S)))


def field_error(response, field_id):
    return html.unescape(error_of(response, field_id))


def members_url(organisation):
    return en("web:organisation_members", organisation.pk)


def invitation_link(mailoutbox):
    """The invitation link in the last e-mail, as the invited person clicks it."""
    return re.search(r"https?://\S+(/invitations/\S+/)", mailoutbox[-1].body).group(1)


def test_coordinator_invites_a_person_who_joins_by_accepting(client, organisation, coordinator, newcomer,
                                                             mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(members_url(organisation), {"email": " nowy@example.org ", "role": "member"},
                               follow=True)
    assert "An invitation to Stowarzyszenie Aktywni Seniorzy has been sent to nowy@example.org. The person joins " \
           "when they accept it." in messages_of(response)
    assert "nowy" not in roles(organisation)
    invitation = organisation.invitations.get()
    card = re.search(rf'<li class="card" id="invitation-{invitation.pk}">(.*?)</li>', response.content.decode(), re.S)
    assert "nowy@example.org" in card.group(1) and "Member" in card.group(1) and "Revoke" in card.group(1)
    [mail] = mailoutbox
    assert mail.to == ["nowy@example.org"]

    client.force_login(newcomer)
    response = client.post("/en" + invitation_link(mailoutbox), follow=True)  # the link, on the English page

    assert roles(organisation)["nowy"] == Role.MEMBER
    assert "Welcome to Stowarzyszenie Aktywni Seniorzy. You are now its member." in messages_of(response)


def test_a_member_invited_as_coordinator_becomes_one_on_accepting(client, organisation, coordinator, member,
                                                                 mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(members_url(organisation), {"email": "JAN@example.org", "role": "coordinator"})
    assert roles(organisation)["jan"] == Role.MEMBER
    client.force_login(member)
    client.post(invitation_link(mailoutbox))
    assert roles(organisation)["jan"] == Role.COORDINATOR


@pytest.mark.parametrize("email, expected", [
    ("", "This field is required."),
    ("nikt", "Enter a valid email address."),
    ("nikt@", "Enter a valid email address."),
])
def test_an_address_that_is_no_address_is_an_error_next_to_the_field(client, organisation, coordinator, email,
                                                                     expected):
    client.force_login(coordinator)
    response = client.post(members_url(organisation), {"email": email, "role": "member"})
    assert response.status_code == 400
    assert field_error(response, "id_email") == expected
    assert not organisation.invitations.exists()


def test_a_revoked_invitation_no_longer_opens(client, organisation, coordinator, newcomer, mailoutbox,
                                              django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(members_url(organisation), {"email": "nowy@example.org", "role": "member"})
    invitation = organisation.invitations.get()
    response = client.post(en("web:invitation_revoke", organisation.pk, invitation.pk), follow=True)
    assert "The invitation to nowy@example.org is revoked; its link no longer works." in messages_of(response)
    assert f'id="invitation-{invitation.pk}"' not in response.content.decode()
    client.force_login(newcomer)
    response = client.post(invitation_link(mailoutbox))
    assert response.status_code == 404
    assert "To zaproszenie nie jest już ważne" in response.content.decode()  # the Polish link: no longer valid
    assert "nowy" not in roles(organisation)


def test_an_unknown_role_is_refused(client, organisation, coordinator, newcomer, member):
    client.force_login(coordinator)
    assert client.post(members_url(organisation), {"email": "nowy@example.org", "role": "prezes"}).status_code == 400
    response = client.post(en("web:member_set_role", organisation.pk, member.pk), {"role": "prezes"})
    assert response.status_code == 400 and "Choose a role." in response.content.decode()
    assert roles(organisation) == {"jan": Role.MEMBER, "ola": Role.COORDINATOR}


def test_coordinator_changes_a_role_both_ways(client, organisation, coordinator, member):
    client.force_login(coordinator)
    response = client.post(en("web:member_set_role", organisation.pk, member.pk), {"role": "coordinator"},
                           follow=True)
    assert roles(organisation)["jan"] == Role.COORDINATOR
    assert "Jan Kowalski is now a coordinator of Stowarzyszenie Aktywni Seniorzy." in messages_of(response)
    # With two coordinators, the first may step down.
    response = client.post(en("web:member_set_role", organisation.pk, coordinator.pk), {"role": "member"},
                           follow=True)
    assert roles(organisation) == {"jan": Role.COORDINATOR, "ola": Role.MEMBER}
    assert "Ola Zięba is now a member of Stowarzyszenie Aktywni Seniorzy." in messages_of(response)


def test_the_last_coordinator_cannot_be_demoted_or_removed(client, organisation, coordinator, staff_user, centre):
    client.force_login(coordinator)
    before = roles(organisation)
    response = client.post(en("web:member_set_role", organisation.pk, coordinator.pk), {"role": "member"})
    assert response.status_code == 400
    card = re.search(rf'<li class="card" id="member-{coordinator.pk}">(.*?)</li>', response.content.decode(), re.S)
    assert "An organisation keeps at least one coordinator." in card.group(1)
    response = client.post(en("web:member_remove", organisation.pk, coordinator.pk))  # leaving
    assert response.status_code == 400
    assert "An organisation keeps at least one coordinator." in response.content.decode()
    client.force_login(staff_user)  # nor may the centre's staff
    response = client.post(en("web:member_remove", organisation.pk, coordinator.pk))
    assert response.status_code == 400
    assert roles(organisation) == before


def test_removing_asks_first_then_removes(client, organisation, coordinator, member):
    client.force_login(coordinator)
    url = en("web:member_remove", organisation.pk, member.pk)
    page = client.get(members_url(organisation)).content.decode()
    assert f'href="{url}"' in page
    confirmation = client.get(url).content.decode()
    assert "Remove Jan Kowalski from Stowarzyszenie Aktywni Seniorzy?" in confirmation
    assert confirmation.count("<form") == confirmation.count('name="csrfmiddlewaretoken"')
    assert "jan" in roles(organisation)
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == members_url(organisation)
    assert "Jan Kowalski no longer belongs to Stowarzyszenie Aktywni Seniorzy." in messages_of(response)
    assert "jan" not in roles(organisation)


def test_a_removed_member_no_longer_sees_the_organisations_bookings(client, organisation, coordinator, member,
                                                                    room, open_day):
    factories.make_booking(actor=coordinator, resource=room, organisation=organisation, day=open_day, hour=10,
                           title="Walne zebranie")
    client.force_login(member)
    assert "Walne zebranie" in client.get(en("web:my_bookings")).content.decode()
    client.force_login(coordinator)
    client.post(en("web:member_remove", organisation.pk, member.pk))
    client.force_login(member)
    assert "Walne zebranie" not in client.get(en("web:my_bookings")).content.decode()
    assert client.get(members_url(organisation)).status_code == 404
    assert Booking.objects.filter(title="Walne zebranie").exists()


def test_a_member_sees_the_list_without_forms_and_may_not_change_it(client, organisation, coordinator, member,
                                                                    newcomer):
    client.force_login(member)
    page = client.get(en("web:organisations")).content.decode()
    assert f'href="{members_url(organisation)}"' in page
    page = client.get(members_url(organisation)).content.decode()
    assert "Members of Stowarzyszenie Aktywni Seniorzy" in page
    assert "Ola Zięba" in page and "Coordinator" in page and "Jan Kowalski" in page
    assert 'name="email"' not in page and "member_set_role" not in page and "Make a coordinator" not in page
    assert en("web:member_remove", organisation.pk, coordinator.pk) not in page
    before = roles(organisation)
    assert client.post(members_url(organisation), {"email": "nowy@example.org", "role": "member"}).status_code \
        == 403
    assert client.post(members_url(organisation), {"email": "nikt", "role": "member"}).status_code == 403
    assert client.post(en("web:member_set_role", organisation.pk, member.pk),
                       {"role": "coordinator"}).status_code == 403
    assert client.get(en("web:member_remove", organisation.pk, coordinator.pk)).status_code == 403
    assert client.post(en("web:member_remove", organisation.pk, coordinator.pk)).status_code == 403
    assert roles(organisation) == before and not organisation.invitations.exists()


def test_a_member_leaves_the_organisation(client, organisation, coordinator, member):
    client.force_login(member)
    url = en("web:member_remove", organisation.pk, member.pk)
    assert f'href="{url}"' in client.get(members_url(organisation)).content.decode()
    assert "Leave Stowarzyszenie Aktywni Seniorzy?" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == en("web:organisations")
    assert "You have left Stowarzyszenie Aktywni Seniorzy." in messages_of(response)
    assert roles(organisation) == {"ola": Role.COORDINATOR}


def test_removing_is_post_only(client, organisation, coordinator, member):
    client.force_login(coordinator)
    client.get(en("web:member_remove", organisation.pk, member.pk))
    assert client.get(en("web:member_set_role", organisation.pk, member.pk)).status_code == 405
    assert "jan" in roles(organisation)


def test_removing_needs_a_csrf_token(organisation, coordinator, member):
    from django.test import Client
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(en("web:member_remove", organisation.pk, member.pk)).status_code == 403
    assert "jan" in roles(organisation)


def test_strangers_and_coordinators_of_other_organisations_get_404(client, organisation, coordinator, member):
    stranger = factories.make_user("obca")
    factories.make_organisation("Fundacja Pomocna Dłoń", coordinators=[stranger])
    client.force_login(stranger)
    before = roles(organisation)
    assert client.get(members_url(organisation)).status_code == 404
    assert client.post(members_url(organisation), {"email": "obca@example.org", "role": "coordinator"}) \
        .status_code == 404
    assert client.post(en("web:member_set_role", organisation.pk, member.pk),
                       {"role": "coordinator"}).status_code == 404
    assert client.post(en("web:member_remove", organisation.pk, member.pk)).status_code == 404
    assert roles(organisation) == before
    client.logout()
    response = client.get(members_url(organisation))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_member_of_another_organisation_is_not_found_here(client, organisation, coordinator):
    outsider = factories.make_user("ewa")
    other = factories.make_organisation("Fundacja Pomocna Dłoń", members=[outsider])
    client.force_login(coordinator)
    assert client.get(en("web:member_remove", organisation.pk, outsider.pk)).status_code == 404
    assert client.post(en("web:member_set_role", organisation.pk, outsider.pk),
                       {"role": "member"}).status_code == 404
    assert roles(other) == {"ewa": Role.MEMBER}


def test_centre_staff_manage_members_from_the_verification_page(client, organisation, coordinator, staff_user,
                                                                centre, newcomer):
    client.force_login(staff_user)
    assert f'href="{members_url(organisation)}"' in client.get(en("web:organisation_review")).content.decode()
    page = client.get(members_url(organisation)).content.decode()
    assert 'name="email"' in page
    client.post(members_url(organisation), {"email": "nowy@example.org", "role": "coordinator"})
    assert organisation.invitations.get().role == Role.COORDINATOR
    assert "nowy" not in roles(organisation) and "anna" not in roles(organisation)


def test_every_form_on_the_page_carries_a_csrf_token(client, organisation, coordinator, member):
    client.force_login(coordinator)
    page = client.get(members_url(organisation)).content.decode()
    assert page.count("<form") == page.count('name="csrfmiddlewaretoken"')


def test_the_page_costs_the_same_queries_however_many_members(client, organisation, coordinator,
                                                              django_assert_max_num_queries):
    client.force_login(coordinator)
    with django_assert_max_num_queries(9) as few:
        assert client.get(members_url(organisation)).status_code == 200
    for number in range(30):
        Membership.objects.create(user=factories.make_user(f"osoba{number}"), organisation=organisation)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(members_url(organisation)).content.decode()
    assert "osoba29" in page
