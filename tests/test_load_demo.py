"""`manage.py load_demo`: the two Chorzów centres, their resources, organisations and three logins."""
from datetime import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from booking import services
from booking.models import (
    Booking,
    Centre,
    DocumentDetails,
    Hosting,
    InKindCertificate,
    KeyHandover,
    LendingAgreement,
    OpeningHours,
    Resource,
    ResourceRate,
)
from ngo.models import AddressAgreement, Invitation, Letter, Membership, Organisation
from tests.factories import at, next_open_weekday

pytestmark = pytest.mark.django_db

MODELS = [get_user_model(), Centre, OpeningHours, Resource, Organisation, Membership, Hosting, Invitation, Letter,
          AddressAgreement]


def load_demo():
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_refuses_when_debug_is_off():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=StringIO())
    assert set(counts().values()) == {0}


def test_runs_twice_without_duplicates():
    assert "staff/staff" in load_demo()
    first = counts()
    load_demo()
    assert counts() == first
    assert first["Centre"] == 2 and first["Resource"] > 10


def test_every_organisation_has_a_home_centre_and_one_invitation_waits(client):
    load_demo()
    for organisation in Organisation.objects.all():
        assert Hosting.objects.filter(organisation=organisation, home=True).count() == 1
    assert Hosting.objects.filter(organisation__name="Klub Rodziców Chorzów").count() == 2
    [invitation] = Invitation.objects.pending()
    client.login(username="member", password="member")
    page = client.get(f"/en/organisations/{invitation.organisation_id}/members/").content.decode()
    assert "Invitations waiting for an answer" in page and "nowa.osoba@example.org" in page


@pytest.mark.parametrize("username, is_staff, is_superuser", [
    ("staff", True, False), ("member", False, False), ("admin", True, True),
])
def test_logins_work(client, username, is_staff, is_superuser):
    load_demo()
    load_demo()  # a second run keeps the passwords working
    user = get_user_model().objects.get(username=username)
    assert (user.is_staff, user.is_superuser) == (is_staff, is_superuser)
    assert client.login(username=username, password=username)
    response = client.get("/admin/")
    assert response.status_code == (200 if is_staff else 302)


def test_staff_work_in_the_admin_of_both_centres(client):
    load_demo()
    staff = get_user_model().objects.get(username="staff")
    assert set(staff.staffed_centres.values_list("short_name", flat=True)) == {"CAS", "CPS"}
    client.login(username="staff", password="staff")
    for page in ("booking/booking", "booking/resource", "booking/closure", "ngo/organisation"):
        assert client.get(f"/admin/{page}/").status_code == 200, page
    response = client.get("/admin/booking/resource/")
    assert "Sala szkoleniowa" in response.text and "Sala warsztatowa" in response.text


def test_centres_addresses_and_hours():
    load_demo()
    cas = Centre.objects.get(name="Centrum Aktywizacji Społecznej")
    cps = Centre.objects.get(name="Centrum Pracy Socjalnej")
    assert cas.address == "ul. Powstańców 70/3, 41-500 Chorzów"
    assert cps.street == "ul. Kasprowicza 2" and cps.city == "Chorzów"
    hours = {(h.weekday, h.opens, h.closes) for h in cas.opening_hours.all()}
    assert hours == {*((day, time(7), time(18)) for day in range(4)), (4, time(7), time(14))}
    assert cas.closed_on_public_holidays


def test_resources_of_every_kind():
    load_demo()
    cas = Centre.objects.get(short_name="CAS")
    kinds = set(cas.resources.values_list("kind", flat=True))
    assert {"room", "desk", "locker", "accommodation"} <= kinds
    beds = cas.resources.filter(kind="accommodation")
    assert beds.exists() and all(b.units > 1 and b.booking_mode == "nights" for b in beds)
    cps_kinds = set(Centre.objects.get(short_name="CPS").resources.values_list("kind", flat=True))
    assert {"room", "desk", "locker"} <= cps_kinds


def test_organisations_and_the_members_organisation():
    load_demo()
    assert Organisation.objects.filter(status="verified").count() >= 2
    assert Organisation.objects.filter(kind="informal", krs="").exists()
    member = get_user_model().objects.get(username="member")
    assert Organisation.objects.filter(memberships__user=member, status="verified").exists()


