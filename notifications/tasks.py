"""The outbox: messages are saved with the change that causes them, queued when it commits, sent once.

- `enqueue()` saves outbox rows in the caller's transaction and, on commit, publishes one `send_messages` task
  for them, off the request (`config.publisher`: the response does not wait for the broker). A broker that
  cannot be reached is only logged, and a process that dies before it publishes loses only the publish: the rows
  stay pending, and the relay queues them.
- `send_messages` writes (`emails.render`) and sends each row under its row lock (SELECT ... FOR UPDATE on
  PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE) and marks it sent in the same transaction, so a
  duplicated or redelivered task waits, then finds it sent and does nothing.
  A message that turns out to concern no one (a password reset for an address without an account) is deleted
  unsent; one that carries a credential keeps no text after the attempt (OutboxMessage.UNKEPT_KINDS).
- `relay_outbox` (Celery beat, every minute) re-queues rows still pending a minute after they were last
  queued; after NOTIFICATIONS_MAX_ATTEMPTS failed sends a row is given up and left for staff in the admin. A
  message that cannot be written (`emails.Unrenderable`: a booking stored outside the service's calendar) is given
  up at the first attempt, unsent, with the reason for staff: no retry would write it.
- `send_reminders` (Celery beat) writes the reminder of each confirmed booking starting tomorrow, once.
- `send_lending_reminders` (Celery beat) writes the reminders 14 and 3 days before a lending ends, each once.
- `send_key_reminders` (Celery beat) writes one reminder per booking whose key is still out after it ended.
"""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from booking.lending import lendings as booking_lendings
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, KeyHandover
from config.publisher import publish_after_commit
from ngo.agreements import due_reminders, mark_reminded
from ngo.letters import reminder_days
from ngo.models import AddressAgreement, Letter

from . import emails
from .models import OutboxMessage

logger = logging.getLogger(__name__)

RELAY_AFTER = timedelta(minutes=1)
RELAY_BATCH = 500


def enqueue(messages):
    """Save `messages` (unsaved OutboxMessage rows) in the current transaction; queue them when it commits."""
    if not messages:
        return []
    saved = OutboxMessage.objects.bulk_create(messages)
    publish_after_commit(publish, [message.pk for message in saved])
    return saved


def publish(message_ids):
    """Queue the messages' send task. Never raises: whatever is not queued now, the relay queues later."""
    try:
        send_messages.delay(list(message_ids))
    except Exception:  # an unreachable broker (kombu OperationalError) or, run eagerly, a failing send
        logger.warning("E-mails %s not queued; the outbox relay will retry", message_ids, exc_info=True)


@shared_task(ignore_result=True)
def send_messages(message_ids):
    for message_id in message_ids:
        deliver(message_id)


def deliver(message_id):
    """Write and send one outbox message unless it was sent or given up already. Returns whether it went out now."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(
            pk=message_id, status=OutboxMessage.Status.PENDING).first()
        if message is None:
            return False
        message.attempts += 1
        try:
            if not message.is_written and not emails.render(message):
                raise LookupError("what the message is about no longer exists")
            message.as_email().send()
        except emails.NothingToSend:
            message.delete()
            return False
        except Exception as error:  # SMTP refusals, timeouts, DNS, a bug: recorded on the row for staff to see
            message.last_error = f"{type(error).__name__}: {error}"
            if isinstance(error, emails.Unrenderable) or message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            logger.warning("E-mail %s to %s failed (attempt %d): %s", message.pk, message.recipient,
                           message.attempts, message.last_error)
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        if message.kind in OutboxMessage.UNKEPT_KINDS:
            message.subject = message.body_text = message.body_html = ""
        message.save(update_fields=["status", "attempts", "last_error", "sent_at", "subject", "body_text", "body_html",
                                    "calendar", "calendar_method", "reply_to", "recipient", "language", "person"])
        return message.status == OutboxMessage.Status.SENT


@shared_task(ignore_result=True)
def relay_outbox():
    relay()


def relay(now=None):
    """Re-queue the messages still pending a minute after they were last queued. Returns their ids."""
    now = now or timezone.now()
    due = list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, queued_at__lte=now - RELAY_AFTER)
               .order_by("queued_at").values_list("pk", flat=True)[:RELAY_BATCH])
    if due:
        OutboxMessage.objects.filter(pk__in=due).update(queued_at=now)
        publish(due)
    return due


@shared_task(ignore_result=True)
def send_reminders():
    remind()


def remind(now=None):
    """Write the reminder of every confirmed booking that starts tomorrow (centre's local day), once each."""
    now = now or timezone.now()
    reminded = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.BOOKING_REMINDER, booking=OuterRef("pk"))
    bookings = (Booking.objects.filter(status=BookingStatus.CONFIRMED, start__gt=now,
                                       start__lt=now + timedelta(days=2))
                .exclude(Exists(reminded))
                .select_related("resource__centre", "organisation", "created_by"))
    count = 0
    for booking in bookings:
        tz = booking.resource.centre.tz
        if booking.start.astimezone(tz).date() != now.astimezone(tz).date() + timedelta(days=1):
            continue
        try:
            with transaction.atomic():
                enqueue(emails.reminder(booking))
        except IntegrityError:  # another run wrote this reminder meanwhile
            continue
        count += 1
    return count


