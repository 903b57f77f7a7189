"""Lending agreements: the admin-edited text is checked when saved; issuing renders it with the organisation's
long-term lendings and numbers it; the PDF read back by poppler; pages and API with the same permissions."""
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from booking.agreements import issue_agreement
from booking.documents import agreement_pdf
from booking.exceptions import RuleViolation
from booking.localtime import local_midnight
from booking.models import AgreementTemplate, LendingAgreement, Resource
from tests import factories
from tests.conftest import need_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def lender():
    staff = factories.make_user("anna")
    member = factories.make_user("jan")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff], short_name="CAS")
    factories.make_document_details(centre, general_rules="Szafki opróżnia się w dniu zakończenia umowy.")
    factories.make_agreement_template(centre)
    organisation = factories.make_organisation("Fundacja Złota Jesień", members=[member], centres=[centre],
                                               krs="0000123456")
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 7", requires_approval=False)
    first = timezone.localdate() + timedelta(days=3)
    factories.make_booking(resource=locker, organisation=organisation, actor=member,
                           start=local_midnight(first, centre.tz), end=local_midnight(first + timedelta(days=90),
                                                                                      centre.tz))
    return {"staff": staff, "member": member, "centre": centre, "organisation": organisation}


@pytest.mark.parametrize(("body", "complaint"), [
    ("{% if krs %}Umowa", "does not parse"),
    ("{% load static %}Umowa", "does not parse"),
    ("{% now \"Y\" %}", "Only"),
    ("{% include 'x.html' %}", "Only"),
    ("Umowa dla {{ organization }}", "Unknown placeholders: organization"),
    ("{% for x in resources %}{{ y.name }}{% endfor %}", "Unknown placeholders: y"),
])
def test_a_template_with_a_wrong_tag_or_placeholder_is_refused_when_saved(lender, body, complaint):
    template = AgreementTemplate(centre=lender["centre"], language="en", title="Lending agreement", body=body)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert complaint in " ".join(refused.value.message_dict["body"])


def test_the_admin_shows_the_refusal_next_to_the_text(lender, django_user_model):
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "root"))
    answer = admin.post("/en/admin/booking/agreementtemplate/add/", {
        "centre": lender["centre"].pk, "language": "en", "title": "Lending agreement", "body": "{{ nobody }}"})
    assert answer.status_code == 200 and "Unknown placeholders: nobody" in answer.content.decode()


def test_issuing_renders_the_lendings_and_numbers_per_centre_and_year(lender):
    first = issue_agreement(actor=lender["staff"], centre=lender["centre"], organisation=lender["organisation"])
    year = timezone.localdate().year
    assert first.reference == f"CAS/UU/1/{year}"
    assert f"nr CAS/UU/1/{year}" in first.text
    assert "Fundacja Złota Jesień (KRS 0000123456)" in first.text
    assert "- Szafka 7 (Locker)" in first.text or "- Szafka 7 (Szafka)" in first.text
    assert "Szafki opróżnia się w dniu zakończenia umowy." in first.text
    second = issue_agreement(actor=lender["staff"], centre=lender["centre"], organisation=lender["organisation"])
    assert second.number == 2 and LendingAgreement.objects.count() == 2
    with pytest.raises(PermissionDenied):
        issue_agreement(actor=lender["member"], centre=lender["centre"], organisation=lender["organisation"])
    with pytest.raises(RuleViolation) as refused:
        issue_agreement(actor=lender["staff"], centre=lender["centre"], organisation=lender["organisation"],
                        language="en")
    assert refused.value.code == "no_template"


def test_the_agreement_pdf_reads_back(lender, tmp_path):
    if not shutil.which("pdftotext"):
        need_service("pdftotext is missing (apt-get install poppler-utils)")
    agreement = issue_agreement(actor=lender["staff"], centre=lender["centre"], organisation=lender["organisation"])
    pdf = tmp_path / "agreement.pdf"
    pdf.write_bytes(agreement_pdf(agreement))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Fundacja Złota Jesień" in text and agreement.reference in text and "Szafka 7" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info


def test_pages_and_api_give_agreements_to_their_organisation_and_centre_only(lender):
    staff = Client()
    staff.force_login(lender["staff"])
    assert staff.get("/en/staff/agreements/").status_code == 200
    answer = staff.post("/en/staff/agreements/", {"centre": lender["centre"].pk,
                                                  "organisation": lender["organisation"].pk, "language": "pl"})
    assert answer.status_code == 302
    assert staff.post("/en/staff/agreements/", {"centre": lender["centre"].pk,
                                                "organisation": lender["organisation"].pk,
                                                "language": "en"}).status_code == 400
    agreement = LendingAgreement.objects.get()
    member = Client()
    member.force_login(lender["member"])
    assert agreement.reference in member.get("/en/certificates/").content.decode()
    assert member.get(f"/en/agreements/{agreement.pk}/pdf/").content.startswith(b"%PDF-")
    assert member.get("/en/staff/agreements/").status_code == 403
    [item] = member.get("/api/v1/agreements/").json()["results"]
    assert item["reference"] == agreement.reference
    assert member.get(item["pdf_url"]).content.startswith(b"%PDF-")
    stranger = Client()
    stranger.force_login(factories.make_user("obcy"))
    assert stranger.get(f"/en/agreements/{agreement.pk}/pdf/").status_code == 404
    assert stranger.get(f"/api/v1/agreements/{agreement.pk}/pdf/").status_code == 404
    assert stranger.get("/api/v1/agreements/").json()["count"] == 0
