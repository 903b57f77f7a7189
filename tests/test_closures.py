"""Closures never hide bookings silently: staff see the bookings a closure falls on, then cancel them (each
organisation is told by e-mail) or keep them (the calendar shows them inside the closure). Whole days are given as
dates; removing a closure asks first."""
import html
import re
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from booking import services
from booking.exceptions import ClosureHitsBookings
from booking.models import Booking, BookingStatus, Closure, Resource
from booking.rules import bookings_hit_by
from tests import factories
from tests.factories import WARSAW, at

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)  # Monday
TUESDAY = date(2026, 1, 13)
WEDNESDAY = date(2026, 1, 14)
THURSDAY = date(2026, 1, 15)
FRIDAY = date(2026, 1, 16)

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def page_text(response):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())).split())


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def other_organisation(db):
    member = factories.make_user("ola", first_name="Ola", last_name="Wiśniewska")
    return factories.make_organisation("Fundacja Otwarte Drzwi", members=[member])


def book(resource, organisation, start, end, title="Spotkanie", now=NOW):
    return factories.make_booking(resource=resource, organisation=organisation, start=start, end=end, title=title,
                                  now=now)


# --- the domain -------------------------------------------------------------------------------------------------

def test_the_bookings_a_closure_falls_on(centre, room, organisation, other_organisation):
    other_room = factories.make_resource(centre, name="Sala komputerowa")
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafki", units=8)
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój 4-osobowy", units=4, capacity=4)
    inside = book(room, organisation, at(WEDNESDAY, 10), at(WEDNESDAY, 12), "Walne zebranie")
    across_the_start = book(other_room, other_organisation, at(TUESDAY, 17), at(TUESDAY, 18), "Kurs")
    book(room, organisation, at(THURSDAY, 10), at(THURSDAY, 11), "Po zamknięciu")
    cancelled = book(room, other_organisation, at(WEDNESDAY, 14), at(WEDNESDAY, 15), "Odwołane")
    services.cancel_booking(booking=cancelled, actor=other_organisation.members.first(), now=NOW)
    book(locker, organisation, at(TUESDAY, 0), at(FRIDAY, 0), "Szafka na materiały")
    stay_checking_out = book(beds, organisation, at(TUESDAY, 15), at(WEDNESDAY, 10), "Nocleg")
    book(beds, other_organisation, at(THURSDAY, 15), at(FRIDAY, 10), "Nocleg po")

    hit = bookings_hit_by(centre=centre, start=at(TUESDAY, 17), end=at(THURSDAY, 0), now=NOW)

    assert hit == [stay_checking_out, across_the_start, inside]
    assert bookings_hit_by(centre=centre, resource=room, start=at(TUESDAY, 17), end=at(THURSDAY, 0),
                           now=NOW) == [inside]
    # A stay is hit only where the closure closes its check-in or check-out day: a short closure does not.
    assert bookings_hit_by(centre=centre, resource=beds, start=at(WEDNESDAY, 12), end=at(WEDNESDAY, 13),
                           now=NOW) == []


def test_a_closure_over_bookings_waits_for_staff_to_decide(staff_user, centre, room, organisation):
    booking = book(room, organisation, at(WEDNESDAY, 10), at(WEDNESDAY, 12), "Walne zebranie")

    with pytest.raises(ClosureHitsBookings) as refusal:
        services.create_closure(actor=staff_user, centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0),
                                reason="Awaria ogrzewania", now=NOW)

    assert refusal.value.bookings == [booking]
    assert (refusal.value.code, refusal.value.field) == ("closure_hits_bookings", "bookings")
    assert not Closure.objects.exists()
    # Without bookings in the way, the closure is simply made.
    closure = services.create_closure(actor=staff_user, centre=centre, start=at(THURSDAY, 0), end=at(FRIDAY, 0),
                                      reason="Inwentaryzacja", now=NOW)
    assert Closure.objects.get() == closure


