"""In-kind certificates: the figures, hand-computed; what is left out; the number; the PDF read back by poppler."""
import re
import shutil
import subprocess
import zlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from booking import services
from booking.certificates import compute_certificate, issue_certificate, reissue_certificate
from booking.documents import certificate_pdf
from booking.exceptions import RuleViolation
from booking.inwords import amount_in_words
from booking.models import InKindCertificate, Resource
from ngo.models import User
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.conftest import need_service
from tests.factories import at

pytestmark = pytest.mark.django_db

BOOKED_ON = at(date(2026, 2, 2), 9)       # when the bookings were made
ISSUED_ON = at(date(2026, 4, 10), 12)     # when the certificate for March 2026 is computed
MARCH = {"first_day": date(2026, 3, 1), "last_day": date(2026, 3, 31)}


@pytest.fixture
def march():
    """An organisation's March 2026 at a centre: a room by the hour, a locker by the day and beds by the night,
    with the room's and the beds' rates changing in the middle of the month."""
    staff = factories.make_user("anna")
    member = factories.make_user("jan")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff], short_name="CAS")
    factories.make_document_details(centre)
    organisation = factories.make_organisation("Fundacja Złota Jesień", members=[member], centres=[centre],
                                               krs="0000123456")
    room = factories.make_resource(centre, name="Sala spotkań", requires_approval=False)
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 7", requires_approval=False)
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój noclegowy", units=4,
                                   requires_approval=False)
    factories.make_rate(room, "50.00", date(2026, 1, 1))
    factories.make_rate(room, "60.00", date(2026, 3, 16))
    factories.make_rate(locker, "3.50", date(2026, 1, 1))
    factories.make_rate(beds, "45.00", date(2026, 1, 1))
    factories.make_rate(beds, "55.00", date(2026, 3, 20))

    def booking(resource, start, end, **fields):
        return factories.make_booking(resource=resource, organisation=organisation, actor=member, start=start,
                                      end=end, now=BOOKED_ON, **fields)

    # Room: 3 h at 50 (10 March), then 1.5 h and 2 h at 60 (17 and 19 March).
    booking(room, at(date(2026, 3, 10), 10), at(date(2026, 3, 10), 13), title="Warsztaty projektu Razem")
    booking(room, at(date(2026, 3, 17), 9), at(date(2026, 3, 17), 10, 30))
    booking(room, at(date(2026, 3, 19), 14), at(date(2026, 3, 19), 16))
    # Locker from 20 February to 10 March: 10 of its days are in March, at 3.50.
    booking(locker, at(date(2026, 2, 20), 0), at(date(2026, 3, 11), 0))
    # Beds: check-in 18 March, out 20 March: two nights at 45. Two beds from 30 March to 2 April: the nights of
    # 30 and 31 March are in the period, 2 beds x 2 nights at 55.
    booking(beds, at(date(2026, 3, 18), 15), at(date(2026, 3, 20), 10))
    booking(beds, at(date(2026, 3, 30), 15), at(date(2026, 4, 2), 10), quantity=2)
    return {"staff": staff, "member": member, "centre": centre, "organisation": organisation, "room": room,
            "locker": locker, "beds": beds, "book": booking}


def test_a_month_of_hours_days_and_nights_across_rate_changes(march):
    content = compute_certificate(centre=march["centre"], organisation=march["organisation"], now=ISSUED_ON, **MARCH)
    assert [(line["resource"], line["unit"], line["quantity"], line["rate"], line["value"])
            for line in content["lines"]] == [
        ("Pokój noclegowy", "night", "2", "45.00", "90.00"),
        ("Pokój noclegowy", "night", "4", "55.00", "220.00"),
        ("Sala spotkań", "hour", "3", "50.00", "150.00"),
        ("Sala spotkań", "hour", "3.5", "60.00", "210.00"),
        ("Szafka 7", "day", "10", "3.50", "35.00"),
    ]
    assert content["total"] == "705.00"
    assert content["total_in_words"] == {"pl": "siedemset pięć złotych 00/100",
                                         "en": "seven hundred and five zlotys 00/100"}
    assert content["organisation"] == {"name": "Fundacja Złota Jesień", "krs": "0000123456"}
    assert content["issuer"]["signatory_name"] == "Anna Nowak"


