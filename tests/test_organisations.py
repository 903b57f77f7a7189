"""Organisations: registration with KRS validation, verification by staff, members managed by coordinators."""
import html
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from ngo import services
from ngo.exceptions import RuleViolation
from ngo.models import Membership, Organisation
from tests import factories
from tests.test_web_pages import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def home(centre):
    """The installation's only centre: every organisation registered here is hosted by it."""
    return centre

Kind = Organisation.Kind
Role = Membership.Role


def register(user, kind=Kind.REGISTERED_NGO, krs="0000123456", **fields):
    fields.setdefault("name", "Stowarzyszenie Aktywni Seniorzy")
    return services.register_organisation(actor=user, kind=kind, krs=krs, contact_person="Jan Kowalski",
                                          email="kontakt@example.org", **fields)


def codes_of(refusal):
    """{field: [codes]} of a refusal: a broken rule (RuleViolation) or a field the model refuses (ValidationError)."""
    if isinstance(refusal, RuleViolation):
        return {refusal.field: [refusal.code]}
    return {name: [error.code for error in errors] for name, errors in refusal.error_dict.items()}


def refused_registration(user, field, code, **fields):
    before = (Organisation.objects.count(), Membership.objects.count())
    with pytest.raises((RuleViolation, ValidationError)) as info:
        register(user, **fields)
    assert codes_of(info.value)[field] == [code]
    assert (Organisation.objects.count(), Membership.objects.count()) == before


# --- registration ---------------------------------------------------------------------------

def test_registered_ngo_starts_unverified_with_its_registrant_as_coordinator(member):
    organisation = register(member, krs=" 0000123456 ")
    assert (organisation.status, organisation.krs) == (Organisation.Status.UNVERIFIED, "0000123456")
    assert Membership.objects.get(organisation=organisation).user == member
    assert Membership.objects.get(organisation=organisation).role == Role.COORDINATOR


@pytest.mark.parametrize("krs", ["123456789", "00001234AB", "0000-12345"])
def test_krs_has_exactly_ten_digits(member, krs):
    refused_registration(member, "krs", "invalid_krs", krs=krs)


def test_krs_longer_than_ten_digits_is_refused(member):
    with pytest.raises(ValidationError) as info:
        register(member, krs="00001234567")
    assert "krs" in info.value.error_dict
    assert not Organisation.objects.exists()


def test_registered_ngo_needs_its_krs(member):
    refused_registration(member, "krs", "krs_required", krs="")


def test_informal_group_has_no_krs(member):
    refused_registration(member, "krs", "krs_not_allowed", kind=Kind.INFORMAL_GROUP, krs="0000123456")
    group = register(member, kind=Kind.INFORMAL_GROUP, krs="", name="Klub Rodziców Chorzów")
    assert (group.kind, group.krs) == (Kind.INFORMAL_GROUP, "")


@pytest.mark.parametrize("kind", [Kind.ASSOCIATION, Kind.FOUNDATION])
def test_association_or_foundation_without_krs_yet(member, kind):
    assert register(member, kind=kind, krs="").krs == ""


def test_a_krs_number_belongs_to_one_organisation(member):
    register(member)
    refused_registration(factories.make_user("druga"), "krs", "unique", name="Inna nazwa")


def test_contact_e_mail_must_be_valid(member):
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as info:
        services.register_organisation(actor=member, name="Fundacja", kind=Kind.FOUNDATION, krs="",
                                       contact_person="Ala", email="nie-email")
    assert "email" in info.value.error_dict
    assert Organisation.objects.count() == before


# --- verification ---------------------------------------------------------------------------

def test_staff_verify_an_organisation(member, centre, staff_user):
    organisation = register(member)
    verified = services.set_organisation_status(organisation=organisation, actor=staff_user,
                                                status=Organisation.Status.VERIFIED)
    organisation.refresh_from_db()
    assert organisation.status == verified.status == Organisation.Status.VERIFIED
    assert organisation.status_changed_by == staff_user
    assert organisation.status_changed_at is not None


def test_members_cannot_verify_even_their_own_organisation(member):
    organisation = register(member)
    with pytest.raises(PermissionDenied):
        services.set_organisation_status(organisation=organisation, actor=member, status=Organisation.Status.VERIFIED)
    organisation.refresh_from_db()
    assert (organisation.status, organisation.status_changed_by) == (Organisation.Status.UNVERIFIED, None)


