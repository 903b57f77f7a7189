"""`/api/v1/letters/`: staff log, list, hand over and return letters of their centres; members list their
organisations' letters. Everyone else gets 404, as on the pages."""
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from api.authentication import issue_token
from ngo.models import Letter
from tests import factories

API = "/api/v1"


@pytest.fixture
def town(letters_town):
    return letters_town


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def test_staff_log_a_letter_and_the_member_lists_it(town, mailoutbox, django_capture_on_commit_callbacks):
    staff = client_for(town.anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"{API}/letters/", {"organisation": town.club.pk, "sender": "Sąd Rejonowy",
                                                  "kind": "registered", "tracking_number": "rr 123 pl",
                                                  "note": "Wezwanie"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ["centre", "organisation", "sender", "kind", "tracking_number", "note",
                                       "status"]} == {
        "centre": town.cas.pk, "organisation": town.club.pk, "sender": "Sąd Rejonowy", "kind": "registered",
        "tracking_number": "RR123PL", "note": "Wezwanie", "status": "waiting"}
    assert len(mailoutbox) == 1
    listed = client_for(town.ewa).get(f"{API}/letters/").json()
    assert [letter["sender"] for letter in listed["results"]] == ["Sąd Rejonowy"]
    assert client_for(town.jan).get(f"{API}/letters/").json()["results"] == []


def test_refusals_are_4xx(town):
    staff = client_for(town.anna)
    response = staff.post(f"{API}/letters/", {"organisation": town.club.pk, "sender": "Poczta",
                                              "kind": "registered"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "tracking_number_required"
    assert staff.post(f"{API}/letters/", {"organisation": town.club.pk, "sender": ""},
                      format="json").status_code == 400
    assert staff.post(f"{API}/letters/", {"organisation": town.club.pk, "sender": "X", "kind": "pigeon"},
                      format="json").status_code == 400
    assert staff.post(f"{API}/letters/", {"organisation": "x", "sender": "X"}, format="json").status_code == 400
    assert staff.get(f"{API}/letters/?status=lost").status_code == 400
    assert staff.get(f"{API}/letters/?status=&organisation=").status_code == 400
    assert staff.get(f"{API}/letters/?organisation=%C2%B2").status_code == 400  # a superscript two is no id
    assert staff.get(f"{API}/letters/?organisation=abc").status_code == 400
    # A member is not staff: refused.
    assert client_for(town.ewa).post(f"{API}/letters/", {"organisation": town.club.pk, "sender": "X"},
                                     format="json").status_code == 403
    assert not Letter.objects.exists()


def test_staff_collect_several_letters_by_a_member_and_return_one(town):
    first = factories.make_letter(organisation=town.club, centre=town.cas, sender="ZUS")
    second = factories.make_letter(organisation=town.club, centre=town.cas, sender="Sąd")
    third = factories.make_letter(organisation=town.club, centre=town.cas, sender="Bank")
    staff = client_for(town.anna)
    response = staff.post(f"{API}/letters/collect/", {"letters": [first.pk, second.pk], "member": town.ewa.pk},
                          format="json")
    assert response.status_code == 200, response.content
    assert [(letter["status"], letter["collected_by"], letter["collected_by_member"])
            for letter in response.json()] == [("collected", "Ewa Zielińska", town.ewa.pk)] * 2
    response = staff.post(f"{API}/letters/collect/", {"letters": [first.pk]}, format="json")
    assert response.status_code == 400  # nobody named
    response = staff.post(f"{API}/letters/collect/", {"letters": [first.pk], "name": "X"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_waiting"
    response = staff.post(f"{API}/letters/collect/", {"letters": [third.pk], "member": town.jan.pk}, format="json")
    assert response.status_code == 404  # Jan is not in the club
    response = staff.post(f"{API}/letters/{third.pk}/return/")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert staff.get(f"{API}/letters/?status=collected").json()["count"] == 2


@pytest.mark.parametrize("who", ["member of another organisation", "staff of another centre"])
def test_others_get_404_through_the_api_and_the_pages(client, town, who):
    letter = factories.make_letter(organisation=town.club, centre=town.cas)
    person = town.jan if who == "member of another organisation" else town.piotr
    api = client_for(person)
    assert api.get(f"{API}/letters/{letter.pk}/").status_code == 404
    assert api.get(f"{API}/letters/").json()["results"] == []
    assert api.post(f"{API}/letters/{letter.pk}/return/").status_code == 404
    assert api.post(f"{API}/letters/collect/", {"letters": [letter.pk], "name": "X"}, format="json").status_code \
        in {403, 404}
    if who == "staff of another centre":
        assert api.post(f"{API}/letters/collect/", {"letters": [letter.pk], "name": "X"},
                        format="json").status_code == 404
        assert api.post(f"{API}/letters/", {"organisation": town.club.pk, "sender": "X"},
                        format="json").status_code == 404
        client.force_login(person)
        with translation.override("en"):
            assert client.post(reverse("web:letter_return", args=[letter.pk])).status_code == 404
    assert Letter.objects.get().status == "waiting"


def test_the_list_takes_a_fixed_number_of_queries(town, django_assert_max_num_queries):
    for number in range(12):
        factories.make_letter(organisation=town.club if number % 2 else town.seniors, centre=town.cas,
                              sender=f"Nadawca {number}")
    staff = client_for(town.anna)
    with django_assert_max_num_queries(6):
        assert staff.get(f"{API}/letters/").json()["count"] == 12