def test_a_project_limits_the_certificate_to_its_bookings(march):
    content = compute_certificate(centre=march["centre"], organisation=march["organisation"], now=ISSUED_ON,
                                  project="razem", **MARCH)
    assert [(line["resource"], line["value"]) for line in content["lines"]] == [("Sala spotkań", "150.00")]
    assert content["total_in_words"]["pl"] == "sto pięćdziesiąt złotych 00/100"


def test_cancelled_rejected_pending_future_and_other_organisations_bookings_are_left_out(march):
    centre, organisation, member, staff = march["centre"], march["organisation"], march["member"], march["staff"]
    room = march["room"]
    cancelled = march["book"](room, at(date(2026, 3, 11), 10), at(date(2026, 3, 11), 12))
    services.cancel_booking(booking=cancelled, actor=member, now=BOOKED_ON)
    approved_room = factories.make_resource(centre, name="Sala szkoleniowa", requires_approval=True)
    factories.make_rate(approved_room, "80.00", date(2026, 1, 1))
    rejected = march["book"](approved_room, at(date(2026, 3, 12), 10), at(date(2026, 3, 12), 12))
    services.reject_booking(booking=rejected, actor=staff, reason="Remont")
    march["book"](approved_room, at(date(2026, 3, 12), 13), at(date(2026, 3, 12), 14))  # still pending
    other = factories.make_organisation("Klub Sąsiedzki", members=[member])
    factories.make_booking(resource=room, organisation=other, actor=member, start=at(date(2026, 3, 24), 10),
                           end=at(date(2026, 3, 24), 12), now=BOOKED_ON)
    # Computed on 18 March at noon: the room on the 19th, the beds' nights not yet over and the rest of the month
    # are still to come.
    content = compute_certificate(centre=centre, organisation=organisation, now=at(date(2026, 3, 18), 12), **MARCH)
    assert [(line["resource"], line["quantity"], line["value"]) for line in content["lines"]] == [
        ("Sala spotkań", "3", "150.00"),
        ("Sala spotkań", "1.5", "90.00"),
        ("Szafka 7", "10", "35.00"),
    ]
    assert content["total"] == "275.00"
    assert content["total_in_words"]["pl"] == "dwieście siedemdziesiąt pięć złotych 00/100"


@pytest.mark.parametrize(("amount", "words"), [
    ("1200", "tysiąc dwieście złotych 00/100"),
    ("1", "jeden złoty 00/100"),
    ("2.05", "dwa złote 05/100"),
    ("12", "dwanaście złotych 00/100"),
    ("1234.56", "tysiąc dwieście trzydzieści cztery złote 56/100"),
    ("2000000.10", "dwa miliony złotych 10/100"),
])
def test_amounts_in_polish_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_numbers_run_per_centre_and_year_and_a_reissue_keeps_the_old_one(march):
    centre, organisation, staff = march["centre"], march["organisation"], march["staff"]
    first = issue_certificate(actor=staff, centre=centre, organisation=organisation, now=ISSUED_ON, **MARCH)
    assert (first.number, first.year, first.reference) == (1, 2026, "CAS/ZN/1/2026")
    # A rate set afterwards does not change what was issued; issuing again does use it, under a new number.
    factories.make_rate(march["locker"], "4.00", date(2026, 3, 1))
    again = reissue_certificate(actor=staff, certificate=first, now=ISSUED_ON)
    first.refresh_from_db()
    assert (again.number, again.replaces, first.total, again.total) == (
        2, first, Decimal("705.00"), Decimal("710.00"))
    other_centre = factories.make_centre("Centrum Pracy Socjalnej", staff=[staff])
    assert issue_certificate(actor=staff, centre=other_centre, organisation=organisation, now=ISSUED_ON,
                             **MARCH).number == 1
    assert InKindCertificate.objects.count() == 3