def test_staff_suspend_with_a_reason(organisation, centre, staff_user, member):
    with pytest.raises(RuleViolation) as info:
        services.set_organisation_status(organisation=organisation, actor=staff_user,
                                         status=Organisation.Status.SUSPENDED, reason="  ")
    assert (info.value.field, info.value.code) == ("reason", "reason_required")
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.VERIFIED
    with pytest.raises(PermissionDenied):
        services.set_organisation_status(organisation=organisation, actor=member,
                                         status=Organisation.Status.SUSPENDED, reason="Nieaktualne dane")
    services.set_organisation_status(organisation=organisation, actor=staff_user,
                                     status=Organisation.Status.SUSPENDED, reason="Nieaktualne dane")
    organisation.refresh_from_db()
    assert (organisation.status, organisation.status_reason) == (Organisation.Status.SUSPENDED, "Nieaktualne dane")


def test_unknown_status_is_refused(organisation, centre, staff_user):
    with pytest.raises(RuleViolation):
        services.set_organisation_status(organisation=organisation, actor=staff_user, status="approved")
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.VERIFIED


# --- members --------------------------------------------------------------------------------

@pytest.fixture
def coordinator(organisation):
    user = factories.make_user("koordynatorka")
    Membership.objects.create(user=user, organisation=organisation, role=Role.COORDINATOR)
    return user


def roles(organisation):
    return dict(Membership.objects.filter(organisation=organisation).values_list("user__username", "role"))


def test_coordinator_invites_and_removes_members(organisation, coordinator):
    newcomer = factories.make_user("nowy")
    membership = factories.join(organisation, newcomer, by=coordinator)
    assert roles(organisation) == {"jan": Role.MEMBER, "koordynatorka": Role.COORDINATOR, "nowy": Role.MEMBER}
    services.remove_member(membership=membership, actor=coordinator)
    assert "nowy" not in roles(organisation)


def test_coordinator_promotes_a_member(organisation, coordinator, member):
    services.set_member_role(membership=Membership.objects.get(user=member), actor=coordinator, role=Role.COORDINATOR)
    assert roles(organisation)["jan"] == Role.COORDINATOR
    assert Membership.objects.filter(organisation=organisation).count() == 2


