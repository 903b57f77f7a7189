"""The correspondence register on the web: staff log a stack of letters, filter and export the register, hand
letters to a named person or send them back; members see their organisations' letters and the count in the
header. Others get 404."""
import csv
import html
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from ngo.models import Letter
from tests import factories


@pytest.fixture
def town(letters_town):
    return letters_town


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def text(response):
    return html.unescape(response.content.decode())


def stack(*rows, received_on=None, centre=None):
    """The logging form's POST: the shared fields, then one row per letter, then empty rows."""
    data = {"received_on": (received_on or timezone.localdate()).isoformat(), "letter-TOTAL_FORMS": "5",
            "letter-INITIAL_FORMS": "0", "letter-MIN_NUM_FORMS": "0", "letter-MAX_NUM_FORMS": "50"}
    if centre is not None:
        data["centre"] = centre.pk
    for index in range(5):
        row = rows[index] if index < len(rows) else {}
        data.update({f"letter-{index}-organisation": row.get("organisation", ""),
                     f"letter-{index}-sender": row.get("sender", ""),
                     f"letter-{index}-kind": row.get("kind", "ordinary"),
                     f"letter-{index}-tracking_number": row.get("tracking_number", ""),
                     f"letter-{index}-description": row.get("description", "")})
    return data


def test_staff_log_a_stack_of_letters_for_two_organisations_in_one_go(client, town, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(town.anna)
    page = text(client.get(en("web:letter_log")))
    assert '<option value="Klub Rowerowy (KRS 0000123456)">' in page  # the suggestions: name, with KRS
    assert "Chór Harmonia" not in page  # hosted by the other centre
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(en("web:letter_log"), stack(
            {"organisation": "Stowarzyszenie Aktywni Seniorzy", "sender": "ZUS"},
            {"organisation": "0000123456", "sender": "Sąd Rejonowy w Chorzowie", "kind": "official",
             "tracking_number": "00659007734500123456"},
            {"organisation": "Klub Rowerowy (KRS 0000123456)", "sender": "Urząd Miasta", "kind": "registered",
             "tracking_number": "RR 1234 5678 9PL", "description": "Decyzja"},
        ))
    assert response.status_code == 302
    letters = list(Letter.objects.order_by("pk").values_list("organisation__name", "sender", "kind",
                                                             "tracking_number", "status", "centre"))
    assert letters == [
        ("Stowarzyszenie Aktywni Seniorzy", "ZUS", "ordinary", "", "waiting", town.cas.pk),
        ("Klub Rowerowy", "Sąd Rejonowy w Chorzowie", "official", "00659007734500123456", "waiting", town.cas.pk),
        ("Klub Rowerowy", "Urząd Miasta", "registered", "RR123456789PL", "waiting", town.cas.pk),
    ]
    assert len(mailoutbox) == 3
    assert "3 letters logged" in text(client.get(response.url))


def test_one_wrong_row_logs_nothing_and_says_which(client, town):
    client.force_login(town.anna)
    response = client.post(en("web:letter_log"), stack(
        {"organisation": "Klub Rowerowy", "sender": "ZUS"},
        {"organisation": "Klub Rowerowy", "sender": "Poczta", "kind": "registered"},
        {"organisation": "Chór Harmonia", "sender": "ZUS"},
    ))
    assert response.status_code == 400
    page = text(response)
    assert "Letter 3, Organisation (name or KRS): No organisation hosted by this centre" in page
    assert not Letter.objects.exists()
    response = client.post(en("web:letter_log"), stack(
        {"organisation": "Klub Rowerowy", "sender": "ZUS"},
        {"organisation": "Klub Rowerowy", "sender": "Poczta", "kind": "registered"},
    ))
    assert response.status_code == 400
    assert "Letter 2, Tracking number: A registered letter has a tracking number." in text(response)
    assert not Letter.objects.exists()
    response = client.post(en("web:letter_log"), stack())
    assert response.status_code == 400 and "Fill in at least one letter." in text(response)
    future = timezone.localdate() + timedelta(days=1)
    response = client.post(en("web:letter_log"), stack({"organisation": "Klub Rowerowy", "sender": "ZUS"},
                                                       received_on=future))
    assert response.status_code == 400 and "The received date cannot be in the future." in text(response)
    assert not Letter.objects.exists()


def test_an_earlier_day_is_logged_at_the_centres_midday(client, town):
    client.force_login(town.anna)
    day = timezone.localdate() - timedelta(days=3)
    client.post(en("web:letter_log"), stack({"organisation": "Klub Rowerowy", "sender": "ZUS"}, received_on=day))
    received = timezone.localtime(Letter.objects.get().received_at, town.cas.tz)
    assert (received.date(), received.hour) == (day, 12)


def test_staff_mark_two_letters_collected_by_a_member(client, town):
    yesterday = timezone.now() - timedelta(days=1)
    first = factories.make_letter(organisation=town.club, centre=town.cas, sender="ZUS", received_at=yesterday)
    second = factories.make_letter(organisation=town.club, centre=town.cas, sender="Sąd", received_at=yesterday)
    third = factories.make_letter(organisation=town.seniors, centre=town.cas, sender="Bank", received_at=yesterday)
    client.force_login(town.anna)
    page = text(client.get(en("web:letter_register")))
    assert '<option value="Ewa Zielińska">' in page and '<option value="Jan Kowalski">' in page
    now = timezone.localtime()
    response = client.post(en("web:letter_collect"), {
        "letters": [first.pk, second.pk], "collected_by": "ewa zielińska", "collected_on": now.date().isoformat(),
        "collected_time": "00:00", "query": "status=waiting"})
    assert response.status_code == 302 and response.url == en("web:letter_register") + "?status=waiting"
    first.refresh_from_db()
    assert (first.status, first.collected_by, first.collected_by_name) == ("collected", town.ewa, "ewa zielińska")
    assert timezone.localtime(first.collected_at).date() == now.date()
    assert Letter.objects.get(pk=second.pk).status == "collected"
    assert Letter.objects.get(pk=third.pk).status == "waiting"
    # Someone not in the system collects the seniors' letter: the typed name is kept.
    client.post(en("web:letter_collect"), {"letters": [third.pk], "collected_by": "Maria Nowak (sąsiadka)",
                                           "collected_on": now.date().isoformat(), "collected_time": "00:00"})
    third.refresh_from_db()
    assert (third.status, third.collected_by, third.collected_by_name) == ("collected", None,
                                                                           "Maria Nowak (sąsiadka)")
    # A collected letter cannot be collected again.
    response = client.post(en("web:letter_collect"), {"letters": [third.pk], "collected_by": "X",
                                                      "collected_on": now.date().isoformat(),
                                                      "collected_time": "09:20"})
    assert response.status_code == 400


def test_collecting_needs_a_name_and_letters(client, town):
    letter = factories.make_letter(organisation=town.club, centre=town.cas)
    client.force_login(town.anna)
    today = timezone.localdate().isoformat()
    response = client.post(en("web:letter_collect"), {"letters": [letter.pk], "collected_by": " ",
                                                      "collected_on": today, "collected_time": "09:00"})
    assert response.status_code == 400
    response = client.post(en("web:letter_collect"), {"collected_by": "Ewa", "collected_on": today,
                                                      "collected_time": "09:00"})
    assert response.status_code == 400 and "Choose the letters that were collected." in text(response)
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(en("web:letter_collect"), {"letters": [letter.pk], "collected_by": "Ewa",
                                                      "collected_on": tomorrow, "collected_time": "09:00"})
    assert response.status_code == 400 and "The time cannot be in the future." in text(response)
    assert Letter.objects.get().status == "waiting"


def test_register_filters_states_and_csv(client, town, django_assert_max_num_queries):
    old = factories.make_letter(organisation=town.seniors, centre=town.cas, sender="=HYPERLINK(\"x\")",
                                received_at=timezone.now() - timedelta(days=40))
    collected = factories.make_letter(organisation=town.club, centre=town.cas, sender="Sąd")
    factories.make_letter(organisation=town.club, centre=town.cas, sender="Poczta")
    returned = factories.make_letter(organisation=town.club, centre=town.cas, sender="Bank")
    from ngo.letters import collect_letters, return_letter
    collect_letters(actor=town.anna, letters=[collected], member=town.ewa)
    return_letter(actor=town.anna, letter=returned)
    factories.make_letter(organisation=town.choir, centre=town.cps, sender="Chór Bank")
    client.force_login(town.anna)
    with django_assert_max_num_queries(14):
        page = text(client.get(en("web:letter_register")))
    assert "4 letters" in page and "Chór Bank" not in page
    assert "Ewa Zielińska" in page and "returned to sender" in page
    assert "1 letter has waited too long" in page
    page = text(client.get(en("web:letter_register") + f"?organisation={town.club.pk}&status=waiting"))
    assert "1 letter" in page and "Poczta" in page and "Bank" not in page
    page = text(client.get(en("web:letter_register") + "?status=to_return"))
    assert "1 letter" in page and "HYPERLINK" in page
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "3 letters" in text(client.get(en("web:letter_register") + f"?received_from={since}"))
    assert client.get(en("web:letter_register") + "?received_from=2026-13-01").status_code == 400
    assert client.get(en("web:letter_register") + f"?organisation={town.choir.pk}").status_code == 400
    response = client.get(en("web:letter_register") + f"?organisation={town.seniors.pk}&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["id", "centre", "organisation", "krs", "received_at", "sender"]
    assert [row[0] for row in rows[1:]] == [str(old.pk)]
    assert rows[1][5] == "'=HYPERLINK(\"x\")"  # a spreadsheet reads it as text, not as a formula


def test_staff_return_a_letter_to_its_sender(client, town):
    letter = factories.make_letter(organisation=town.club, centre=town.cas)
    client.force_login(town.anna)
    response = client.post(en("web:letter_return", letter.pk), {"query": "status=to_return"})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == "returned" and letter.returned_at is not None
    client.post(en("web:letter_return", letter.pk))
    assert Letter.objects.get().status == "returned"


def test_members_see_their_letters_and_the_count(client, town):
    factories.make_letter(organisation=town.club, centre=town.cas, sender="ZUS", kind="registered",
                          tracking_number="RR123PL")
    factories.make_letter(organisation=town.club, centre=town.cas, sender="Sąd Rejonowy")
    collected = factories.make_letter(organisation=town.club, centre=town.cas, sender="Odebrany")
    from ngo.letters import collect_letters
    collect_letters(actor=town.anna, letters=[collected], name="Ewa")
    factories.make_letter(organisation=town.seniors, centre=town.cas, sender="Cudzy nadawca")
    client.force_login(town.ewa)
    page = text(client.get(en("web:organisations")))
    assert "2 letters to collect" in page
    assert "ZUS" in page and "RR123PL" in page and "Sąd Rejonowy" in page
    assert "Odebrany" not in page and "Cudzy nadawca" not in page
    assert "To collect at Centrum Aktywizacji Społecznej" in page and "7:00" in page
    assert "2 letters to collect" in text(client.get(en("web:home")))
    client.force_login(town.ola)
    assert "to collect" not in text(client.get(en("web:home")))


def test_others_get_404_or_403(client, town):
    letter = factories.make_letter(organisation=town.club, centre=town.cas)
    client.force_login(town.piotr)  # staff of the other centre
    assert client.post(en("web:letter_return", letter.pk)).status_code == 404
    today = timezone.localdate().isoformat()
    response = client.post(en("web:letter_collect"), {"letters": [letter.pk], "collected_by": "Ewa",
                                                      "collected_on": today, "collected_time": "09:00"})
    assert response.status_code == 400  # not one of the letters that may be chosen
    assert "Urząd Skarbowy" not in text(client.get(en("web:letter_register")))
    assert Letter.objects.get().status == "waiting"
    client.force_login(town.ewa)  # a member
    assert client.get(en("web:letter_register")).status_code == 403
    assert client.get(en("web:letter_log")).status_code == 403
    assert client.post(en("web:letter_return", letter.pk)).status_code == 403
    client.logout()
    assert client.get(en("web:letter_register")).status_code == 302


def test_staff_of_two_centres_choose_where_the_stack_came(client, town):
    town.cps.staff.add(town.anna)
    client.force_login(town.anna)
    response = client.post(en("web:letter_log"), stack({"organisation": "Chór Harmonia", "sender": "ZUS"},
                                                       centre=town.cps))
    assert response.status_code == 302
    assert Letter.objects.get().centre == town.cps
