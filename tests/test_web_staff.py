"""The staff pages: the approval queue, verification of organisations, closures."""
import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from booking.models import Booking, Closure
from booking.series import Mode
from ngo.models import Organisation
from tests import factories
from tests.factories import at


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("url_name", ["approval_queue", "organisation_review", "closures"])
def test_staff_pages_are_refused_to_members(client, member, organisation, url_name):
    client.force_login(member)
    response = client.get(en(f"web:{url_name}"))
    assert response.status_code == 403
    assert "This page is for the centre's staff." in html.unescape(response.content.decode())


def test_members_do_not_see_the_staff_menu_and_staff_do(client, member, staff_user, centre):
    client.force_login(member)
    assert en("web:approval_queue") not in client.get(en("web:home")).content.decode()
    client.force_login(staff_user)
    assert en("web:approval_queue") in client.get(en("web:home")).content.decode()


def test_queue_shows_pending_requests_of_own_centres_oldest_first(staff_client, member, room, organisation,
                                                                   open_day):
    first = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                   title="Pierwsza prośba")
    second = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=8,
                                    title="Druga prośba")
    confirmed = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=14,
                                       title="Już zatwierdzona")
    Booking.objects.filter(pk=confirmed.pk).update(status="confirmed")
    elsewhere = factories.make_centre("Centrum Pracy Socjalnej")
    other_room = factories.make_resource(elsewhere, name="Sala warsztatowa")
    factories.make_booking(actor=member, resource=other_room, organisation=organisation, day=open_day, hour=10,
                           title="Gdzie indziej")
    page = staff_client.get(en("web:approval_queue")).content.decode()
    assert "2 requests are waiting" in page
    assert page.index("Pierwsza prośba") < page.index("Druga prośba")
    assert "Gdzie indziej" not in page.split("<footer")[0]
    # the organisation, its verification, and its other bookings that week
    first_card = page[page.index(f'id="request-{first.pk}"'):page.index(f'id="request-{second.pk}"')]
    assert "Stowarzyszenie Aktywni Seniorzy" in first_card and "Verified" in first_card
    assert "Druga prośba (Awaiting approval)" in first_card
    assert "Już zatwierdzona (Confirmed)" in first_card


