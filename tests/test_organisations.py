"""Organisations: registration with KRS validation, verification by staff, members managed by coordinators."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ngo import services
from ngo.models import Membership, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

Kind = Organisation.Kind
Role = Membership.Role


def register(user, kind=Kind.REGISTERED_NGO, krs="0000123456", **fields):
    fields.setdefault("name", "Stowarzyszenie Aktywni Seniorzy")
    return services.register_organisation(actor=user, kind=kind, krs=krs, contact_person="Jan Kowalski",
                                          email="kontakt@example.org", **fields)


def refused_registration(user, field, code, **fields):
    before = (Organisation.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as info:
        register(user, **fields)
    assert [error.code for error in info.value.error_dict[field]] == [code]
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
    refused_registration(factories.make_user("druga"), "krs", "krs_taken", name="Inna nazwa")


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
    with pytest.raises(ValidationError) as info:
        services.set_organisation_status(organisation=organisation, actor=staff_user,
                                         status=Organisation.Status.SUSPENDED, reason="  ")
    assert info.value.error_dict["reason"][0].code == "reason_required"
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
    with pytest.raises(ValidationError):
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


def test_coordinator_adds_and_removes_members(organisation, coordinator):
    newcomer = factories.make_user("nowy")
    membership = services.add_member(organisation=organisation, actor=coordinator, user=newcomer)
    assert roles(organisation) == {"jan": Role.MEMBER, "koordynatorka": Role.COORDINATOR, "nowy": Role.MEMBER}
    services.remove_member(membership=membership, actor=coordinator)
    assert "nowy" not in roles(organisation)


def test_coordinator_promotes_a_member(organisation, coordinator, member):
    services.add_member(organisation=organisation, actor=coordinator, user=member, role=Role.COORDINATOR)
    assert roles(organisation)["jan"] == Role.COORDINATOR
    assert Membership.objects.filter(organisation=organisation).count() == 2


def test_members_cannot_manage_members(organisation, coordinator, member):
    newcomer = factories.make_user("nowy")
    before = roles(organisation)
    with pytest.raises(PermissionDenied):
        services.add_member(organisation=organisation, actor=member, user=newcomer)
    with pytest.raises(PermissionDenied):
        services.add_member(organisation=organisation, actor=member, user=member, role=Role.COORDINATOR)
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
    with pytest.raises(ValidationError) as info:
        services.remove_member(membership=own, actor=coordinator)
    assert info.value.error_dict["user"][0].code == "last_coordinator"
    with pytest.raises(ValidationError):
        services.add_member(organisation=organisation, actor=coordinator, user=coordinator, role=Role.MEMBER)
    assert roles(organisation)["koordynatorka"] == Role.COORDINATOR
    # With a second coordinator the first may step down.
    services.add_member(organisation=organisation, actor=coordinator, user=member, role=Role.COORDINATOR)
    services.add_member(organisation=organisation, actor=coordinator, user=coordinator, role=Role.MEMBER)
    assert roles(organisation) == {"jan": Role.COORDINATOR, "koordynatorka": Role.MEMBER}


def test_unknown_role_is_refused(organisation, coordinator):
    with pytest.raises(ValidationError):
        services.add_member(organisation=organisation, actor=coordinator, user=factories.make_user("x"),
                            role="prezes")
    assert "x" not in roles(organisation)


def test_centre_staff_may_manage_members(organisation, centre, staff_user, coordinator):
    newcomer = factories.make_user("nowy")
    services.add_member(organisation=organisation, actor=staff_user, user=newcomer)
    assert roles(organisation)["nowy"] == Role.MEMBER


def test_a_member_may_leave_but_not_the_last_coordinator(organisation, coordinator, member):
    services.remove_member(membership=Membership.objects.get(user=member, organisation=organisation), actor=member)
    assert roles(organisation) == {"koordynatorka": Role.COORDINATOR}
    with pytest.raises(ValidationError):
        services.remove_member(membership=Membership.objects.get(user=coordinator), actor=coordinator)
    assert roles(organisation) == {"koordynatorka": Role.COORDINATOR}
