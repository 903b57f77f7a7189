"""Consultations: free times from duty hours, appointments booked as bookings of the consultant's agenda, who reads
the topic, cancellation by either side, the "done / did not come" mark, and the usage report."""
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from booking.consultations import book_appointment, cancel_appointment, mark_appointment
from booking.duty import free_times
from booking.exceptions import BookingConflict, RuleViolation
from booking.models import Appointment, Booking, BookingEvent, BookingStatus, ConsultationService, DateOff
from booking.reports import centre_usage
from booking.services import book
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db

Kind = ConsultationService.Kind


@pytest.fixture
def it_help(centre):
    return factories.make_consultation_service(centre, Kind.IT_HELP, name="IT help")


@pytest.fixture
def legal(centre):
    return factories.make_consultation_service(centre, Kind.LEGAL, name="Legal advice", appointment_length=timedelta(
        minutes=45))


@pytest.fixture
def consultant(centre, it_help, legal):
    """On duty on Tuesdays 9-12 for both services."""
    user = factories.make_user("piotr", first_name="Piotr", last_name="Informatyk")
    return factories.make_consultant(centre, [it_help, legal], user=user)


def the_morning(day):
    return at(day, 8)


def appoint(service, organisation, start, **fields):
    fields.setdefault("topic", "Konfiguracja poczty")
    fields.setdefault("device", "Laptop")
    fields.setdefault("now", start - timedelta(days=3))
    return book_appointment(actor=organisation.members.first(), service=service, organisation=organisation,
                            start=start, **fields)


# --- free times ---------------------------------------------------------------------------------------------

def test_free_times_are_the_duty_hours_in_appointment_lengths_soonest_first(it_help, consultant, open_day):
    times = free_times(it_help, now=the_morning(open_day), day=open_day)
    assert [t.start for t in times] == [at(open_day, 9) + timedelta(minutes=30 * n) for n in range(6)]
    assert all(t.end - t.start == timedelta(minutes=30) and t.consultants == (consultant,) for t in times)
    legal_times = free_times(consultant.services.get(kind=Kind.LEGAL), now=the_morning(open_day), day=open_day)
    assert [t.start for t in legal_times] == [at(open_day, 9), at(open_day, 9, 45), at(open_day, 10, 30),
                                                at(open_day, 11, 15)]


def test_one_list_for_the_coming_weeks_and_only_up_to_the_horizon(it_help, consultant, open_day):
    now = the_morning(open_day - timedelta(days=7))
    times = free_times(it_help, now=now)
    assert times == sorted(times, key=lambda t: t.start)
    days = sorted({t.start.date() for t in times})
    assert days[0] == open_day - timedelta(days=7)
    assert all(t.start <= now + it_help.horizon for t in times)
    assert len(days) in (4, 5)  # four weeks of Tuesdays (one may be a public holiday)


def test_a_booked_time_is_no_longer_free_whichever_service_took_it(it_help, legal, consultant, organisation,
                                                                    open_day):
    appoint(legal, organisation, at(open_day, 9))  # 9:00-9:45
    starts = [t.start for t in free_times(it_help, now=the_morning(open_day), day=open_day)]
    assert at(open_day, 9) not in starts and at(open_day, 9, 30) not in starts
    assert at(open_day, 10) in starts


def test_a_date_off_hides_the_consultants_times_and_refuses_a_request(it_help, consultant, organisation, open_day):
    DateOff.objects.create(consultant=consultant, first_day=open_day, last_day=open_day, reason="Urlop")
    assert free_times(it_help, now=the_morning(open_day), day=open_day) == []
    assert free_times(it_help, now=the_morning(open_day), day=open_day + timedelta(days=7))
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, 9), consultant=consultant)
    assert refused.value.code == "not_on_duty"
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, 9))
    assert refused.value.code == "not_on_duty"


