"""Address agreements: numbered by the centre's pattern, signed by staff or asked for by a coordinator and then
approved or refused (with e-mail), extended and ended; staff are warned when a letter comes for an organisation
whose agreement ended. Others get 404, on the pages and through the API."""
import html
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from api.authentication import issue_token
from booking.models import agreement_pattern_validator
from ngo import agreements
from ngo.exceptions import NotPermitted, RuleViolation
from ngo.models import AddressAgreement
from notifications.models import OutboxMessage

API = "/api/v1"


@pytest.fixture
def town(letters_town):
    letters_town.cas.short_name = "CAS"
    letters_town.cas.save(update_fields=["short_name"])
    letters_town.club.memberships.update(role="coordinator")
    return letters_town


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def text(response):
    return html.unescape(response.content.decode())


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def test_numbers_follow_the_centres_pattern_per_year(town):
    first = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                        starts_on=date(2026, 3, 1))
    second = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.seniors,
                                         starts_on=date(2026, 5, 1), ends_on=date(2027, 4, 30))
    next_year = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.seniors,
                                            starts_on=date(2027, 5, 1))
    assert [first.number, second.number, next_year.number] == ["CAS/ADR/2026/001", "CAS/ADR/2026/002",
                                                               "CAS/ADR/2027/001"]
    assert first.signed_by == town.anna and first.status == "approved"
    town.cps.agreement_number_pattern = "UMOWA-{seq}/{year}"
    town.cps.save()
    other = agreements.create_agreement(actor=town.piotr, centre=town.cps, organisation=town.choir,
                                        starts_on=date(2026, 1, 1))
    assert other.number == "UMOWA-1/2026"
    for wrong in ["{centre}/{year}", "{seq}/{name}", "{seq", "{seq:zz}"]:
        with pytest.raises(ValidationError):
            agreement_pattern_validator(wrong)
    agreement_pattern_validator("{centre}/ADR/{year}/{seq:03d}")


def test_rules(town):
    with pytest.raises(NotPermitted):
        agreements.create_agreement(actor=town.piotr, centre=town.cas, organisation=town.club,
                                    starts_on=date(2026, 1, 1))
    with pytest.raises(RuleViolation) as refusal:
        agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.choir,
                                    starts_on=date(2026, 1, 1))
    assert refusal.value.code == "not_hosted"
    with pytest.raises(RuleViolation) as refusal:
        agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                    starts_on=date(2026, 1, 1), registered_seat=False, correspondence=False)
    assert refusal.value.code == "no_use"
    with pytest.raises(RuleViolation) as refusal:
        agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                    starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1))
    assert refusal.value.code == "ends_before_start"
    with pytest.raises(NotPermitted):  # Jan is a member, not a coordinator
        agreements.request_agreement(actor=town.jan, organisation=town.seniors)
    assert not AddressAgreement.objects.exists()


def test_a_coordinator_asks_staff_approve_by_email(client, town, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(town.ewa)
    assert en("web:organisation_address", town.club.pk) in text(client.get(en("web:organisations")))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(en("web:organisation_address", town.club.pk), {
            "centre": town.cas.pk, "registered_seat": "on", "starts_on": timezone.localdate().isoformat(),
            "note": "Zmiana siedziby"})
    assert response.status_code == 302
    request = AddressAgreement.objects.get()
    assert (request.status, request.number, request.requested_by) == ("requested", "", town.ewa)
    assert (request.registered_seat, request.correspondence) == (True, False)
    assert [mail.to for mail in mailoutbox] == [["anna@example.org"]]
    assert "Klub Rowerowy prosi o udostępnienie adresu centrum" in mailoutbox[0].subject
    # Asking twice is refused while the first waits.
    response = client.post(en("web:organisation_address", town.club.pk), {
        "centre": town.cas.pk, "correspondence": "on", "starts_on": timezone.localdate().isoformat()})
    assert response.status_code == 400 and "waiting for the centre's answer" in text(response)

    client.force_login(town.anna)
    assert "Klub Rowerowy" in text(client.get(en("web:agreements")))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(en("web:agreement_approve", request.pk))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.number == f"CAS/ADR/{request.starts_on.year}/001"
    mail = mailoutbox[-1]
    assert mail.to == ["ewa@example.org"] and request.number in mail.subject and "siedziba rejestrowa" in mail.body
    client.force_login(town.ewa)
    page = text(client.get(en("web:organisations")))
    assert f"Agreement {request.number}" in page and "in force" in page


def test_staff_refuse_a_request_with_a_reason(client, town, mailoutbox, django_capture_on_commit_callbacks):
    request = agreements.request_agreement(actor=town.ewa, organisation=town.club)
    client.force_login(town.anna)
    response = client.post(en("web:agreement_refuse", request.pk), {"reason": " "})
    assert response.status_code == 400 and "Give the reason for the refusal." in text(response)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(en("web:agreement_refuse", request.pk), {"reason": "Brak miejsca na skrzynki"})
    request.refresh_from_db()
    assert request.status == "refused" and request.number == ""
    assert "Brak miejsca na skrzynki" in mailoutbox[-1].body and mailoutbox[-1].to == ["ewa@example.org"]
    assert client.post(en("web:agreement_approve", request.pk)).status_code == 400


def test_staff_sign_extend_and_end_an_agreement(client, town):
    client.force_login(town.anna)
    today = timezone.localdate()
    response = client.post(en("web:agreements"), {"centre": town.cas.pk, "organisation": town.club.pk,
                                                  "registered_seat": "on", "correspondence": "on",
                                                  "starts_on": (today - timedelta(days=10)).isoformat(),
                                                  "ends_on": (today + timedelta(days=90)).isoformat()})
    assert response.status_code == 302
    agreement = AddressAgreement.objects.get()
    assert agreement.signed_by == town.anna and agreement.number.startswith("CAS/ADR/")
    response = client.post(en("web:agreement_end", agreement.pk), {"ends_on": ""})  # extended: no end
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.ends_on is None
    response = client.post(en("web:agreement_end", agreement.pk), {"ends_on": (today - timedelta(days=3))})
    assert response.status_code == 400 and "can end today at the earliest" in text(response)
    client.post(en("web:agreement_end", agreement.pk), {"ends_on": today.isoformat()})
    agreement.refresh_from_db()
    assert agreement.ends_on == today
    response = client.post(en("web:agreements"), {"centre": town.cas.pk, "organisation": town.choir.pk,
                                                  "starts_on": today.isoformat(), "registered_seat": "on"})
    assert response.status_code == 400  # the choir is not hosted here: not even offered


def test_staff_are_warned_when_a_letter_comes_for_an_organisation_whose_agreement_ended(client, town):
    agreement = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                            starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    client.force_login(town.anna)
    data = {"received_on": timezone.localdate().isoformat(), "letter-TOTAL_FORMS": "2", "letter-INITIAL_FORMS": "0",
            "letter-0-organisation": "Klub Rowerowy", "letter-0-sender": "ZUS", "letter-0-kind": "ordinary",
            "letter-1-organisation": "Stowarzyszenie Aktywni Seniorzy", "letter-1-sender": "ZUS",
            "letter-1-kind": "ordinary"}
    response = client.post(en("web:letter_log"), data, follow=True)
    page = text(response)
    assert "The address agreement of Klub Rowerowy ended on 31 December 2025" in page
    assert "agreement of Stowarzyszenie" not in page  # never had one: nothing to warn of
    agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                starts_on=date(2026, 1, 1))
    assert "ended on" not in text(client.post(en("web:letter_log"), data, follow=True))
    assert agreement.number


