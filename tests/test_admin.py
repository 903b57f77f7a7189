"""Django admin as centre staff use it: only their centres' data, state changes through the services."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from booking import services
from booking.availability import public_holiday
from booking.models import BookingEvent, BookingStatus
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:booking_booking_changelist")


def make_staff(username, centre):
    user = factories.make_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["booking", "ngo"]))
    centre.staff.add(user)
    return user


@pytest.fixture
def other_centre():
    return factories.make_centre("Centrum Pracy Socjalnej")


@pytest.fixture
def cas_staff(centre):
    return make_staff("kasia", centre)


@pytest.fixture
def cps_staff(other_centre):
    return make_staff("piotr", other_centre)


@pytest.fixture
def bookings(room, other_centre, organisation, member, open_day):
    """One pending request in each centre."""
    cps_room = factories.make_resource(other_centre, name="Sala warsztatowa")
    ours = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                  title="Próba teatru seniorów")
    theirs = factories.make_booking(actor=member, resource=cps_room, organisation=organisation, day=open_day, hour=10,
                                    title="Kurs komputerowy")
    return ours, theirs


def run_action(client, action, bookings, reason=""):
    response = client.post(CHANGELIST, {"action": action, "_selected_action": [b.pk for b in bookings],
                                        "reason": reason, "index": 0}, follow=True, headers={"accept-language": "en"})
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)], [m.level_tag for m in response.context["messages"]]


def test_staff_see_only_their_centres_bookings(client, cas_staff, bookings):
    client.force_login(cas_staff)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Próba teatru seniorów" in response.text
    assert "Kurs komputerowy" not in response.text
    assert client.get(reverse("admin:booking_booking_change", args=[bookings[1].pk])).status_code == 302
    assert client.get(reverse("admin:booking_booking_change", args=[bookings[0].pk])).status_code == 200


def test_staff_see_only_their_centres_resources(client, cps_staff, room, other_centre):
    factories.make_resource(other_centre, name="Pokój rozmów")
    client.force_login(cps_staff)
    response = client.get(reverse("admin:booking_resource_changelist"))
    assert "Pokój rozmów" in response.text
    assert "Sala spotkań" not in response.text


def test_superuser_sees_every_centre(client, bookings):
    client.force_login(factories.make_user("admin", is_staff=True, is_superuser=True))
    response = client.get(CHANGELIST)
    assert "Próba teatru seniorów" in response.text and "Kurs komputerowy" in response.text


def test_approve_action_goes_through_the_service(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    texts, _levels = run_action(client, "approve_booking", [ours], reason="Sala przygotowana")
    assert texts == ["Zmieniono 1 rezerwację."]  # staff see the admin in Polish by default
    ours.refresh_from_db()
    assert (ours.status, ours.sequence, ours.decision_reason) == (BookingStatus.CONFIRMED, 1, "Sala przygotowana")
    event = ours.events.last()
    assert (event.actor, event.from_status, event.to_status) == (cas_staff, BookingStatus.PENDING,
                                                                  BookingStatus.CONFIRMED)


def test_reject_action_without_reason_shows_an_error_and_changes_nothing(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    events_before = BookingEvent.objects.count()
    texts, levels = run_action(client, "reject_booking", [ours])
    assert levels == ["error"]
    assert "Napisz, dlaczego prośba jest odrzucona." in texts[0]
    ours.refresh_from_db()
    assert (ours.status, ours.sequence) == (BookingStatus.PENDING, 0)
    assert BookingEvent.objects.count() == events_before


def test_reject_action_with_reason(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    run_action(client, "reject_booking", [ours], reason="Sala w remoncie")
    ours.refresh_from_db()
    assert (ours.status, ours.decision_reason) == (BookingStatus.REJECTED, "Sala w remoncie")
    assert ours.events.last().reason == "Sala w remoncie"


def test_cancel_action_needs_a_reason_from_staff(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    _texts, levels = run_action(client, "cancel_booking", [ours])
    assert levels == ["error"]
    ours.refresh_from_db()
    assert ours.status == BookingStatus.PENDING
    run_action(client, "cancel_booking", [ours], reason="Awaria ogrzewania")
    ours.refresh_from_db()
    assert (ours.status, ours.cancellation_reason) == (BookingStatus.CANCELLED, "Awaria ogrzewania")
    assert ours.events.last().actor == cas_staff


def test_invalid_transition_in_the_admin_is_an_error(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    run_action(client, "reject_booking", [ours], reason="Brak miejsc")
    _texts, levels = run_action(client, "approve_booking", [ours])
    assert levels == ["error"]
    ours.refresh_from_db()
    assert ours.status == BookingStatus.REJECTED


def test_staff_cannot_act_on_another_centres_booking(client, cps_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cps_staff)
    run_action(client, "approve_booking", [ours])
    ours.refresh_from_db()
    assert (ours.status, ours.events.count()) == (BookingStatus.PENDING, 1)


def test_a_mixed_selection_changes_what_it_may(client, cas_staff, bookings, room, organisation, member, open_day):
    ours, _theirs = bookings
    confirmed = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=12)
    services.approve_booking(booking=confirmed, actor=cas_staff)
    client.force_login(cas_staff)
    texts, levels = run_action(client, "approve_booking", [ours, confirmed])
    assert sorted(levels) == ["error", "success"]
    ours.refresh_from_db()
    assert ours.status == BookingStatus.CONFIRMED


def test_bookings_are_not_added_in_the_admin(client, cas_staff):
    client.force_login(cas_staff)
    assert client.get(reverse("admin:booking_booking_add")).status_code == 403


# --- Resource units -----------------------------------------------------------------------------

def resource_form(resource, **changes):
    """The admin change form of `resource` as staff would post it, with `changes`."""
    data = {"centre": resource.centre_id, "kind": resource.kind, "name": resource.name,
            "description": resource.description, "capacity": resource.capacity or "", "units": resource.units,
            "amenities": "[]", "booking_mode": resource.booking_mode, "requires_approval": "on",
            "min_duration": "", "max_duration": "", "slot_length": "00:30:00", "advance_window": "365 00:00:00",
            "minimum_notice": "00:00:00", "buffer": "00:00:00", "is_active": "on", "occupancy_public": "on",
            # the notional rates' inline, left empty
            "rates-TOTAL_FORMS": "0", "rates-INITIAL_FORMS": "0"}
    data.update(changes)
    return data


def post_resource(client, resource, headers=None, **changes):
    return client.post(reverse("admin:booking_resource_change", args=[resource.pk]), resource_form(resource, **changes),
                       headers=headers)


@pytest.fixture
def desks(centre, organisation, member, open_day):
    """Three hot desks, all three taken from 10:00 to 11:00 (two by one booking, one by another)."""
    desks = factories.make_resource(centre, kind="desk", name="Biurka rotacyjne", units=3)
    for quantity, hour in ((2, 9), (1, 10)):
        factories.make_booking(actor=member, resource=desks, organisation=organisation, start=at(open_day, hour),
                               end=at(open_day, 11), title="Dyżur", quantity=quantity)
    return desks


@pytest.mark.parametrize("units", [1, 2])
def test_units_cannot_be_lowered_below_what_is_booked(client, cas_staff, desks, open_day, units):
    client.force_login(cas_staff)
    before = list(desks.bookings.order_by("pk").values())
    response = post_resource(client, desks, units=units)
    assert response.status_code == 200
    with translation.override("pl"):
        day = date_format(open_day)
    assert response.context["adminform"].form.errors["units"] == [
        f"Na {day}, godz. 10:00, zarezerwowano 3 jednostki; zasób nie może mieć ich mniej."]
    desks.refresh_from_db()
    assert desks.units == 3
    assert list(desks.bookings.order_by("pk").values()) == before


def test_units_may_be_lowered_to_what_is_booked_and_past_bookings_do_not_count(
        client, cas_staff, centre, organisation, member, open_day):
    beds = factories.make_resource(centre, kind="accommodation", name="Pokój 3-osobowy", units=3)
    past_day = open_day - timedelta(weeks=3)
    while public_holiday(centre, past_day) or public_holiday(centre, past_day + timedelta(days=1)):
        past_day -= timedelta(weeks=1)
    for _bed in range(2):  # two beds taken together, a stay that is over
        factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(past_day, 15),
                               end=at(past_day + timedelta(days=1), 10), title="Nocleg",
                               now=at(past_day - timedelta(days=1), 8))
    factories.make_booking(actor=member, resource=beds, organisation=organisation, start=at(open_day, 15),
                           end=at(open_day + timedelta(days=1), 10), title="Nocleg")
    client.force_login(cas_staff)
    assert post_resource(client, beds, units=1, min_duration="", slot_length="00:30:00").status_code == 302
    beds.refresh_from_db()
    assert beds.units == 1
    upcoming = beds.bookings.get(start__gt=timezone.now())
    assert upcoming.exclusive  # the PostgreSQL exclusion constraint covers the single bed's bookings from now on


def test_the_single_unit_flag_follows_the_units(client, cas_staff, room, organisation, member, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Zebranie zarządu")
    assert booking.exclusive
    client.force_login(cas_staff)
    assert post_resource(client, room, units=2).status_code == 302
    booking.refresh_from_db()
    assert not booking.exclusive
    room.refresh_from_db()
    assert post_resource(client, room, units=1).status_code == 302
    booking.refresh_from_db()
    assert booking.exclusive


# --- Booking details ----------------------------------------------------------------------------

def booking_change(client, booking, **data):
    return client.post(reverse("admin:booking_booking_change", args=[booking.pk]),
                       {"title": booking.title, "purpose": booking.purpose, "attendees": booking.attendees,
                        **data, "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0})


def test_details_edited_in_the_admin_raise_the_sequence_and_are_audited(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    response = booking_change(client, ours, title="Próba teatru seniorów – generalna", attendees=8, public="on",
                              status="cancelled", start="2030-01-01 10:00", resource=999)
    assert response.status_code == 302
    ours.refresh_from_db()
    assert (ours.title, ours.attendees, ours.public, ours.sequence) == (
        "Próba teatru seniorów – generalna", 8, True, 1)
    assert ours.status == BookingStatus.PENDING and ours.start == bookings[0].start  # read-only here
    event = ours.events.last()
    assert (event.actor, event.from_status, event.to_status) == (cas_staff, BookingStatus.PENDING,
                                                                  BookingStatus.PENDING)
    assert event.reason == "Zmieniono: tytuł, liczba osób, tytuł jest publiczny"


def test_status_time_and_resource_are_read_only_in_the_admin(client, cas_staff, bookings):
    client.force_login(cas_staff)
    form = client.get(reverse("admin:booking_booking_change", args=[bookings[0].pk])).context["adminform"].form
    assert set(form.fields) == {"title", "purpose", "attendees", "public"}


def test_attendees_over_capacity_are_a_form_error_and_change_nothing(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    response = booking_change(client, ours, attendees=40)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["attendees"] == ["Sala spotkań mieści najwyżej 12 osób."]
    ours.refresh_from_db()
    assert (ours.attendees, ours.sequence, ours.events.count()) == (1, 0, 1)


def test_saving_unchanged_details_changes_nothing(client, cas_staff, bookings):
    ours, _theirs = bookings
    client.force_login(cas_staff)
    assert booking_change(client, ours).status_code == 302
    ours.refresh_from_db()
    assert (ours.sequence, ours.events.count()) == (0, 1)


def test_series_title_edited_in_the_admin_goes_through_the_series_service(client, cas_staff, room, organisation,
                                                                          member, open_day):
    result = factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day, hour=17,
                                   rrule="FREQ=WEEKLY;COUNT=3")
    series = result.series
    client.force_login(cas_staff)
    url = reverse("admin:booking_bookingseries_change", args=[series.pk])
    assert set(client.get(url).context["adminform"].form.fields) == {"title", "purpose"}
    response = client.post(url, {"title": "Klub seniora „Razem”", "purpose": "", "rrule": "FREQ=DAILY"})
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.title, series.rrule) == ("Klub seniora „Razem”", "FREQ=WEEKLY;COUNT=3")
    for booking in series.bookings.all():
        assert (booking.title, booking.sequence) == ("Klub seniora „Razem”", 1)
        assert booking.events.last().reason == "Zmieniono: tytuł"


@pytest.mark.parametrize("field", ["advance_window", "minimum_notice", "buffer", "slot_length", "max_duration"])
@pytest.mark.parametrize("typed, error", [
    ("999999999 00:00:00", "A duration is at most 100 years."), ("36526 00:00:00", "A duration is at most 100 years."),
    ("-1 00:00:00", "A duration cannot be negative.")])
def test_a_duration_beyond_what_the_service_keeps_is_a_form_error(client, cas_staff, room, field, typed, error):
    """999999999 days fits no database column: it was a 500 on saving (and a millennia-long advance window would
    overflow the calendar on every page of the resource)."""
    if field == "slot_length" and typed.startswith("-"):
        error = "A slot is at least one minute long."
    client.force_login(cas_staff)
    with translation.override("en"):  # the English admin, /en/admin/...
        response = post_resource(client, room, **{field: typed})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors[field] == [error]
    before = room.advance_window, room.buffer, room.slot_length
    room.refresh_from_db()
    assert (room.advance_window, room.buffer, room.slot_length) == before


def test_a_century_is_the_longest_duration_a_resource_takes(client, cas_staff, room):
    client.force_login(cas_staff)
    assert post_resource(client, room, advance_window="36525 00:00:00").status_code == 302
    room.refresh_from_db()
    assert room.advance_window == timedelta(days=36525)
    assert client.get(f"/en/resources/{room.pk}/").status_code == 200


def test_staff_add_a_consultant_with_duty_hours_and_the_agenda_is_made(client, cas_staff, centre):
    from booking.models import Consultant, ConsultationService, Resource

    it_help = factories.make_consultation_service(centre, ConsultationService.Kind.IT_HELP)
    volunteer = factories.make_user("wolontariusz", first_name="Wiktor", last_name="Nowicki")
    client.force_login(cas_staff)
    assert client.get("/admin/booking/consultationservice/").status_code == 200
    response = client.post("/admin/booking/consultant/add/", {
        "centre": centre.pk, "user": volunteer.pk, "services": [it_help.pk], "is_active": "on",
        "duty_hours-TOTAL_FORMS": "1", "duty_hours-INITIAL_FORMS": "0",
        "duty_hours-0-service": it_help.pk, "duty_hours-0-weekday": "1", "duty_hours-0-starts": "09:00",
        "duty_hours-0-ends": "12:00",
        "dates_off-TOTAL_FORMS": "0", "dates_off-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    consultant = Consultant.objects.get(user=volunteer)
    assert consultant.resource.kind == Resource.Kind.CONSULTANT and consultant.resource.name == "Wiktor Nowicki"
    assert consultant.duty_hours.get().service == it_help
    assert not volunteer.is_staff  # an outside volunteer: their login sees only their agenda
