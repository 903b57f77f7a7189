"""E-mails about series: one message per recipient for each operation on a series, whatever the number of its
meetings, with one .ics holding every meeting concerned as its own event; and a bounded number of queries.

Mail goes to Django's locmem backend (`mailoutbox`); Celery runs eagerly, as in tests/test_notifications.py.
"""
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from booking.ical import booking_uid
from booking.models import Booking, BookingEvent, BookingStatus
from booking.series import Mode, approve_series, cancel_series, reject_series, update_series_details
from booking.services import approve_booking
from notifications.models import OutboxMessage
from tests import factories
from tests.factories import at
from tests.test_notifications import html_of, invitation_of, parsed

Kind = OutboxMessage.Kind
NOW = at(date(2027, 1, 4), 9)  # as if it were Monday 4 January 2027, 09:00 in Chorzów
TUESDAY = date(2027, 1, 12)
WEEKLY_SIX = "FREQ=WEEKLY;COUNT=6"  # Tuesdays 12 January - 16 February 2027


@pytest.fixture
def pending_series(member, room, organisation):
    return factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                 rrule=WEEKLY_SIX, now=NOW).series


def sent_to(mailoutbox, address):
    [mail] = [mail for mail in mailoutbox if mail.to == [address]]
    return mail


def assert_events(mail, bookings, method, status):
    """The one attached calendar holds each meeting as its own event: UID, SEQUENCE and local times."""
    part, calendar = invitation_of(mail)
    assert part.get_param("method") == method and calendar["METHOD"] == method
    assert part.get_filename() == ("cancel.ics" if method == "CANCEL" else "invite.ics")
    events = sorted(calendar.events, key=lambda event: event.start)
    assert "RRULE" not in str(calendar.to_ical())
    assert [str(event["UID"]) for event in events] == [booking_uid(booking) for booking in bookings]
    assert [event["SEQUENCE"] for event in events] == [booking.sequence for booking in bookings]
    assert {str(event["STATUS"]) for event in events} == {status}
    for event, booking in zip(events, bookings, strict=True):
        assert event["DTSTART"].params["TZID"] == "Europe/Warsaw" and str(event.start.tzinfo) == "Europe/Warsaw"
        assert (event.start, event.end) == (booking.start, booking.end)
        assert (event.start.hour, event.end.hour) == (17, 18)  # the local wall time, on both sides of a DST change
    assert [timezone["TZID"] for timezone in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]
    return events


def meetings(series):
    return list(series.bookings.order_by("start"))


# --- Creation ----------------------------------------------------------------------------------------

def test_a_series_request_writes_one_message_to_the_member_and_one_to_each_staff_member(
        member, english_staff, centre, room, organisation, mailoutbox, django_capture_on_commit_callbacks):
    polish_staff = factories.make_user("piotr", first_name="Piotr", last_name="Zieliński")
    centre.staff.add(polish_staff)
    first = date(2027, 10, 7)  # Thursdays to 25 November; 11 November is Independence Day; clocks go back 31 October

    with django_capture_on_commit_callbacks(execute=True):
        result = factories.make_series(actor=member, resource=room, organisation=organisation, day=first, hour=17,
                                       rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=8", mode=Mode.SKIP_CONFLICTS,
                                       purpose="Gry planszowe", attendees=11, now=NOW)

    assert [o.start.date() for o in result.skipped] == [date(2027, 11, 11)]
    assert len(mailoutbox) == 3
    assert sorted(OutboxMessage.objects.values_list("kind", "recipient")) == [
        (Kind.SERIES_REQUESTED, "jan@example.org"), (Kind.SERIES_TO_APPROVE, "anna@example.org"),
        (Kind.SERIES_TO_APPROVE, "piotr@example.org")]
    bookings = meetings(result.series)

    to_member = sent_to(mailoutbox, "jan@example.org")
    assert parsed(to_member)["Content-Language"] == "pl"
    assert "Klub seniora" in to_member.subject and "7 października 2027" in to_member.subject
    assert "Czwartek, 14 października 2027, 17:00–18:00" in to_member.body
    assert "Czwartek, 4 listopada 2027, 17:00–18:00" in to_member.body  # after the clocks went back
    assert "11 listopada 2027" in to_member.body and "Narodowe Święto Niepodległości" in to_member.body
    assert "Narodowe Święto Niepodległości" in html_of(to_member)
    assert to_member.reply_to == ["centrum@example.org"]
    assert_events(to_member, bookings, "REQUEST", "TENTATIVE")

    to_anna = sent_to(mailoutbox, "anna@example.org")
    assert parsed(to_anna)["Content-Language"] == "en"
    assert to_anna.subject == "New booking request to approve: Klub seniora, 7 meetings from 7 October 2027"
    assert "- Thursday, 7 October 2027, 17:00–18:00\n" in to_anna.body
    assert "- Thursday, 25 November 2027, 17:00–18:00\n" in to_anna.body
    assert to_anna.body.count("\n- Thursday") == 8  # seven meetings and the date not booked
    assert "Not booked:\n- Thursday, 11 November 2027, 17:00–18:00: " in to_anna.body
    assert "1 date could not be booked" in to_anna.body
    assert "Jan Kowalski <jan@example.org>" in to_anna.body and "Gry planszowe" in to_anna.body
    assert "Attendees: 11" in to_anna.body
    assert "/en/staff/requests/" in to_anna.body
    assert invitation_of(to_anna) == (None, None)
    html = html_of(to_anna)
    assert '<html lang="en">' in html and html.count("<li>") == 8

    to_piotr = sent_to(mailoutbox, "piotr@example.org")
    assert parsed(to_piotr)["Content-Language"] == "pl" and "7 października 2027" in to_piotr.subject
    assert "/staff/requests/" in to_piotr.body and "/en/" not in to_piotr.body


