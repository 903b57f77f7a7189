"""Organisations and the centres that host them (DESIGN §3): the staff of one centre look after the organisations
their centres host, and no other; staff powers never make them members; only superusers decide who is staff."""
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from booking.models import BookingStatus, Hosting
from ngo import letters as ngo_letters
from ngo import services
from ngo.models import Letter, Membership, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"


class Chorzow:
    """CAS hosts "Aktywni Seniorzy" (with a booking at CAS); CPS hosts "Klub Rowerowy". Each centre has a staff
    person with the "Centre staff" permissions, and there is a superuser."""

    def __init__(self):
        self.cas_staff = make_staff("anna")
        self.cps_staff = make_staff("piotr")
        self.member = factories.make_user("jan")
        self.coordinator = factories.make_user("kasia")
        self.root = factories.make_user("root", is_superuser=True, is_staff=True)
        self.cas = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[self.cas_staff])
        self.cps = factories.make_centre("Centrum Pracy Socjalnej", staff=[self.cps_staff])
        self.room = factories.make_resource(self.cas, name="Sala szkoleniowa", requires_approval=False)
        self.seniors = factories.make_organisation("Aktywni Seniorzy", members=[self.member],
                                                   coordinators=[self.coordinator], centres=[self.cas])
        self.cyclists = factories.make_organisation("Klub Rowerowy", status=Organisation.Status.UNVERIFIED,
                                                    centres=[self.cps])
        day = factories.next_open_weekday(1, centre=self.cas)
        self.booking = factories.make_booking(actor=self.member, resource=self.room, organisation=self.seniors,
                                              day=day, title="Próba chóru seniorów")


def make_staff(username):
    user = factories.make_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["booking", "ngo"]))
    return user


@pytest.fixture
def town():
    return Chorzow()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(client, user):
    client.force_login(user)
    return client


# --- the staff of another centre -------------------------------------------------------------

def test_staff_of_another_centre_cannot_add_themselves_to_an_organisation(town):
    """The reported attack: a CPS-only staff token made itself coordinator of a CAS organisation."""
    url = f"{API}/organisations/{town.seniors.pk}/members/"

    response = api(town.cps_staff).post(url, {"username": "piotr", "role": "coordinator"}, format="json")

    assert response.status_code == 404
    assert not Membership.objects.filter(user=town.cps_staff).exists()
    with pytest.raises(PermissionDenied):
        services.remove_member(membership=Membership.objects.get(user=town.member), actor=town.cps_staff)
    assert Membership.objects.filter(user=town.member, organisation=town.seniors).exists()


def test_staff_of_another_centre_neither_read_nor_cancel_the_organisations_bookings(town):
    client = api(town.cps_staff)

    assert client.get(f"{API}/bookings/{town.booking.pk}/").status_code == 404
    assert client.post(f"{API}/bookings/{town.booking.pk}/cancel/", {"reason": "x"}, format="json").status_code \
        == 404
    assert client.get(f"{API}/organisations/{town.seniors.pk}/").status_code == 404
    town.booking.refresh_from_db()
    assert town.booking.status == BookingStatus.CONFIRMED


def test_staff_cannot_verify_an_organisation_their_centres_do_not_host(town, client):
    """Through the API, the staff page, the admin's action and the service: the status stays."""
    assert api(town.cas_staff).post(f"{API}/organisations/{town.cyclists.pk}/verify/", {}, format="json") \
        .status_code == 404
    web(client, town.cas_staff)
    assert client.post(reverse("web:organisation_set_status", args=[town.cyclists.pk]),
                       {"status": "verified"}).status_code == 404
    client.post(reverse("admin:ngo_organisation_changelist"),
                {"action": "mark_verified", "_selected_action": [town.cyclists.pk], "index": 0})
    with pytest.raises(PermissionDenied):
        services.set_organisation_status(organisation=town.cyclists, actor=town.cas_staff,
                                         status=Organisation.Status.VERIFIED)
    town.cyclists.refresh_from_db()
    assert town.cyclists.status == Organisation.Status.UNVERIFIED

    verified = api(town.cps_staff).post(f"{API}/organisations/{town.cyclists.pk}/verify/", {}, format="json")
    assert (verified.status_code, verified.json()["status"]) == (200, "verified")