def test_approve_in_one_click(staff_client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Walne zebranie")
    response = staff_client.post(en("web:booking_approve", booking.pk), follow=True)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    page = response.content.decode()
    assert "Approved: “Walne zebranie”" in page and "Nothing to approve." in page


def test_reject_needs_a_reason_shown_next_to_it(staff_client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    response = staff_client.post(en("web:booking_reject", booking.pk), {"reason": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'<p class="error" id="reason-{booking.pk}-error">(.*?)</p>', page, re.S).group(1)
    assert "Say why the request is rejected." in error
    assert f'aria-describedby="reason-{booking.pk}-error"' in page
    booking.refresh_from_db()
    assert booking.status == "pending"
    staff_client.post(en("web:booking_reject", booking.pk), {"reason": "Sala w remoncie"})
    booking.refresh_from_db()
    assert (booking.status, booking.decision_reason) == ("rejected", "Sala w remoncie")


def test_members_cannot_approve(client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    client.force_login(member)
    assert client.post(en("web:booking_approve", booking.pk)).status_code == 403
    booking.refresh_from_db()
    assert booking.status == "pending"


@pytest.mark.parametrize("requests", [1, 20])
def test_queue_costs_the_same_queries_however_many_requests(staff_client, django_assert_max_num_queries, centre,
                                                            room, open_day, requests):
    other_room = factories.make_resource(centre, name="Sala warsztatowa")
    for number in range(requests):
        user = factories.make_user()
        organisation = factories.make_organisation(members=[user])
        day = open_day + timedelta(weeks=number % 3)
        factories.make_booking(actor=user, resource=room, organisation=organisation, day=day, hour=7 + number % 10)
        # and a weekly series of three meetings, one request however many meetings
        factories.make_series(actor=user, resource=other_room, organisation=organisation,
                              day=open_day + timedelta(days=number // 10), hour=7 + number % 10,
                              rrule="FREQ=WEEKLY;COUNT=3", title="Cykl", mode=Mode.SKIP_CONFLICTS)
    # session, user, staffed centres (page and menu), count, the page's requests, their bookings and series,
    # other bookings that week, footer
    with django_assert_max_num_queries(11):  # one more: the lendings ending this month
        page = staff_client.get(en("web:approval_queue")).content.decode()
    shown = min(2 * requests, 25)  # a single booking and a series in turn, oldest first, 25 to a page
    assert page.count('class="request series-request"') == shown // 2
    assert page.count('class="request"') == shown - shown // 2


def test_staff_verify_and_suspend_organisations(staff_client, centre, member):
    organisation = factories.make_organisation("Nowe Pomysły", members=[member],
                                               status=Organisation.Status.UNVERIFIED, centres=[centre])
    factories.make_organisation("Aaa zweryfikowana", centres=[centre])
    page = staff_client.get(en("web:organisation_review")).content.decode()
    assert page.index("Nowe Pomysły") < page.index("Aaa zweryfikowana")  # awaiting verification first
    url = en("web:organisation_set_status", organisation.pk)
    response = staff_client.post(url, {"status": "verified"}, follow=True)
    organisation.refresh_from_db()
    assert organisation.status == "verified"
    assert "Nowe Pomysły: Verified." in response.content.decode()
    response = staff_client.post(url, {"status": "suspended", "reason": ""})
    assert response.status_code == 400
    assert re.search(rf'id="status-reason-{organisation.pk}-error">.*Say why the organisation is suspended\.',
                     response.content.decode())
    staff_client.post(url, {"status": "suspended", "reason": "Brak kontaktu"})
    organisation.refresh_from_db()
    assert (organisation.status, organisation.status_reason) == ("suspended", "Brak kontaktu")


def test_staff_add_and_remove_a_closure_seen_in_the_calendar(staff_client, centre, room, open_day):
    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "resource": room.pk, "start_date": open_day.isoformat(), "start_time": "12:00",
        "end_date": open_day.isoformat(), "end_time": "18:00", "reason": "Wymiana okien"}, follow=True)
    closure = Closure.objects.get()
    assert (closure.resource, closure.start, closure.end) == (room, at(open_day, 12), at(open_day, 18))
    assert "Closure added: Wymiana okien." in response.content.decode()
    week = staff_client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()}).content.decode()
    assert "Wymiana okien" in week
    staff_client.post(en("web:closure_delete", closure.pk))
    assert not Closure.objects.exists()


def test_closure_errors_are_shown_next_to_the_fields(staff_client, centre, open_day):
    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "start_time": "12:00",
        "end_date": open_day.isoformat(), "end_time": "10:00", "reason": "Remont"})
    assert re.search(r'id="id_end_date_error">.*The end must be later than the start\.', response.content.decode(),
                     re.S)
    assert not Closure.objects.exists()


def test_staff_cannot_close_another_centre(client, centre, open_day):
    other_staff = factories.make_user("obca")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[other_staff])
    closure = Closure.objects.create(centre=centre, start=at(open_day, 8), end=at(open_day, 9), reason="Remont")
    client.force_login(other_staff)
    response = client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "start_time": "12:00",
        "end_date": open_day.isoformat(), "end_time": "14:00", "reason": "Nie moje"})
    assert "Select a valid choice" in response.content.decode()
    assert client.post(en("web:closure_delete", closure.pk)).status_code == 403
    assert Closure.objects.count() == 1


def test_staff_cancel_another_organisations_booking_with_a_reason(staff_client, member, room, organisation,
                                                                  open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    url = en("web:booking_cancel", booking.pk)
    response = staff_client.post(url, {"reason": ""})
    assert re.search(r'id="id_reason_error">.*Say why the booking is cancelled\.', response.content.decode(), re.S)
    booking.refresh_from_db()
    assert booking.status == "pending"
    response = staff_client.post(url, {"reason": "Awaria ogrzewania"})
    assert response.url == en("web:approval_queue")
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == ("cancelled", "Awaria ogrzewania")