def test_members_cannot_manage_members(organisation, coordinator, member):
    newcomer = factories.make_user("nowy")
    before = roles(organisation)
    with pytest.raises(PermissionDenied):
        services.invite_member(organisation=organisation, actor=member, email=newcomer.email)
    with pytest.raises(PermissionDenied):
        services.set_member_role(membership=Membership.objects.get(user=member), actor=member, role=Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        services.remove_member(membership=Membership.objects.get(user=coordinator), actor=member)
    assert roles(organisation) == before


def test_coordinator_of_another_organisation_cannot_manage_members(organisation, member):
    stranger = factories.make_user("obca")
    factories.make_organisation(coordinators=[stranger])
    with pytest.raises(PermissionDenied):
        services.remove_member(membership=Membership.objects.get(user=member, organisation=organisation),
                               actor=stranger)
    assert "jan" in roles(organisation)


def test_the_last_coordinator_stays(organisation, coordinator, member):
    own = Membership.objects.get(user=coordinator, organisation=organisation)
    with pytest.raises(RuleViolation) as info:
        services.remove_member(membership=own, actor=coordinator)
    assert info.value.code == "last_coordinator"
    with pytest.raises(RuleViolation):
        services.set_member_role(membership=own, actor=coordinator, role=Role.MEMBER)
    assert roles(organisation)["koordynatorka"] == Role.COORDINATOR
    # With a second coordinator the first may step down.
    services.set_member_role(membership=Membership.objects.get(user=member), actor=coordinator, role=Role.COORDINATOR)
    services.set_member_role(membership=own, actor=coordinator, role=Role.MEMBER)
    assert roles(organisation) == {"jan": Role.COORDINATOR, "koordynatorka": Role.MEMBER}


def test_unknown_role_is_refused(organisation, coordinator, member):
    with pytest.raises(RuleViolation):
        services.invite_member(organisation=organisation, actor=coordinator, email="x@example.org", role="prezes")
    with pytest.raises(RuleViolation):
        services.set_member_role(membership=Membership.objects.get(user=member), actor=coordinator, role="prezes")
    assert not organisation.invitations.exists()
    assert roles(organisation)["jan"] == Role.MEMBER


def test_centre_staff_may_manage_members(organisation, centre, staff_user, coordinator):
    newcomer = factories.make_user("nowy")
    factories.join(organisation, newcomer, by=staff_user)
    assert roles(organisation)["nowy"] == Role.MEMBER
    assert "anna" not in roles(organisation)


def test_a_member_may_leave_but_not_the_last_coordinator(organisation, coordinator, member):
    services.remove_member(membership=Membership.objects.get(user=member, organisation=organisation), actor=member)
    assert roles(organisation) == {"koordynatorka": Role.COORDINATOR}
    with pytest.raises(RuleViolation):
        services.remove_member(membership=Membership.objects.get(user=coordinator), actor=coordinator)
    assert roles(organisation) == {"koordynatorka": Role.COORDINATOR}


# --- one answer on every front door ---------------------------------------------------------

KRS_TAKEN = {"en": "An organisation with this KRS number is already registered.",
             "pl": "Organizacja z tym numerem KRS jest już zarejestrowana."}
NEW_ORGANISATION = {"name": "Fundacja Druga", "kind": "registered", "krs": "0000012345", "contact_person": "Piotr",
                    "email": "f@example.org"}


def errors_on_the_web(user, language, field, data):
    client = Client()
    client.force_login(user)
    with translation.override(language):
        response = client.post(reverse("web:organisation_register"), data)
    assert response.status_code == 200
    return error_of(response, f"id_{field}").removeprefix("Błąd:").strip()


def errors_in_the_api(user, language, field, data):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/organisations/", data, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400, response.content
    return " ".join(response.json()["fields"][field])


def errors_in_the_admin(user, language, field, data):
    client = Client()
    client.force_login(factories.make_user("root", is_superuser=True, is_staff=True))
    with translation.override(language):
        response = client.post(reverse("admin:ngo_organisation_add"), {
            **data, "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0})
        shown = " ".join(response.context["adminform"].form.errors[field])
    assert response.status_code == 200
    assert html.escape(shown) in response.content.decode()
    return shown


FRONT_DOORS = [errors_on_the_web, errors_in_the_api, errors_in_the_admin]


@pytest.mark.parametrize("door", FRONT_DOORS)
@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_taken_krs_number_is_told_in_words_next_to_the_field(member, door, language):
    factories.make_organisation("Fundacja Pierwsza", kind=Kind.REGISTERED_NGO, krs="0000012345")

    shown = door(member, language, "krs", NEW_ORGANISATION)

    assert shown == KRS_TAKEN[language]
    assert not Organisation.objects.filter(name="Fundacja Druga").exists()


@pytest.mark.parametrize("door", FRONT_DOORS)
def test_a_description_over_2000_characters_is_refused(member, door):
    data = {**NEW_ORGANISATION, "kind": "foundation", "krs": "", "description": "Opis " * 401}  # 2005 characters

    shown = door(member, "en", "description", data)

    assert "2000 characters" in shown
    assert not Organisation.objects.filter(name="Fundacja Druga").exists()


def test_the_service_refuses_a_description_over_2000_characters(member):
    refused_registration(member, "description", "max_length", kind=Kind.FOUNDATION, krs="",
                         description="x" * 2001)
    assert register(member, kind=Kind.FOUNDATION, krs="", description="x" * 2000).description == "x" * 2000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_krs_number_taken_while_registering_is_told_in_words_not_a_server_error(member):
    """Another registration inserts the number after this one's check and commits while this one's insert waits
    on the index: the loser gets the field error. (SQLite runs writers one at a time: no such race there.)"""
    taken = threading.Event()

    def register_first():
        try:
            with transaction.atomic():
                factories.make_organisation("Fundacja Pierwsza", kind=Kind.REGISTERED_NGO, krs="0000123456")
                taken.set()
                with connection.cursor() as cursor:  # commit once the other insert waits on the unique index
                    for _attempt in range(200):
                        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        finally:
            connection.close()

    first = threading.Thread(target=register_first)
    first.start()
    assert taken.wait(timeout=10)
    with pytest.raises(ValidationError) as info:
        register(member)
    first.join(timeout=30)

    assert [error.code for error in info.value.error_dict["krs"]] == ["unique"]
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Fundacja Pierwsza"]
    assert not Membership.objects.filter(user=member).exists()