def test_staff_see_only_the_organisations_their_centres_host(town, client):
    assert [o["name"] for o in api(town.cps_staff).get(f"{API}/organisations/").json()["results"]] \
        == ["Klub Rowerowy"]
    web(client, town.cps_staff)
    review = client.get(reverse("web:organisation_review")).content.decode()
    assert "Klub Rowerowy" in review and "Aktywni Seniorzy" not in review
    changelist = client.get(reverse("admin:ngo_organisation_changelist")).content.decode()
    assert "Klub Rowerowy" in changelist and "Aktywni Seniorzy" not in changelist
    assert client.get(reverse("admin:ngo_organisation_change", args=[town.seniors.pk])).status_code == 302
    assert client.get(f"{reverse('web:organisation_members', args=[town.seniors.pk])}").status_code == 404


def test_staff_of_another_centre_log_no_letters_for_the_organisation(town):
    with pytest.raises(PermissionDenied):
        ngo_letters.log_letter(organisation=town.seniors, actor=town.cps_staff, sender="ZUS")
    ngo_letters.log_letter(organisation=town.seniors, actor=town.cas_staff, sender="ZUS")
    assert list(Letter.objects.values_list("organisation__name", flat=True)) == ["Aktywni Seniorzy"]


def test_a_second_hosting_centre_shares_the_care(town):
    """A superuser lets CPS host the seniors too: then CPS staff look after them as well."""
    Hosting.objects.create(centre=town.cps, organisation=town.seniors)

    services.set_organisation_status(organisation=town.seniors, actor=town.cps_staff,
                                     status=Organisation.Status.SUSPENDED, reason="Brak kontaktu")
    town.seniors.refresh_from_db()
    assert town.seniors.status == Organisation.Status.SUSPENDED


# --- who is staff ------------------------------------------------------------------------------

def centre_form(centre, **fields):
    """The centre's change form as posted, without touching its opening hours or hostings."""
    return {"name": centre.name, "short_name": "", "street": centre.street, "postal_code": centre.postal_code,
            "city": centre.city, "email": centre.email, "phone": "", "time_zone": centre.time_zone,
            "check_in_time": "15:00", "check_out_time": "10:00", "closed_on_public_holidays": "on",
            "weekly_hours_per_organisation": "", "agreement_number_pattern": centre.agreement_number_pattern,
            "opening_hours-TOTAL_FORMS": 0, "opening_hours-INITIAL_FORMS": 0,
            "hostings-TOTAL_FORMS": 0, "hostings-INITIAL_FORMS": 0,
            "document_details-TOTAL_FORMS": 0, "document_details-INITIAL_FORMS": 0, **fields}


def test_staff_cannot_change_who_is_staff_in_the_admin(town, client):
    url = reverse("admin:booking_centre_change", args=[town.cas.pk])
    web(client, town.cas_staff)

    page = client.get(url).content.decode()
    response = client.post(url, centre_form(town.cas, staff=[town.cas_staff.pk, town.member.pk], phone="123"))

    assert 'name="staff"' not in page  # no picker of every account
    assert "jan@example.org" not in page and ">jan<" not in page
    assert response.status_code == 302  # the rest of the centre is theirs to edit
    town.cas.refresh_from_db()
    assert town.cas.phone == "123"
    assert list(town.cas.staff.all()) == [town.cas_staff]
    # So the member did not become staff, and verifies nothing.
    with pytest.raises(PermissionDenied):
        services.set_organisation_status(organisation=town.seniors, actor=town.member,
                                         status=Organisation.Status.SUSPENDED, reason="x")


def test_only_superusers_change_who_is_staff_and_which_organisations_a_centre_hosts(town, client):
    url = reverse("admin:booking_centre_change", args=[town.cas.pk])
    web(client, town.root)

    response = client.post(url, centre_form(town.cas, staff=[town.cas_staff.pk, town.coordinator.pk], **{
        "hostings-TOTAL_FORMS": 1, "hostings-0-organisation": town.cyclists.pk}))

    assert response.status_code == 302
    assert set(town.cas.staff.all()) == {town.cas_staff, town.coordinator}
    assert set(town.cyclists.centres.all()) == {town.cas, town.cps}


