"""E-mail notifications: what each change sends, to whom, in which language, with which calendar event;
and that the outbox neither loses a message (rollback, broker down, failing SMTP) nor sends one twice.

Tasks run eagerly here (the embedded default) unless a test points this process at a broker; mail goes to
Django's locmem backend (`mailoutbox`).
"""
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from booking import services
from booking.exceptions import RuleViolation
from booking.ical import booking_uid
from booking.models import Booking
from config.celery import app as celery_app
from ngo import letters as ngo_letters
from ngo import services as ngo_services
from ngo.models import Organisation
from notifications.models import OutboxMessage
from notifications.tasks import deliver, relay, remind, send_messages
from tests import factories
from tests.factories import at

Kind = OutboxMessage.Kind
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
# Polish month names in the genitive ("2 grudnia 2025"), as a date is written in a sentence.
MONTHS_PL = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
             "października", "listopada", "grudnia"]
UNREACHABLE_BROKER = "redis://127.0.0.1:1/3"  # nothing listens on port 1


def english_date(day):
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def polish_date(day):
    return f"{day.day} {MONTHS_PL[day.month - 1]} {day.year}"


def parsed(mail):
    """The message as it goes over the wire, parsed back."""
    return message_from_bytes(mail.message().as_bytes(), policy=policy.default)


def html_of(mail):
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    return html


def invitation_of(mail):
    """The attached calendar's MIME part and the calendar parsed back, or (None, None) when there is none."""
    parts = [part for part in parsed(mail).walk() if part.get_content_type() == "text/calendar"]
    if not parts:
        return None, None
    [part] = parts
    return part, Calendar.from_ical(part.get_content())


def assert_event(mail, booking, method):
    part, calendar = invitation_of(mail)
    assert part.get_param("method") == method
    assert part.get_filename().endswith(".ics")
    assert calendar["METHOD"] == method
    [event] = calendar.events
    assert str(event["UID"]) == booking_uid(booking)
    assert event["SEQUENCE"] == booking.sequence
    for name, moment in (("DTSTART", event.start), ("DTEND", event.end)):
        assert event[name].params["TZID"] == "Europe/Warsaw"
        assert str(moment.tzinfo) == "Europe/Warsaw"
    assert (event.start, event.end) == (booking.start, booking.end)
    assert (event.start.hour, event.end.hour) == (10, 12)  # the local wall time the member booked
    return event


def test_request_goes_to_the_member_and_to_staff_each_in_their_language(
        member, english_staff, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                         title="Walne zebranie", purpose="Sprawozdanie roczne", attendees=9)

    assert booking.status == Booking.Status.PENDING
    to_member, to_staff = sorted(mailoutbox, key=lambda mail: mail.to != ["jan@example.org"])

    assert to_member.to == ["jan@example.org"]
    assert parsed(to_member)["Content-Language"] == "pl"
    assert "Walne zebranie" in to_member.subject and f"{polish_date(open_day)}, 10:00" in to_member.subject
    assert f"Wtorek, {polish_date(open_day)}, 10:00–12:00" in to_member.body
    assert "Poniedziałek–Czwartek: 07:00–18:00" in to_member.body
    assert "ul. Powstańców 70/3, 41-500 Chorzów" in to_member.body
    assert to_member.reply_to == ["centrum@example.org"]
    event = assert_event(to_member, booking, "REQUEST")
    assert event["STATUS"] == "TENTATIVE"

    assert to_staff.to == ["anna@example.org"]
    assert parsed(to_staff)["Content-Language"] == "en"
    assert to_staff.subject == f"New booking request to approve: Walne zebranie, {english_date(open_day)}, 10:00"
    assert f"Tuesday, {english_date(open_day)}, 10:00–12:00" in to_staff.body
    assert "Monday–Thursday: 07:00–18:00" in to_staff.body and "Friday: 07:00–14:00" in to_staff.body
    assert "Jan Kowalski <jan@example.org>" in to_staff.body and "Sprawozdanie roczne" in to_staff.body
    assert f"/en/admin/booking/booking/{booking.pk}/change/" in to_staff.body
    assert invitation_of(to_staff) == (None, None)  # staff get the request to decide on, not an event
    html = html_of(to_staff)
    assert '<html lang="en">' in html and "Centrum Aktywizacji Społecznej" in html
    assert f"/en/admin/booking/booking/{booking.pk}/change/" in html


