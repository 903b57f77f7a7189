"""The accessibility statement each centre publishes (ustawa z 4 kwietnia 2019 r. o dostępności cyfrowej): linked
from every page's footer, in the statutory structure, edited per centre in the admin, in Polish and in English."""
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from booking.models import AccessibilityStatement, Centre
from tests import factories

pytestmark = pytest.mark.django_db

# The element ids of the statutory structure ("Warunki techniczne publikacji oraz struktura dokumentu
# elektronicznego deklaracji dostępności"), by which the ministry's validator reads a statement.
STATUTORY_IDS = ["a11y-wstep", "a11y-podmiot", "a11y-url", "a11y-data-publikacja", "a11y-data-aktualizacja",
                 "a11y-status", "a11y-data-sporzadzenie", "a11y-ocena", "a11y-kontakt", "a11y-osoba", "a11y-email",
                 "a11y-telefon", "a11y-procedura", "a11y-architektura"]


def text_of(response, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', response.content.decode(), re.S)
    assert match, f"no #{element_id}"
    return " ".join(match.group(1).split())


@pytest.fixture
def statement(centre):
    return factories.make_accessibility_statement(
        centre, non_accessible_pl="Pliki PDF nie mają struktury.\nMapa dojazdu nie ma opisu.",
        non_accessible_en="PDF files have no structure.\nThe map has no description.",
        entrances_pl="Wejście na poziomie chodnika.", entrances_en="The entrance is level with the pavement.",
        induction_loop_pl="Pętla indukcyjna w sekretariacie.", sign_language_pl="Tłumacz PJM online.",
    )


def test_the_statement_has_the_statutory_structure(client, centre, statement):
    response = client.get(f"/en/accessibility/{centre.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert [i for i in STATUTORY_IDS if f'id="{i}"' not in page] == []
    assert text_of(response, "a11y-podmiot") == "Miejski Ośrodek Pomocy Społecznej w Chorzowie"
    assert text_of(response, "a11y-url") == "http://testserver/en/"
    assert (text_of(response, "a11y-data-publikacja"), text_of(response, "a11y-data-aktualizacja")) == (
        "2026-01-15", "2026-11-02")
    assert "partially compliant" in text_of(response, "a11y-status")
    assert "<li>PDF files have no structure.</li>" in page and "<li>The map has no description.</li>" in page
    assert text_of(response, "a11y-data-sporzadzenie") == "2026-03-20"
    assert "self-assessment" in text_of(response, "a11y-ocena")
    assert (text_of(response, "a11y-osoba"), text_of(response, "a11y-email"), text_of(response, "a11y-telefon")) == (
        "Anna Nowak", "dostepnosc@example.org", "+48 32 000 00 10")
    assert 'href="tel:+48320000010"' in page
    assert "within 7 days" in page and "Commissioner for Human Rights" in page and "bip.brpo.gov.pl" in page
    assert "The entrance is level with the pavement." in page
    assert "assistance dog" in page


def test_english_texts_fall_back_to_polish_and_polish_pages_show_polish(client, centre, statement):
    english = client.get(f"/en/accessibility/{centre.pk}/").content.decode()
    assert "Pętla indukcyjna w sekretariacie." in english  # no English text given: the Polish one
    polish = client.get(f"/accessibility/{centre.pk}/").content.decode()
    assert "Wejście na poziomie chodnika." in polish and "<li>Pliki PDF nie mają struktury.</li>" in polish
    assert "The entrance is level with the pavement." not in polish


@pytest.mark.parametrize("compliance, words, lists", [
    ("full", "fully compliant", False), ("partial", "partially compliant", True), ("none", "is not compliant", True),
])
def test_compliance_status_in_words(client, centre, compliance, words, lists):
    factories.make_accessibility_statement(centre, compliance=compliance, exemptions_pl="Pliki sprzed 2018 r.")
    response = client.get(f"/en/accessibility/{centre.pk}/")
    assert words in text_of(response, "a11y-status")
    assert ("Pliki sprzed 2018 r." in response.text) is lists


def test_an_external_assessment_names_who_made_it(client, centre):
    factories.make_accessibility_statement(centre, assessment="external", assessed_by="Fundacja Widzialni",
                                           reviewed_on="2026-12-01")
    response = client.get(f"/en/accessibility/{centre.pk}/")
    assert text_of(response, "a11y-ocena") == ("The statement was prepared on the basis of an assessment by an "
                                               "external body: Fundacja Widzialni.")
    assert text_of(response, "a11y-data-przeglad") == "2026-12-01"


def test_a_centre_without_a_statement_says_whom_to_ask(client, centre):
    response = client.get(f"/en/accessibility/{centre.pk}/")
    assert response.status_code == 200
    assert "has not published its accessibility statement yet" in response.text
    assert "centrum@example.org" in response.text


def test_an_unknown_centre_is_not_found(client, centre):
    assert client.get("/accessibility/999999/").status_code == 404


def test_every_footer_links_to_the_statement(client, centre, statement, member):
    """The list of statements from any page; a centre's own statement from that centre's pages."""
    listing = reverse("web:accessibility_statements")
    own = reverse("web:accessibility_statement", args=[centre.pk])
    footer = re.compile(r'<footer.*</footer>', re.S)
    for url, link in [("/", listing), (f"/centres/{centre.pk}/", own), ("/accounts/login/", listing)]:
        assert f'href="{link}"' in footer.search(client.get(url).content.decode()).group(0), url
    client.force_login(member)
    assert f'href="{listing}"' in footer.search(client.get("/bookings/").content.decode()).group(0)


def test_the_list_shows_each_centre_in_constant_queries(client, centre, statement, django_assert_max_num_queries):
    factories.make_centre("Centrum Pracy Socjalnej")
    with django_assert_max_num_queries(4):  # the list, and the footer's centres with their hours
        response = client.get("/en/accessibility/")
    page = response.content.decode()
    assert "Accessibility statement: Centrum Aktywizacji Społecznej" in page
    assert "Accessibility statement: Centrum Pracy Socjalnej" in page and "Not published yet." in page
    for _ in range(3):
        factories.make_accessibility_statement(factories.make_centre())
    with django_assert_max_num_queries(4):
        assert client.get("/en/accessibility/").status_code == 200


def make_staff(username, centre):
    user = factories.make_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="booking"))
    centre.staff.add(user)
    return user