def test_staff_cannot_host_another_organisation_from_the_admin(town, client):
    url = reverse("admin:booking_centre_change", args=[town.cas.pk])
    web(client, town.cas_staff)

    client.post(url, centre_form(town.cas, **{"hostings-TOTAL_FORMS": 1,
                                              "hostings-0-organisation": town.cyclists.pk}))

    assert list(town.cyclists.centres.all()) == [town.cps]


def test_staff_powers_in_the_admin_never_make_a_member(town, client):
    """The organisation's page in the admin shows its members to the hosting staff, but adds none."""
    url = reverse("admin:ngo_organisation_change", args=[town.seniors.pk])
    web(client, town.cas_staff)
    seniors = town.seniors

    page = client.get(url).content.decode()
    client.post(url, {
        "name": seniors.name, "kind": seniors.kind, "krs": "", "contact_person": seniors.contact_person,
        "email": seniors.email, "phone": "", "description": "", "removed_at_0": "", "removed_at_1": "",
        "memberships-TOTAL_FORMS": 1, "memberships-INITIAL_FORMS": 0, "memberships-0-user": town.cas_staff.pk,
        "memberships-0-role": "coordinator",
    })

    assert "jan" in page and "kasia" in page
    assert not Membership.objects.filter(user=town.cas_staff).exists()
    assert client.get(reverse("admin:ngo_organisation_add")).status_code == 403


# --- registration names the home centre ----------------------------------------------------------

def test_registration_names_the_home_centre_when_there_are_several(town, client):
    web(client, town.member)
    data = {"name": "Koło Gospodyń Miejskich", "kind": "informal", "contact_person": "Jan Kowalski",
            "email": "kgm@example.org"}

    with translation.override("en"):  # the English page, /en/organisations/register/
        refused = client.post(reverse("web:organisation_register"), data)
    client.post(reverse("web:organisation_register"), {**data, "centre": town.cps.pk})

    assert "Choose the centre where the organisation registers." in refused.content.decode()
    organisation = Organisation.objects.get(name="Koło Gospodyń Miejskich")
    assert list(Hosting.objects.filter(organisation=organisation).values_list("centre", "home")) \
        == [(town.cps.pk, True)]
    assert "Koło Gospodyń Miejskich" in client.get(reverse("web:organisations")).content.decode()
    web(client, town.cps_staff)
    assert "Koło Gospodyń Miejskich" in client.get(reverse("web:organisation_review")).content.decode()
    web(client, town.cas_staff)
    assert "Koło Gospodyń Miejskich" not in client.get(reverse("web:organisation_review")).content.decode()


# --- the migration -----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_migration_hosts_existing_organisations_where_they_booked_or_everywhere():
    """Organisations from before hosting: one with bookings at CPS only is hosted there (its home); one without
    bookings is hosted by both centres, its home the first centre."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("booking", "0009_accessibility_statement")], [("booking", "0010_hosting")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Centre, Resource, Booking = (old.get_model("booking", name) for name in ("Centre", "Resource", "Booking"))
    Organisation = old.get_model("ngo", "Organisation")
    address = {"street": "ul. Powstańców 70/3", "postal_code": "41-500", "city": "Chorzów"}
    cas = Centre.objects.create(name="CAS", **address)
    cps = Centre.objects.create(name="CPS", **address)
    room = Resource.objects.create(centre=cps, kind="room", name="Sala")
    booked = Organisation.objects.create(name="Z rezerwacją", kind="informal", contact_person="X",
                                         email="x@example.org")
    Organisation.objects.create(name="Bez rezerwacji", kind="informal", contact_person="Y", email="y@example.org")
    start = datetime(2027, 1, 12, 10, tzinfo=ZoneInfo("Europe/Warsaw"))
    Booking.objects.create(resource=room, organisation=booked, start=start, end=start + timedelta(hours=1),
                           title="Spotkanie", status="confirmed")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    hostings = set(Hosting.objects.values_list("organisation__name", "centre__name", "home"))
    assert hostings == {("Z rezerwacją", "CPS", True), ("Bez rezerwacji", "CAS", True),
                        ("Bez rezerwacji", "CPS", False)}
    assert {cas.pk, cps.pk} == set(Hosting.objects.values_list("centre_id", flat=True))