def test_approval_confirms_to_the_member_with_the_updated_event(
        member, english_staff, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    mailoutbox.clear()
    member.language = "en"
    member.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        booking = services.approve_booking(booking=booking, actor=english_staff)

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert mail.subject == f"Booking confirmed: Walne zebranie, {english_date(open_day)}, 10:00"
    assert "Sala spotkań, Centrum Aktywizacji Społecznej" in mail.body
    assert "Sala spotkań, Centrum Aktywizacji Społecznej" in html_of(mail)
    event = assert_event(mail, booking, "REQUEST")
    assert booking.sequence == 1
    assert event["STATUS"] == "CONFIRMED"


def test_a_message_written_late_keeps_the_state_of_the_change_that_caused_it(
        member, staff_user, room, organisation, open_day, mailoutbox):
    """Messages are written when first sent: a request still queued when the booking is cancelled must not
    re-add the event that the later cancellation removed."""
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    services.cancel_booking(booking=booking, actor=member)
    assert mailoutbox == []  # nothing committed here, so nothing queued yet: the relay finds them later

    for message in OutboxMessage.objects.filter(recipient="jan@example.org").order_by("pk"):
        assert deliver(message.pk) is True
    requested, cancelled = mailoutbox
    assert requested.subject.startswith("Otrzymaliśmy prośbę o rezerwację: Walne zebranie")
    _, calendar = invitation_of(requested)
    [event] = calendar.events
    assert (calendar["METHOD"], event["STATUS"], event["SEQUENCE"]) == ("REQUEST", "TENTATIVE", 0)
    assert cancelled.subject.startswith("Rezerwacja anulowana: Walne zebranie")
    _, calendar = invitation_of(cancelled)
    [event] = calendar.events
    assert (calendar["METHOD"], event["STATUS"], event["SEQUENCE"]) == ("CANCEL", "CANCELLED", 1)


def test_a_message_about_a_booking_that_is_gone_is_not_sent(member, staff_user, room, organisation, open_day,
                                                            mailoutbox):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    Booking.objects.filter(pk=booking.pk).delete()

    message = OutboxMessage.objects.get(recipient="jan@example.org")
    assert deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.attempts, message.subject) == ("pending", 1, "")
    assert "no longer exists" in message.last_error
    assert mailoutbox == []