def test_duty_hours_keep_their_wall_clock_across_daylight_saving_and_skip_a_public_holiday(centre, it_help,
                                                                                           organisation):
    """Summer time begins on Sunday 28 March 2027; Monday 29 March is Easter Monday, a public holiday."""
    factories.make_consultant(centre, [it_help], duty=((0, 10, 11), (1, 10, 11)))
    now = datetime(2027, 3, 19, 12, tzinfo=UTC)
    times = [t.start for t in free_times(it_help, now=now)]
    before = [s for s in times if s.date() == date(2027, 3, 23)]
    after = [s for s in times if s.date() == date(2027, 3, 30)]
    assert before == [datetime(2027, 3, 23, 9, tzinfo=UTC), datetime(2027, 3, 23, 9, 30, tzinfo=UTC)]  # UTC+1
    assert after == [datetime(2027, 3, 30, 8, tzinfo=UTC), datetime(2027, 3, 30, 8, 30, tzinfo=UTC)]  # UTC+2
    assert datetime(2027, 3, 22, 9, tzinfo=UTC) in times  # the Monday before is an ordinary day
    assert not [s for s in times if s.date() == date(2027, 3, 29)]  # Easter Monday
    booked = appoint(it_help, organisation, at(date(2027, 3, 30), 10), now=now)
    assert booked.booking.start == datetime(2027, 3, 30, 8, tzinfo=UTC)
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(date(2027, 3, 29), 10), now=now)
    assert refused.value.code == "closed"


def test_a_closure_hides_the_times(centre, it_help, consultant, staff_user, open_day):
    from booking.services import create_closure
    create_closure(actor=staff_user, centre=centre, start=at(open_day, 0), end=at(open_day, 10), reason="Awaria")
    starts = [t.start for t in free_times(it_help, now=the_morning(open_day), day=open_day)]
    assert starts[0] == at(open_day, 10)


# --- booking --------------------------------------------------------------------------------------------------

def test_an_appointment_is_a_confirmed_booking_of_the_consultants_agenda(it_help, consultant, organisation,
                                                                          open_day, member):
    appointment = appoint(it_help, organisation, at(open_day, 9, 30))
    booking = appointment.booking
    assert (booking.resource, booking.status, booking.start, booking.end) == (
        consultant.resource, BookingStatus.CONFIRMED, at(open_day, 9, 30), at(open_day, 10))
    assert booking.title == "IT help"  # the topic never becomes the title
    assert (appointment.topic, appointment.device, appointment.consultant) == ("Konfiguracja poczty", "Laptop",
                                                                               consultant)
    assert BookingEvent.objects.filter(booking=booking, actor=member).count() == 1


def test_the_same_consultants_time_is_booked_once(it_help, consultant, organisation, open_day):
    appoint(it_help, organisation, at(open_day, 9), consultant=consultant)
    with pytest.raises(BookingConflict):
        appoint(it_help, organisation, at(open_day, 9), consultant=consultant)


def test_a_request_goes_to_any_free_consultant_and_the_third_is_refused(centre, it_help, consultant, organisation,
                                                                         open_day):
    second = factories.make_consultant(centre, [it_help])
    first = appoint(it_help, organisation, at(open_day, 9))
    again = appoint(it_help, organisation, at(open_day, 9))
    assert {first.consultant, again.consultant} == {consultant, second}
    assert free_times(it_help, now=the_morning(open_day), day=open_day)[0].start == at(open_day, 9, 30)
    with pytest.raises(BookingConflict):
        appoint(it_help, organisation, at(open_day, 9))


@pytest.mark.parametrize(("start_hour", "minute", "code"), [(12, 0, "not_on_duty"), (11, 45, "not_on_duty"),
                                                            (8, 30, "not_on_duty")])
def test_outside_the_duty_hours_is_refused(it_help, consultant, organisation, open_day, start_hour, minute, code):
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, start_hour, minute))
    assert refused.value.code == code


def test_topic_and_device_are_asked_for(it_help, consultant, organisation, open_day):
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, 9), topic="  ")
    assert (refused.value.code, refused.value.field) == ("topic_required", "topic")
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, 9), device="")
    assert (refused.value.code, refused.value.field) == ("device_required", "device")
    assert not Booking.objects.exists()


def test_beyond_the_horizon_is_refused(it_help, consultant, organisation, open_day):
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, organisation, at(open_day, 9), now=at(open_day, 9) - timedelta(days=40))
    assert refused.value.code == "too_far_ahead"


def test_an_unverified_organisation_cannot_book(it_help, consultant, centre, open_day):
    user = factories.make_user()
    pending = factories.make_organisation(members=[user], centres=[centre], status="unverified")
    with pytest.raises(RuleViolation) as refused:
        appoint(it_help, pending, at(open_day, 9))
    assert refused.value.code == "organisation_not_verified"