def test_others_get_404_for_agreements_on_pages_and_api(client, town):
    agreement = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                            starts_on=date(2026, 1, 1))
    request = agreements.request_agreement(actor=town.ewa, organisation=town.club,
                                           starts_on=timezone.localdate() + timedelta(days=1))
    for person in [town.piotr, town.ola, town.jan]:
        client.force_login(person)
        for name in ["web:agreement_approve", "web:agreement_refuse", "web:agreement_end"]:
            assert client.post(en(name, request.pk)).status_code in {403, 404}
        assert "Klub Rowerowy" not in text(client.get(en("web:organisations")))
        assert api(person).get(f"{API}/address-agreements/{agreement.pk}/").status_code == 404
        assert api(person).get(f"{API}/address-agreements/").json()["results"] == []
        assert api(person).post(f"{API}/address-agreements/{request.pk}/approve/").status_code == 404
    client.force_login(town.piotr)  # staff of the other centre: 404, not 403
    assert client.post(en("web:agreement_approve", request.pk)).status_code == 404
    client.force_login(town.jan)  # not a member of the club
    assert client.get(en("web:organisation_address", town.club.pk)).status_code == 404
    assert AddressAgreement.objects.get(pk=request.pk).status == "requested"


def test_the_api(town, mailoutbox, django_capture_on_commit_callbacks):
    staff, ewa = api(town.anna), api(town.ewa)
    response = staff.post(f"{API}/address-agreements/", {"organisation": town.club.pk, "starts_on": "2026-01-01",
                                                         "ends_on": "2026-12-31", "correspondence": False},
                          format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["registered_seat"], body["correspondence"], body["status"]) == (
        "CAS/ADR/2026/001", True, False, "approved")
    assert ewa.get(f"{API}/address-agreements/").json()["count"] == 1
    response = ewa.post(f"{API}/address-agreements/request/", {"organisation": town.club.pk, "note": "Prosimy"},
                        format="json")
    assert response.status_code == 201 and response.json()["status"] == "requested"
    request_id = response.json()["id"]
    assert ewa.post(f"{API}/address-agreements/{request_id}/approve/").status_code == 403
    response = staff.post(f"{API}/address-agreements/{request_id}/refuse/", {"reason": ""}, format="json")
    assert response.status_code == 400
    response = staff.post(f"{API}/address-agreements/{request_id}/approve/")
    assert response.status_code == 200 and response.json()["number"].startswith("CAS/ADR/")
    response = staff.post(f"{API}/address-agreements/{body['id']}/end/", {"ends_on": None}, format="json")
    assert response.status_code == 200 and response.json()["ends_on"] is None
    assert staff.post(f"{API}/address-agreements/", {"organisation": town.choir.pk, "starts_on": "2026-01-01"},
                      format="json").status_code == 404
    assert staff.post(f"{API}/address-agreements/", {"organisation": town.club.pk, "starts_on": "2026-13-01"},
                      format="json").status_code == 400
    assert OutboxMessage.objects.filter(kind="address_agreement").exists()