def test_staff_edit_their_centres_statement_in_the_admin(client, centre, statement):
    other = factories.make_accessibility_statement(factories.make_centre("Centrum Pracy Socjalnej"))
    client.force_login(make_staff("kasia", centre))
    changelist = client.get(reverse("admin:booking_accessibilitystatement_changelist"))
    assert centre.name in changelist.text and "Centrum Pracy Socjalnej" not in changelist.text
    assert client.get(reverse("admin:booking_accessibilitystatement_change", args=[other.pk])).status_code == 302
    change = reverse("admin:booking_accessibilitystatement_change", args=[statement.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(centre=centre.pk, compliance="full", toilets_en="The accessible toilet is on the ground floor.")
    assert client.post(change, data).status_code == 302
    page = client.get(f"/en/accessibility/{centre.pk}/").text
    assert "fully compliant" in page and "The accessible toilet is on the ground floor." in page


def test_the_demo_fills_both_chorzow_statements(client):
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
        call_command("load_demo", stdout=StringIO())
    assert AccessibilityStatement.objects.count() == 2
    for centre in Centre.objects.all():
        english = client.get(f"/en/accessibility/{centre.pk}/").text
        polish = client.get(f"/accessibility/{centre.pk}/").text
        statement = centre.accessibility_statement
        for name in ("entrances", "lifts", "toilets", "parking", "induction_loop", "sign_language"):
            assert getattr(statement, f"{name}_en") in english and getattr(statement, f"{name}_pl") in polish