def test_cancelling_tells_each_organisation_and_leaves_the_rest_of_a_series(
        staff_user, centre, room, organisation, other_organisation, mailoutbox, django_capture_on_commit_callbacks):
    single = book(room, other_organisation, at(WEDNESDAY, 14), at(WEDNESDAY, 15), "Kurs komputerowy")
    series = factories.make_series(resource=room, organisation=organisation, day=TUESDAY, hour=16, hours=2,
                                   rrule="FREQ=WEEKLY;COUNT=3", now=NOW).series
    first, second, third = series.bookings.order_by("start")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.create_closure(
            actor=staff_user, centre=centre, start=at(WEDNESDAY, 0), end=at(TUESDAY + timedelta(days=8), 0),
            reason="Awaria ogrzewania", cancel_bookings=True,
            cancellation_reason="Centrum jest zamknięte: awaria ogrzewania.",
            expected_bookings=[single.pk, second.pk], now=NOW)

    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {single.pk: "cancelled", first.pk: "pending", second.pk: "cancelled", third.pk: "pending"}
    by_recipient = {tuple(mail.to): mail for mail in mailoutbox}
    assert set(by_recipient) == {("ola@example.org",), ("jan@example.org",)}
    for mail in by_recipient.values():
        assert mail.subject.startswith("Rezerwacja anulowana")
        assert "Centrum jest zamknięte: awaria ogrzewania." in mail.body
    assert "Kurs komputerowy" in by_recipient[("ola@example.org",)].subject
    # The series' member hears of the one meeting cancelled, not of the others.
    assert "1 spotkanie" in by_recipient[("jan@example.org",)].subject


def test_kept_bookings_stay_active(staff_user, centre, room, organisation):
    booking = book(room, organisation, at(WEDNESDAY, 10), at(WEDNESDAY, 12))

    services.create_closure(actor=staff_user, centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0),
                            reason="Remont", cancel_bookings=False, expected_bookings=[booking.pk], now=NOW)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert Closure.objects.count() == 1


def test_cancelling_needs_a_reason_and_then_writes_nothing(staff_user, centre, room, organisation):
    booking = book(room, organisation, at(WEDNESDAY, 10), at(WEDNESDAY, 12))

    with pytest.raises(ClosureHitsBookings) as refusal:
        services.create_closure(actor=staff_user, centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0),
                                reason="Remont", cancel_bookings=True, cancellation_reason="  ",
                                expected_bookings=[booking.pk], now=NOW)

    assert (refusal.value.code, refusal.value.field) == ("reason_required", "cancellation_reason")
    assert refusal.value.bookings == [booking]
    assert not Closure.objects.exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_a_booking_staff_have_not_seen_is_not_decided_for_them(staff_user, centre, room, organisation):
    seen = book(room, organisation, at(WEDNESDAY, 10), at(WEDNESDAY, 12))
    unseen = book(room, organisation, at(WEDNESDAY, 14), at(WEDNESDAY, 15))

    with pytest.raises(ClosureHitsBookings) as refusal:
        services.create_closure(actor=staff_user, centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0),
                                reason="Remont", cancel_bookings=True, cancellation_reason="Remont",
                                expected_bookings=[seen.pk], now=NOW)

    assert refusal.value.bookings == [seen, unseen]
    assert refusal.value.code == "bookings_changed"
    assert not Closure.objects.exists()
    assert set(Booking.objects.values_list("status", flat=True)) == {"pending"}


def test_members_cannot_close_the_centre(member, centre):
    with pytest.raises(PermissionDenied):
        services.create_closure(actor=member, centre=centre, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0),
                                reason="Remont", cancel_bookings=False, now=NOW)
    assert not Closure.objects.exists()


# --- the pages --------------------------------------------------------------------------------------------------

def test_whole_days_are_given_as_dates_both_included(staff_client, centre, open_day):
    last = open_day + timedelta(days=2)

    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "end_date": last.isoformat(),
        "start_time": "", "end_time": "", "reason": "Przerwa świąteczna"}, follow=True)

    closure = Closure.objects.get()
    assert (closure.start, closure.end) == (at(open_day, 0), at(last + timedelta(days=1), 0))
    text = page_text(response)
    assert "Closure added: Przerwa świąteczna." in text
    with translation.override("en"):
        from booking.formatting import long_date
        assert f"{long_date(open_day)} – {long_date(last)}" in text


def test_part_of_a_day_is_given_with_both_times(staff_client, centre, open_day):
    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "end_date": open_day.isoformat(),
        "start_time": "12:00", "end_time": "", "reason": "Zebranie personelu"})

    assert re.search(r'id="id_end_time_error">.*Give both times, or leave both empty for whole days\.',
                     response.content.decode())
    assert not Closure.objects.exists()