def test_a_series_without_approval_is_confirmed_in_one_message_and_bothers_no_staff(
        english_member, centre, organisation, mailoutbox, django_capture_on_commit_callbacks):
    kitchen = factories.make_resource(centre, name="Kuchnia", requires_approval=False)

    with django_capture_on_commit_callbacks(execute=True):
        result = factories.make_series(actor=english_member, resource=kitchen, organisation=organisation, day=TUESDAY,
                                       hour=17, rrule=WEEKLY_SIX, now=NOW)

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert mail.subject == "Booking confirmed: Klub seniora, 6 meetings from 12 January 2027"
    assert "The meetings of Stowarzyszenie Aktywni Seniorzy listed below are confirmed." in mail.body
    assert "could not be booked" not in mail.body
    assert OutboxMessage.objects.get().kind == Kind.SERIES_CONFIRMED
    assert_events(mail, meetings(result.series), "REQUEST", "CONFIRMED")


# --- Approval, rejection, cancellation, changes --------------------------------------------------------

def test_approving_a_series_confirms_it_in_one_message(
        pending_series, english_member, staff_user, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()
    first, *rest = meetings(pending_series)

    with django_capture_on_commit_callbacks(execute=True):
        approve_booking(booking=first, actor=staff_user)  # a single meeting: its own message, as any booking
        approve_series(series=pending_series, actor=staff_user, reason="Zapraszamy")

    single, whole = mailoutbox
    assert single.subject == "Booking confirmed: Klub seniora, 12 January 2027, 17:00"
    assert whole.to == ["jan@example.org"]
    assert whole.subject == "Booking confirmed: Klub seniora, 5 meetings from 19 January 2027"
    assert "Tuesday, 19 January 2027, 17:00–18:00" in whole.body and "12 January" not in whole.body
    assert "Zapraszamy" not in whole.body  # an approval's note is for the audit, as for single bookings
    events = assert_events(whole, meetings(pending_series)[1:], "REQUEST", "CONFIRMED")
    assert len(events) == 5 and {event["SEQUENCE"] for event in events} == {1}
    assert list(OutboxMessage.objects.order_by("pk").values_list("kind", flat=True))[-2:] == [
        Kind.BOOKING_CONFIRMED, Kind.SERIES_CONFIRMED]
    # The audit stays per meeting.
    assert BookingEvent.objects.filter(booking__series=pending_series, to_status="confirmed").count() == 6


def test_rejecting_a_series_tells_the_reason_and_cancels_every_event(
        pending_series, member, english_staff, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reject_series(series=pending_series, actor=english_staff, reason="Sala w remoncie do marca")

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"] and parsed(mail)["Content-Language"] == "pl"
    assert "Klub seniora" in mail.subject and "12 stycznia 2027" in mail.subject
    assert "Sala w remoncie do marca" in mail.body and "Sala w remoncie do marca" in html_of(mail)
    events = assert_events(mail, meetings(pending_series), "CANCEL", "CANCELLED")
    assert len(events) == 6
    assert OutboxMessage.objects.filter(kind=Kind.SERIES_REJECTED).count() == 1


def test_cancelling_a_whole_series_is_one_message(
        pending_series, english_member, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_series(series=pending_series, actor=english_member, now=NOW)

    [mail] = mailoutbox
    assert mail.subject == "Booking cancelled: Klub seniora, 6 meetings from 12 January 2027"
    assert "have been cancelled" in mail.body and "earlier ones" not in mail.body
    assert len(assert_events(mail, meetings(pending_series), "CANCEL", "CANCELLED")) == 6


def test_cancelling_from_a_date_on_names_that_date_and_only_those_meetings(
        pending_series, english_member, staff_user, mailoutbox, django_capture_on_commit_callbacks):
    approve_series(series=pending_series, actor=staff_user)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_series(series=pending_series, actor=staff_user, reason="Awaria ogrzewania", from_date=date(2027, 2, 1),
                      now=NOW)

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert mail.subject == "Booking cancelled: Klub seniora, 3 meetings from 2 February 2027"
    assert "Only the meetings from Tuesday, 2 February 2027 on are cancelled" in mail.body
    assert "Reason: Awaria ogrzewania" in mail.body
    assert "26 January" not in mail.body
    cancelled = [b for b in meetings(pending_series) if b.status == BookingStatus.CANCELLED]
    events = assert_events(mail, cancelled, "CANCEL", "CANCELLED")
    assert {event["SEQUENCE"] for event in events} == {2}  # requested, approved, cancelled


def test_a_new_title_updates_the_future_events_in_one_message(
        pending_series, english_member, mailoutbox, django_capture_on_commit_callbacks):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        changed = update_series_details(series=pending_series, actor=english_member, title="Klub seniora „Razem”",
                                        now=at(date(2027, 1, 20), 12))

    assert changed == 4
    [mail] = mailoutbox
    assert mail.subject == "Booking changed: Klub seniora „Razem”, 4 meetings from 26 January 2027"
    future = meetings(pending_series)[2:]
    events = assert_events(mail, future, "REQUEST", "TENTATIVE")
    assert {str(event["SUMMARY"]) for event in events} == {"Klub seniora „Razem”"}
    assert {event["SEQUENCE"] for event in events} == {1}


# --- Query counts ------------------------------------------------------------------------------------

def _fill(resource, organisation, count):
    """`count` confirmed bookings of `resource` every weekday morning from 5 January 2027, none in the way."""
    bookings, day = [], date(2027, 1, 5)
    while len(bookings) < count:
        if day.weekday() < 4:
            bookings += [Booking(resource=resource, organisation=organisation, title="Zajęcia", start=at(day, hour),
                                 end=at(day, hour + 1), status=BookingStatus.CONFIRMED, exclusive=True)
                         for hour in (8, 10, 12, 14)]
        day += timedelta(days=1)
    Booking.objects.bulk_create(bookings[:count])


YEAR_OF_TUESDAYS = "FREQ=WEEKLY;BYDAY=TU;COUNT=52"  # 5 January to 28 December 2027


def test_a_year_of_weekly_meetings_with_its_e_mails_takes_a_bounded_number_of_queries(
        member, staff_user, centre, organisation, mailoutbox, django_assert_max_num_queries,
        django_capture_on_commit_callbacks):
    centre.staff.add(factories.make_user("piotr"))
    other = factories.make_organisation("Fundacja Sąsiedzi")
    quiet = factories.make_resource(centre, name="Sala cicha")
    busy = factories.make_resource(centre, name="Sala oblegana")
    _fill(busy, other, 800)
    first = date(2027, 1, 5)
    counts = []
    for resource in (quiet, busy):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            result = factories.make_series(actor=member, resource=resource, organisation=organisation, day=first,
                                           hour=17, rrule=YEAR_OF_TUESDAYS, now=NOW)
        assert len(result.bookings) == 52
        counts.append(len(queries))
    assert counts[0] == counts[1], counts  # the same with an empty and a full calendar
    # Member + two staff per series: three messages, not 52 x 3.
    assert OutboxMessage.objects.count() == len(mailoutbox) == 6

    # Booking (16 at most) plus the e-mails: staff, one insert; then writing and sending each of the three
    # messages (savepoint, lock, its meetings, opening hours, update, release) once the transaction commits.
    mailoutbox.clear()
    with django_assert_max_num_queries(16 + 2 + 3 * 6), django_capture_on_commit_callbacks(execute=True):
        series = factories.make_series(actor=member, resource=busy, organisation=organisation, day=first, hour=16,
                                       rrule=YEAR_OF_TUESDAYS, now=NOW).series
    assert len(mailoutbox) == 3

    for operation, bound in [
        (lambda: approve_series(series=series, actor=staff_user), 15),
        # plus one once it commits: whether an organisation waits for the freed time (booking.waitlist)
        (lambda: cancel_series(series=series, actor=member, from_date=date(2027, 7, 1), now=NOW), 16),
        (lambda: update_series_details(series=series, actor=member, title="Klub seniora", purpose="Kawa",
                                       now=NOW), 15),
    ]:
        mailoutbox.clear()
        with django_assert_max_num_queries(bound), django_capture_on_commit_callbacks(execute=True):
            operation()
        [mail] = mailoutbox
        assert mail.to == ["jan@example.org"]


def test_a_series_rolled_back_sends_nothing(member, room, organisation, mailoutbox,
                                            django_capture_on_commit_callbacks):
    """The messages are written in the series' own transaction, so they go if it goes."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.make_series(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                                  rrule=WEEKLY_SIX, now=NOW)
            assert OutboxMessage.objects.count() == 2
            raise RuntimeError("the request failed after the series was booked")
    assert callbacks == [] and mailoutbox == []
    assert not OutboxMessage.objects.exists() and not Booking.objects.exists()
