"""A member of several organisations sees them all on the booking form, with the one they booked for last chosen
and said so, instead of the first alphabetically chosen in silence."""
import html
import re

import pytest

from booking.models import Booking
from booking.selectors import last_booked_organisation
from ngo.models import Organisation
from tests import factories
from tests.test_web_pages import en

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_organisation(member):
    return factories.make_organisation("Fundacja Zielone Podwórko", members=[member])


def checked_organisation(page):
    """The organisation whose radio button is checked, by name."""
    match = re.search(r'<input type="radio" name="organisation" value="(\d+)"[^>]*checked[^>]*>', page)
    return Organisation.objects.get(pk=match.group(1)).name if match else None


def form_page(client, room):
    return html.unescape(client.get(en("web:booking_create", room.pk)).content.decode())


def test_the_organisation_booked_for_last_is_chosen_and_said_so(client, member, room, organisation,
                                                               second_organisation, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=8)
    factories.make_booking(actor=member, resource=room, organisation=second_organisation, day=open_day, hour=10)
    client.force_login(member)

    page = form_page(client, room)

    assert checked_organisation(page) == "Fundacja Zielone Podwórko"
    assert page.count('type="radio" name="organisation"') == 2  # both in sight, not hidden in a list
    assert ("The booking is made for the organisation chosen here. Chosen: Fundacja Zielone Podwórko, which you "
            "booked for last.") in page
    response = client.post(en("web:booking_create", room.pk), {
        "organisation": second_organisation.pk, "date": open_day.isoformat(), "start_time": "14:00",
        "end_time": "15:00", "title": "Sprzątanie podwórka", "attendees": 5})
    assert response.status_code == 302
    assert Booking.objects.get(title="Sprzątanie podwórka").organisation == second_organisation


def test_without_bookings_yet_the_first_is_chosen_without_a_claim(client, member, room, organisation,
                                                                  second_organisation):
    client.force_login(member)

    page = form_page(client, room)

    assert checked_organisation(page) == "Fundacja Zielone Podwórko"  # F before S
    assert "The booking is made for the organisation chosen here." in page
    assert "which you booked for last" not in page


def test_a_suspended_organisation_is_not_chosen_even_if_booked_for_last(client, member, room, organisation,
                                                                        second_organisation, open_day):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=8)
    factories.make_booking(actor=member, resource=room, organisation=second_organisation, day=open_day, hour=10)
    Organisation.objects.filter(pk=second_organisation.pk).update(status=Organisation.Status.SUSPENDED)
    client.force_login(member)

    page = form_page(client, room)

    assert checked_organisation(page) == "Stowarzyszenie Aktywni Seniorzy"
    assert "Chosen: Stowarzyszenie Aktywni Seniorzy, which you booked for last." in page


def test_only_ones_own_bookings_count(member, room, organisation, second_organisation, open_day):
    colleague = factories.make_user("ewa")
    organisation.members.add(colleague)
    factories.make_booking(actor=member, resource=room, organisation=second_organisation, day=open_day, hour=8)
    factories.make_booking(actor=colleague, resource=room, organisation=organisation, day=open_day, hour=10)

    assert last_booked_organisation(member, [organisation, second_organisation]) == second_organisation
    assert last_booked_organisation(colleague, [organisation, second_organisation]) == organisation
    assert last_booked_organisation(member, [organisation]) is None


def test_one_organisation_stays_a_plain_choice(client, member, room, organisation):
    client.force_login(member)

    page = form_page(client, room)

    assert f'<option value="{organisation.pk}" selected>' in page
    assert "chosen here" not in page