@shared_task(ignore_result=True)
def send_lending_reminders():
    remind_lending_end()


def remind_lending_end(now=None):
    """Write the reminders that a lending (a booking by whole days) ends in 14 and in 3 days (centre's local days),
    each once, for confirmed lendings not renewed. A lending no longer than the time before its end gets no such
    reminder (a five-day locker is reminded 3 days before, not 14); one renewed late keeps what was sent."""
    now = now or timezone.now()
    lendings = (booking_lendings().filter(status=BookingStatus.CONFIRMED, is_renewed=False, end__gt=now,
                                          end__lte=now + timedelta(days=16))
                .select_related("resource__centre", "organisation", "created_by"))
    count = 0
    for booking in lendings:
        tz = booking.resource.centre.tz
        end_day, start_day, today = (booking.end.astimezone(tz).date(), booking.start.astimezone(tz).date(),
                                     now.astimezone(tz).date())
        left = (end_day - today).days
        days = 3 if left <= 3 else 14 if left <= 14 else None
        if days is None or (end_day - start_day).days <= days:
            continue
        kind = emails.LENDING_REMINDERS[days]
        if OutboxMessage.objects.filter(booking=booking, kind=kind).exists():
            continue
        try:
            with transaction.atomic():
                enqueue(emails.lending_reminder(booking, days))
        except IntegrityError:  # another run wrote this reminder meanwhile
            continue
        count += 1
    return count


@shared_task(ignore_result=True)
def send_letter_reminders():
    remind_letters()
    remind_agreements_ending()


def remind_letters(now=None):
    """Remind the organisation of every letter waiting `LETTER_REMINDER_DAYS` days, once each (the letter keeps
    when it was reminded, set in the transaction that writes the e-mail)."""
    now = now or timezone.now()
    due = Letter.objects.filter(status=Letter.Status.WAITING, reminded_at__isnull=True,
                                received_at__lte=now - timedelta(days=reminder_days()))
    count = 0
    for pk in due.order_by("received_at").values_list("pk", flat=True):
        with transaction.atomic():
            letter = (Letter.objects.select_for_update(of=("self",)).select_related("organisation")
                      .filter(pk=pk, status=Letter.Status.WAITING, reminded_at__isnull=True).first())
            if letter is None:  # collected, returned or reminded meanwhile
                continue
            letter.reminded_at = now
            letter.save(update_fields=["reminded_at"])
            enqueue(emails.letter_reminder(letter))
        count += 1
    return count


@shared_task(ignore_result=True)
def send_key_reminders():
    remind_keys()


def remind_keys(now=None):
    """Write one reminder per booking whose key or card is still out after the booking ended (or was called off)."""
    now = now or timezone.now()
    reminded = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.KEY_NOT_RETURNED, booking=OuterRef("pk"))
    out = KeyHandover.objects.filter(booking=OuterRef("pk"), returned_on__isnull=True)
    bookings = (Booking.objects.filter(Exists(out)).filter(Q(end__lte=now) | ~Q(status__in=ACTIVE_STATUSES))
                .exclude(Exists(reminded)).select_related("resource__centre", "organisation", "created_by"))
    count = 0
    for booking in bookings:
        try:
            with transaction.atomic():
                enqueue(emails.key_reminder(booking))
        except IntegrityError:  # another run wrote this reminder meanwhile
            continue
        count += 1
    return count


def remind_agreements_ending(today=None):
    """30 and 7 days before an agreement's last day, its organisation and the centre's staff are told, once each
    (the agreement keeps a marker per reminder, set in the transaction that writes the e-mails)."""
    today = today or timezone.localdate()
    count = 0
    for pk, days in due_reminders(today):
        with transaction.atomic():
            if not mark_reminded(pk, days, timezone.now()):  # another run was first
                continue
            agreement = AddressAgreement.objects.select_related("organisation", "centre").get(pk=pk)
            enqueue(emails.agreement_ending(agreement, (agreement.ends_on - today).days))
        count += 1
    return count