def test_the_member_can_book_a_room_right_away():
    load_demo()
    member = get_user_model().objects.get(username="member")
    organisation = Organisation.objects.get(memberships__user=member, memberships__role="coordinator")
    room = Resource.objects.get(name="Sala spotkań")
    day = next_open_weekday(1, centre=room.centre)
    booking = services.book(actor=member, resource=room, organisation=organisation,
                            start=at(day, 10), end=at(day, 12), title="Zebranie zarządu", attendees=8).booking
    assert booking.status == "pending"
    staff = get_user_model().objects.get(username="staff")
    assert services.approve_booking(booking=booking, actor=staff).status == "confirmed"
    assert Booking.objects.filter(resource=room, start__gt=timezone.now()).count() == 1  # the demo's are past


def test_an_open_event_is_on_the_public_agenda_once(client):
    load_demo()
    load_demo()
    [event] = Booking.objects.filter(public=True)
    assert event.status == "confirmed" and event.start > timezone.now()
    page = client.get(f"/en/centres/{event.resource.centre_id}/agenda/").content.decode()
    assert "Kulturalnik" in page and "Stowarzyszenie Aktywni Seniorzy" in page


def test_the_member_waits_for_a_taken_workshop_room(client):
    from booking.models import WaitlistEntry

    load_demo()
    load_demo()  # once, however often it runs
    entry = WaitlistEntry.objects.get()
    assert entry.organisation.name == "Klub Rodziców Chorzów" and entry.offer is None
    assert Booking.objects.filter(resource=entry.resource, start=entry.start, end=entry.end,
                                  status="confirmed").exists()
    client.login(username="member", password="member")
    page = client.get("/en/bookings/").content.decode()
    assert f'id="waitlist-{entry.pk}"' in page and "Spotkanie rodziców" in page


def test_consultations_with_two_consultants_on_duty_and_an_appointment(client):
    from booking.duty import free_times
    from booking.models import Appointment, Consultant, ConsultationService

    load_demo()
    load_demo()
    assert ConsultationService.objects.count() == 3
    assert Consultant.objects.count() == 2 and all(c.duty_hours.exists() for c in Consultant.objects.all())
    [appointment] = Appointment.objects.all()
    assert appointment.service.kind == "it_help" and appointment.booking.status == "confirmed"
    assert free_times(appointment.service)
    assert client.login(username="konsultant", password="konsultant")
    assert client.get("/en/consultations/day/").status_code == 200


def test_a_certificate_is_issued_for_last_month_and_the_member_downloads_it(client):
    load_demo()
    load_demo()
    assert DocumentDetails.objects.count() == 2 and ResourceRate.objects.count() == 5
    [certificate] = InKindCertificate.objects.all()
    assert [line["resource"] for line in certificate.content["lines"]] == ["Sala spotkań", "Szafki (rząd A)"]
    assert certificate.total == 2 * 2 * 40 + 10 * 3
    client.login(username="member", password="member")
    assert client.get(f"/en/certificates/{certificate.pk}/pdf/").content.startswith(b"%PDF-")
    [agreement] = LendingAgreement.objects.all()
    assert "Stowarzyszenie Aktywni Seniorzy" in agreement.text
    assert client.get(f"/en/agreements/{agreement.pk}/pdf/").content.startswith(b"%PDF-")
    [key] = KeyHandover.objects.all()
    client.login(username="staff", password="staff")
    assert key.key in client.get("/en/staff/keys/").content.decode()


def test_the_seniors_have_an_address_agreement_and_letters(client):
    load_demo()
    [agreement] = AddressAgreement.objects.all()
    assert agreement.organisation.name == "Stowarzyszenie Aktywni Seniorzy" and agreement.number.startswith("CAS/ADR/")
    assert sorted(Letter.objects.values_list("status", flat=True)) == ["collected", "waiting", "waiting"]
    client.login(username="member", password="member")
    assert "RR123456789PL" in client.get("/en/organisations/").content.decode()
    client.login(username="staff", password="staff")
    assert client.get("/en/staff/letters/").status_code == 200
    assert client.get("/en/staff/address-agreements/").status_code == 200