def test_the_agenda_is_booked_only_as_an_appointment(consultant, organisation, open_day, member, staff_user):
    """Not as a room (the resource pages, the API's bookings, a series), not even by staff overriding the rules."""
    for actor, extra in ((member, {}), (staff_user, {"override_reason": "Pilne"})):
        with pytest.raises(RuleViolation) as refused:
            book(actor=actor, resource=consultant.resource, organisation=organisation, start=at(open_day, 9),
                 end=at(open_day, 10), title="Obejście", **extra)
        assert refused.value.code == "consultation_only"


# --- cancellation, marks, e-mails -----------------------------------------------------------------------------

def test_confirmation_goes_to_member_and_consultant_with_the_event(it_help, consultant, organisation, open_day,
                                                                   mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appoint(it_help, organisation, at(open_day, 9), now=None)
    assert sorted(mail.to[0] for mail in mailoutbox) == ["jan@example.org", "piotr@example.org"]
    for mail in mailoutbox:
        calendar = [a for a in mail.attachments if "calendar" in str(a[2] if isinstance(a, tuple) else a)] \
            or mail.alternatives
        assert calendar, "the message carries the .ics"
        assert "Konfiguracja" not in mail.body  # the topic stays out of e-mails


def test_the_consultant_cancels_and_both_sides_hear(it_help, consultant, organisation, open_day, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    appointment = appoint(it_help, organisation, at(open_day, 9), now=None)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(actor=consultant.user, appointment=appointment, reason="Choroba")
    assert appointment.booking.status == BookingStatus.CANCELLED
    assert sorted(mail.to[0] for mail in mailoutbox) == ["jan@example.org", "piotr@example.org"]
    assert free_times(it_help, day=open_day)[0].start == at(open_day, 9)


def test_another_consultant_cannot_cancel(centre, it_help, consultant, organisation, open_day):
    other = factories.make_consultant(centre, [it_help])
    appointment = appoint(it_help, organisation, at(open_day, 9), consultant=consultant, now=None)
    with pytest.raises(PermissionDenied):
        cancel_appointment(actor=other.user, appointment=appointment)


def test_done_and_did_not_come_are_marked_once_started_and_counted(centre, it_help, legal, consultant, organisation,
                                                                   open_day, staff_user):
    first = appoint(it_help, organisation, at(open_day, 9))
    second = appoint(legal, organisation, at(open_day, 10, 30))
    with pytest.raises(RuleViolation) as refused:
        mark_appointment(actor=consultant.user, appointment=first, outcome="done", now=at(open_day, 8))
    assert refused.value.code == "not_started"
    with pytest.raises(PermissionDenied):
        mark_appointment(actor=organisation.members.first(), appointment=first, outcome="done", now=at(open_day, 10))
    mark_appointment(actor=consultant.user, appointment=first, outcome="done", now=at(open_day, 9, 20))
    mark_appointment(actor=staff_user, appointment=second, outcome="no_show", now=at(open_day, 11))
    assert Appointment.objects.get(pk=second.pk).outcome == "no_show"
    assert BookingEvent.objects.filter(booking=first.booking).count() == 2  # booked, marked
    report = centre_usage(centre, open_day, open_day)
    by_name = {usage.name: (usage.appointments, usage.no_shows) for usage in report.consultations}
    assert by_name == {"IT help": (1, 0), "Legal advice": (1, 1)}


def test_appointments_do_not_count_towards_the_weekly_room_quota(centre, it_help, consultant, organisation,
                                                                 open_day):
    centre.weekly_hours_per_organisation = 1
    centre.save()
    appoint(it_help, organisation, at(open_day, 9))
    appoint(it_help, organisation, at(open_day, 9, 30))
    room = factories.make_resource(centre)
    factories.make_booking(resource=room, organisation=organisation, day=open_day, hour=13, hours=1)


def test_english_words_for_the_services(it_help):
    with translation.override("en"):
        assert str(Kind.LEGAL.label) == "Legal advice"


def test_the_reminder_the_day_before_goes_to_member_and_consultant_once(it_help, consultant, organisation, open_day):
    from notifications.models import OutboxMessage
    from notifications.tasks import remind

    appoint(it_help, organisation, at(open_day, 9))
    the_day_before = at(open_day - timedelta(days=1), 12)
    assert remind(now=the_day_before) == 1
    assert remind(now=the_day_before) == 0
    reminders = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.BOOKING_REMINDER)
    assert sorted(reminders.values_list("recipient", flat=True)) == ["jan@example.org", "piotr@example.org"]