def test_only_the_centres_staff_issue_and_the_period_must_be_sound(march):
    centre, organisation = march["centre"], march["organisation"]
    with pytest.raises(PermissionDenied):
        issue_certificate(actor=march["member"], centre=centre, organisation=organisation, now=ISSUED_ON, **MARCH)
    with pytest.raises(RuleViolation) as refused:
        issue_certificate(actor=march["staff"], centre=centre, organisation=organisation, now=ISSUED_ON,
                          first_day=date(2026, 3, 31), last_day=date(2026, 3, 1))
    assert refused.value.code == "invalid_period"
    with pytest.raises(RuleViolation) as refused:
        issue_certificate(actor=march["staff"], centre=centre, organisation=organisation, now=ISSUED_ON,
                          first_day=date(2026, 5, 1), last_day=date(2026, 5, 31))
    assert refused.value.code == "period_not_begun"


def _poppler(tool):
    path = shutil.which(tool)
    if path is None:
        need_service(f"{tool} is missing (apt-get install poppler-utils)")
    return path


def test_the_pdf_says_it_in_polish_and_english(march, tmp_path):
    certificate = issue_certificate(actor=march["staff"], centre=march["centre"], organisation=march["organisation"],
                                    now=ISSUED_ON, **MARCH)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate_pdf(certificate))
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Fundacja Złota Jesień" in text
    assert "705,00" in text
    assert "siedemset pięć złotych 00/100" in text
    assert "CAS/ZN/1/2026" in text
    assert "Centrum Aktywizacji Społecznej" in text
    info = subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "CAS/ZN/1/2026" in info.split("Title:")[1].splitlines()[0]
    assert "A4" in info
    fonts = subprocess.run([_poppler("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "DejaVu" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "in-kind-certificate-pl")], check=True)
    assert (ARTIFACTS / "in-kind-certificate-pl.png").stat().st_size > 10_000

    english = tmp_path / "certificate-en.pdf"
    english.write_bytes(certificate_pdf(certificate, "en"))
    text = subprocess.run([_poppler("pdftotext"), str(english), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "seven hundred and five zlotys 00/100" in text
    assert "705.00" in text


# --- The pages and the API ----------------------------------------------------------------------

@pytest.fixture
def issued(march):
    return issue_certificate(actor=march["staff"], centre=march["centre"], organisation=march["organisation"],
                             now=ISSUED_ON, **MARCH)


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def test_staff_issue_a_certificate_on_their_page(march):
    staff = logged_in(march["staff"])
    page = staff.get("/en/staff/certificates/")
    assert page.status_code == 200 and "Fundacja Złota Jesień" in page.content.decode()
    answer = staff.post("/en/staff/certificates/", {
        "centre": march["centre"].pk, "organisation": march["organisation"].pk, "first_day": "2026-03-01",
        "last_day": "2026-03-31", "project": "", "language": "pl"})
    assert answer.status_code == 302
    certificate = InKindCertificate.objects.get()
    assert certificate.issued_by == march["staff"] and certificate.reference.startswith("CAS/ZN/1/")
    listing = staff.get("/en/staff/certificates/").content.decode()
    assert certificate.reference in listing
    again = staff.post(f"/en/staff/certificates/{certificate.pk}/reissue/")
    assert again.status_code == 302 and InKindCertificate.objects.count() == 2
    assert InKindCertificate.objects.get(replaces=certificate).number == 2


def test_a_wrong_period_is_shown_next_to_the_field(march):
    staff = logged_in(march["staff"])
    answer = staff.post("/en/staff/certificates/", {
        "centre": march["centre"].pk, "organisation": march["organisation"].pk, "first_day": "2026-03-31",
        "last_day": "2026-03-01", "language": "pl"})
    assert answer.status_code == 400
    assert "The last day must not be earlier than the first." in answer.content.decode()
    assert staff.post("/en/staff/certificates/", {"first_day": "yesterday"}).status_code == 400
    assert not InKindCertificate.objects.exists()


def test_members_see_and_download_their_organisations_certificates_only(march, issued):
    member = logged_in(march["member"])
    page = member.get("/en/certificates/").content.decode()
    assert issued.reference in page
    pdf = member.get(f"/en/certificates/{issued.pk}/pdf/?lang=en")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and "attachment" in pdf["Content-Disposition"]
    assert member.get("/en/staff/certificates/").status_code == 403
    assert member.post(f"/en/staff/certificates/{issued.pk}/reissue/").status_code == 403

    stranger = logged_in(factories.make_user("obcy"))
    factories.make_organisation("Inna Fundacja", members=[User.objects.get(username="obcy")])
    assert issued.reference not in stranger.get("/en/certificates/").content.decode()
    assert stranger.get(f"/en/certificates/{issued.pk}/pdf/").status_code == 404
    other_staff = factories.make_user("ewa")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[other_staff])
    assert logged_in(other_staff).get(f"/en/certificates/{issued.pk}/pdf/").status_code == 404
    assert Client().get(f"/en/certificates/{issued.pk}/pdf/").status_code == 302  # to the login page


def test_the_api_lists_and_downloads_with_the_pages_permissions(march, issued):
    member = logged_in(march["member"])
    listing = member.get("/api/v1/certificates/").json()
    assert listing["count"] == 1
    [item] = listing["results"]
    assert (item["reference"], item["total"], item["total_in_words"]) == (
        issued.reference, "705.00", "siedemset pięć złotych 00/100")
    assert [line["value"] for line in item["lines"]] == ["90.00", "220.00", "150.00", "210.00", "35.00"]
    pdf = member.get(item["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert member.get(f"{item['pdf_url']}?lang=xx").json()["code"] == "invalid"
    stranger = logged_in(factories.make_user("obcy"))
    assert stranger.get("/api/v1/certificates/").json()["count"] == 0
    refused = stranger.get(f"/api/v1/certificates/{issued.pk}/pdf/")
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"
    assert Client().get("/api/v1/certificates/").status_code in (401, 403)


@pytest.mark.parametrize("url", ["/en/certificates/", "/en/staff/certificates/", "/api/v1/certificates/"])
def test_certificate_lists_cost_the_same_queries_however_many(march, django_assert_max_num_queries, url):
    for _number in range(6):
        issue_certificate(actor=march["staff"], centre=march["centre"], organisation=march["organisation"],
                          now=ISSUED_ON, **MARCH)
    user = march["staff"] if "staff" in url else march["member"]
    browser = logged_in(user)
    with django_assert_max_num_queries(12):
        assert browser.get(url).status_code == 200


def test_every_page_carries_the_centre_and_the_number_and_the_language_is_set(march, tmp_path):
    """A long certificate (80 lines) runs over several pages: each names the centre and the number in its margin."""
    certificate = issue_certificate(actor=march["staff"], centre=march["centre"], organisation=march["organisation"],
                                    now=ISSUED_ON, **MARCH)
    certificate.content["lines"] = [{"resource": f"Biurko {n}", "kind": "desk", "unit": "hour", "from": "2026-03-02",
                                     "quantity": "1", "rate": "10.00", "value": "10.00"} for n in range(80)]
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(certificate_pdf(certificate))
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True,
                                                                text=True, check=True).stdout).group(1))
    assert pages >= 2
    for number in range(1, pages + 1):
        text = subprocess.run([_poppler("pdftotext"), "-f", str(number), "-l", str(number), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Centrum Aktywizacji Społecznej" in text and "CAS/ZN/1/2026" in text, f"page {number}"
    assert re.search(rb"/Lang\s*\(pl\)", pdf_objects(pdf.read_bytes()))


def pdf_objects(data):
    """The PDF's objects as text, its compressed object streams inflated (where WeasyPrint puts the catalogue)."""
    inflated = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(inflated)