def test_staff_see_the_bookings_then_cancel_them_with_a_reason(
        staff_client, centre, room, organisation, member, open_day, mailoutbox, django_capture_on_commit_callbacks):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Walne zebranie")
    mailoutbox.clear()
    fields = {"centre": centre.pk, "start_date": open_day.isoformat(), "end_date": open_day.isoformat(),
              "reason": "Awaria ogrzewania"}

    response = staff_client.post(en("web:closures"), fields)

    assert response.status_code == 200
    assert not Closure.objects.exists()
    text = page_text(response)
    assert "The closure falls on 1 booking: cancel it or keep it." in text
    assert "Walne zebranie, Stowarzyszenie Aktywni Seniorzy (Sala spotkań, awaiting approval)" in text
    assert f'name="seen" value="{booking.pk}"' in response.content.decode()

    response = staff_client.post(en("web:closures"), {**fields, "seen": booking.pk, "decision": "cancel",
                                                      "cancellation_reason": ""})
    assert re.search(r'id="id_cancellation_reason_error">.*Say why the bookings are cancelled\.',
                     response.content.decode())
    assert not Closure.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(en("web:closures"), {
            **fields, "seen": booking.pk, "decision": "cancel", "cancellation_reason": "Awaria ogrzewania."},
            follow=True)

    assert "1 booking is cancelled; its organisation is told by e-mail." in page_text(response)
    assert Closure.objects.count() == 1
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == ("cancelled", "Awaria ogrzewania.")
    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"] and "Awaria ogrzewania." in mail.body


def test_kept_bookings_show_in_the_week_inside_the_closure(staff_client, client, centre, room, organisation, member,
                                                          open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Walne zebranie")

    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "end_date": open_day.isoformat(),
        "reason": "Malowanie", "seen": booking.pk, "decision": "keep"}, follow=True)

    assert "1 booking is kept; the calendar shows it inside the closure." in page_text(response)
    booking.refresh_from_db()
    assert booking.status == "pending"
    client.force_login(member)
    week = page_text(client.get(en("web:resource_week", room.pk), {"date": open_day.isoformat()}))
    assert "10:00–11:00 Booked: Walne zebranie (inside the closure: Malowanie)" in week
    assert "11:00–18:00 Closed: Malowanie" in week
    centre_week = page_text(client.get(en("web:centre_week", centre.pk), {"date": open_day.isoformat()}))
    assert "Booked: Walne zebranie (inside the closure: Malowanie)" in centre_week


def test_removing_a_closure_asks_first(staff_client, centre, open_day):
    closure = Closure.objects.create(centre=centre, start=at(open_day, 0), end=at(open_day + timedelta(days=1), 0),
                                     reason="Remont")
    listing = staff_client.get(en("web:closures")).content.decode()
    assert f'href="{en("web:closure_delete", closure.pk)}"' in listing

    response = staff_client.get(en("web:closure_delete", closure.pk))

    assert response.status_code == 200
    text = page_text(response)
    assert "Remove the closure?" in text and "Remont" in text and "whole day" in text
    assert Closure.objects.count() == 1
    response = staff_client.post(en("web:closure_delete", closure.pk), follow=True)
    assert "Closure removed: Remont." in page_text(response)
    assert not Closure.objects.exists()


def test_staff_of_another_centre_cannot_see_the_removal_page(client, centre, open_day):
    other_staff = factories.make_user("obca")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[other_staff])
    closure = Closure.objects.create(centre=centre, start=at(open_day, 8), end=at(open_day, 9), reason="Remont")
    client.force_login(other_staff)
    assert client.get(en("web:closure_delete", closure.pk)).status_code == 403


@pytest.mark.parametrize("seen", ["¹", "9" * 40, "1,x"])
def test_a_garbled_list_of_seen_bookings_reads_as_none_seen(staff_client, centre, room, organisation, member,
                                                            open_day, seen):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                           title="Walne zebranie")

    response = staff_client.post(en("web:closures"), {
        "centre": centre.pk, "start_date": open_day.isoformat(), "end_date": open_day.isoformat(),
        "reason": "Malowanie", "seen": seen, "decision": "keep"})

    assert response.status_code == 200
    assert "The bookings in this time have changed since you looked: check them again." in page_text(response)
    assert not Closure.objects.exists()