def test_rejection_tells_the_reason_and_removes_the_tentative_event(
        member, staff_user, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking = services.reject_booking(booking=booking, actor=staff_user, reason="Sala jest w remoncie")

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"] and parsed(mail)["Content-Language"] == "pl"
    assert "Walne zebranie" in mail.subject and polish_date(open_day) in mail.subject
    assert "Sala jest w remoncie" in mail.body and "Sala jest w remoncie" in html_of(mail)
    event = assert_event(mail, booking, "CANCEL")
    assert event["STATUS"] == "CANCELLED"


def test_cancellation_by_staff_cancels_the_event_with_the_reason(
        member, staff_user, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    member.language = "en"
    member.save(update_fields=["language"])
    room.requires_approval = False
    room.save()
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking = services.cancel_booking(booking=booking, actor=staff_user, reason="Awaria ogrzewania")

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert mail.subject == f"Booking cancelled: Walne zebranie, {english_date(open_day)}, 10:00"
    assert "Reason: Awaria ogrzewania" in mail.body
    assert booking.sequence == 1
    assert_event(mail, booking, "CANCEL")


def test_a_resource_without_approval_confirms_at_once_and_bothers_no_staff(
        member, staff_user, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    room.requires_approval = False
    room.save()

    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                         title="Walne zebranie")

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert booking.status == Booking.Status.CONFIRMED and booking.sequence == 0
    assert_event(mail, booking, "REQUEST")
    assert OutboxMessage.objects.get().kind == Kind.BOOKING_CONFIRMED


def test_reminder_goes_out_the_day_before_once(
        member, staff_user, room, organisation, open_day, mailoutbox, django_capture_on_commit_callbacks):
    room.requires_approval = False
    room.save()
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    pending = factories.make_booking(actor=member, resource=factories.make_resource(room.centre),
                                     organisation=organisation, day=open_day, hour=14, title="Próba chóru")
    assert pending.status == Booking.Status.PENDING
    mailoutbox.clear()
    day_before = at(open_day - timedelta(days=1), 9)

    with django_capture_on_commit_callbacks(execute=True):
        assert remind(now=day_before - timedelta(days=1)) == 0  # two days before: not yet
        assert remind(now=day_before) == 1  # the pending request gets no reminder
        assert remind(now=day_before + timedelta(hours=1)) == 0
        assert remind(now=day_before + timedelta(hours=5)) == 0

    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"]
    assert "Walne zebranie" in mail.subject and polish_date(open_day) in mail.subject
    assert_event(mail, booking, "REQUEST")
    assert OutboxMessage.objects.filter(kind=Kind.BOOKING_REMINDER).count() == 1


def test_verification_is_announced_to_the_coordinators(staff_user, centre, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    coordinator = factories.make_user("ewa", language="en")
    other_member = factories.make_user("piotr")
    organisation = factories.make_organisation("Klub Rodziców", status=Organisation.Status.UNVERIFIED,
                                               coordinators=[coordinator], members=[other_member], centres=[centre])

    with django_capture_on_commit_callbacks(execute=True):
        ngo_services.set_organisation_status(organisation=organisation, actor=staff_user,
                                             status=Organisation.Status.VERIFIED)
        ngo_services.set_organisation_status(organisation=organisation, actor=staff_user,
                                             status=Organisation.Status.SUSPENDED, reason="Brak kontaktu")

    [mail] = mailoutbox  # a suspension is not announced by e-mail
    assert mail.to == ["ewa@example.org"]
    assert mail.subject == "Klub Rodziców is verified: you can book now"
    assert "Monday–Thursday: 07:00–18:00" in mail.body and "ul. Powstańców 70/3" in mail.body
    assert invitation_of(mail) == (None, None)


def test_a_letter_is_announced_to_the_coordinators(staff_user, centre, member, organisation, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    coordinator = factories.make_user("ewa", language="en")
    factories.make_organisation("Inna Fundacja", coordinators=[factories.make_user("zofia")])
    organisation.memberships.create(user=coordinator, role="coordinator")
    received = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        ngo_letters.log_letter(organisation=organisation, actor=staff_user, sender="Urząd Skarbowy w Chorzowie",
                                description="List polecony", received_at=received)

    [mail] = mailoutbox
    assert mail.to == ["ewa@example.org"]
    assert mail.subject == "A letter for Stowarzyszenie Aktywni Seniorzy has arrived"
    assert "Sender: Urząd Skarbowy w Chorzowie" in mail.body and "List polecony" in mail.body
    assert "Centrum Aktywizacji Społecznej" in mail.body


def test_a_rolled_back_change_sends_nothing(member, staff_user, room, organisation, open_day, mailoutbox,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                   title="Walne zebranie")
            assert OutboxMessage.objects.count() == 2  # written with the booking...
            raise RuntimeError("the request failed after the booking")
        unverified = factories.make_organisation(status=Organisation.Status.UNVERIFIED, members=[member])
        with pytest.raises(RuleViolation):
            factories.make_booking(actor=member, resource=room, organisation=unverified, day=open_day, hours=2,
                                   title="Walne zebranie")

    assert OutboxMessage.objects.count() == 0  # ...and rolled back with it
    assert callbacks == [] and mailoutbox == []


def test_a_duplicated_send_task_sends_once(member, staff_user, room, organisation, open_day, mailoutbox,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                               title="Walne zebranie")
    assert len(mailoutbox) == 2

    for message in OutboxMessage.objects.all():
        send_messages.delay([message.pk])
        assert deliver(message.pk) is False

    assert len(mailoutbox) == 2
    assert list(OutboxMessage.objects.values_list("status", "attempts")) == [("sent", 1), ("sent", 1)]


def test_with_the_broker_down_booking_is_quick_and_the_relay_sends_later_once(
        member, staff_user, room, organisation, open_day, mailoutbox, celery_broker,
        django_capture_on_commit_callbacks):
    celery_broker(UNREACHABLE_BROKER)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                         title="Walne zebranie")
    elapsed = time.monotonic() - started

    assert elapsed < 2, f"booking took {elapsed:.2f} s with the broker down"
    assert Booking.objects.filter(pk=booking.pk).exists()
    assert mailoutbox == []
    assert list(OutboxMessage.objects.values_list("status", "attempts")) == [("pending", 0), ("pending", 0)]

    celery_broker(None)  # the broker is back (tasks run here, as a worker would run them)
    assert relay() == []  # queued less than a minute ago: the publish may still be on its way
    later = timezone.now() + timedelta(minutes=2)
    assert len(relay(now=later)) == 2
    assert relay(now=later + timedelta(minutes=5)) == []

    assert sorted(mail.to[0] for mail in mailoutbox) == ["anna@example.org", "jan@example.org"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize("what", ["booking", "series"])
@pytest.mark.parametrize("extreme", ["end of time", "beginning of time"])
def test_a_message_about_a_booking_stored_outside_the_calendar_is_given_up_at_once(
        what, extreme, member, staff_user, room, organisation, open_day, mailoutbox):
    """Such a booking can only be written around the services (by hand in the database). Its messages cannot be
    written, and no retry would change that: they are given up at the first attempt, unsent, saying why."""
    if what == "booking":
        booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day)
    else:
        meetings = factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day,
                                         rrule="FREQ=WEEKLY;COUNT=3").bookings
        booking = meetings[0] if extreme == "beginning of time" else meetings[-1]  # stretched clear of the others
    start, end = {"end of time": (booking.start, datetime(9999, 12, 31, 23, tzinfo=UTC)),
                  "beginning of time": (datetime(1, 1, 1, tzinfo=UTC), booking.end)}[extreme]
    Booking.objects.filter(pk=booking.pk).update(start=start, end=end)

    messages = list(OutboxMessage.objects.order_by("pk"))
    assert {message.recipient for message in messages} == {"jan@example.org", "anna@example.org"}
    for message in messages:
        assert deliver(message.pk) is False
        message.refresh_from_db()
        assert (message.status, message.attempts, message.subject) == ("failed", 1, "")
        assert f"booking {booking.pk} runs from" in message.last_error
        assert "outside the service's calendar" in message.last_error
    assert mailoutbox == []
    assert relay(now=timezone.now() + timedelta(minutes=2)) == []


def test_failing_sends_are_retried_then_given_up_and_shown_to_staff(
        member, staff_user, room, organisation, open_day, mailoutbox, settings, admin_client,
        django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    # A real SMTP backend aimed at a port where nothing listens: every send is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    room.requires_approval = False
    room.save()

    with django_capture_on_commit_callbacks(execute=True):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                               title="Walne zebranie")
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in message.last_error

    later = timezone.now() + timedelta(minutes=2)
    assert relay(now=later) == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert relay(now=later + timedelta(minutes=5)) == []  # given up: the relay leaves it

    changelist = reverse("admin:notifications_outboxmessage_changelist")
    page = admin_client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "jan@example.org" in page and "Connection" not in page  # the list shows who, the detail why
    assert admin_client.get(changelist, {"status__exact": "sent"}).content.decode().count("jan@example.org") == 0
    detail = admin_client.get(reverse("admin:notifications_outboxmessage_change", args=[message.pk])).content.decode()
    assert "ConnectionRefusedError" in detail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP works again
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "send_again", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert [mail.to for mail in mailoutbox] == [["jan@example.org"]]


def test_notifications_add_a_bounded_number_of_queries(member, staff_user, room, organisation, open_day,
                                                       django_assert_max_num_queries):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                     title="Walne zebranie")
    # Approval alone: lock, staff check, update, audit event (six with the savepoint); the e-mail adds the
    # booker and one insert (it is written by the send task, after the commit).
    with django_assert_max_num_queries(8):
        services.approve_booking(booking=booking, actor=staff_user)


# --- A real worker on the real broker ---------------------------------------------------------------

def wait_until(condition, seconds, what, log=None):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" + (f"; worker log:\n{log.read_text()[-3000:]}" if log else ""))
        time.sleep(0.1)


def worker_database_url():
    """The database this test run uses, for a worker process to open too."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(redis_url, mail_dir, log):
    """`celery -A config worker` as deployed (two threads), on `redis_url`, writing its mail to `mail_dir`."""
    name = f"notifications-test-{os.getpid()}@localhost"
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": worker_database_url(),
           "EMAIL_URL": f"filemail:///{mail_dir}", "LOG_FORMAT": "text", "DJANGO_SETTINGS_MODULE": "config.settings"}
    with open(log, "wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads", "--concurrency=2",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO", "-n", name],
            cwd=django_settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: worker.poll() is not None or celery_app.control.ping([name], timeout=0.5), 20,
                   "the worker to start", log)
        assert worker.poll() is None, log.read_text()
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def delivered(mail_dir):
    """The messages Django's file backend wrote, parsed back."""
    separator = b"\n" + b"-" * 79 + b"\n"
    return [message_from_bytes(chunk, policy=policy.default)
            for path in sorted(mail_dir.iterdir()) for chunk in path.read_bytes().split(separator) if chunk.strip()]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_confirmation_once_even_when_its_task_is_published_twice(
        redis_url, celery_broker, tmp_path, member, staff_user, room, organisation, open_day):
    import redis

    redis.Redis.from_url(redis_url).delete("celery", "unacked", "unacked_index")  # no tasks left from earlier runs
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    celery_broker(redis_url)

    with celery_worker(redis_url, mail_dir, log):
        booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hours=2,
                                         title="Walne zebranie")  # commits: the two requests' e-mails are published
        booking = services.approve_booking(booking=booking, actor=staff_user)  # and the confirmation
        confirmation = OutboxMessage.objects.get(kind=Kind.BOOKING_CONFIRMED)
        # The same send task twice more, as a redelivery or the relay racing the first would publish it.
        send_messages.delay([confirmation.pk])
        send_messages.delay([confirmation.pk])

        wait_until(lambda: log.read_text().count("] succeeded in") >= 4, 20, "the worker to run four tasks", log)

    mails = delivered(mail_dir)
    by_message = [mail["Message-ID"].split(".")[0] for mail in mails]
    assert sorted(by_message) == sorted(f"<outbox-{message.pk}" for message in OutboxMessage.objects.all())
    [mail] = [mail for mail in mails if mail["Message-ID"].startswith(f"<outbox-{confirmation.pk}.")]
    assert mail["To"] == "jan@example.org"
    [part] = [part for part in mail.walk() if part.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(part.get_content()).events
    assert (part.get_param("method"), event["SEQUENCE"], str(event["UID"])) == ("REQUEST", 1, booking_uid(booking))
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("sent", 1)
