"""Celery publishes off the request (config.publisher): a booking answers before its e-mails reach the broker, and
the outbox still sends whatever a publish lost."""
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from config.publisher import publisher
from notifications.models import OutboxMessage
from notifications.tasks import relay, send_messages
from tests.factories import at
from tests.test_notifications import UNREACHABLE_BROKER


@pytest.mark.django_db(transaction=True)
def test_a_booking_answers_before_its_e_mails_are_published_and_the_relay_sends_what_was_not(
        member, staff_user, room, organisation, open_day, mailoutbox, celery_broker, monkeypatch):
    celery_broker(UNREACHABLE_BROKER)  # tasks go to a broker, not run here
    broker_answers, published = threading.Event(), []

    def slow_broker_then_gone(message_ids):
        broker_answers.wait(30)
        published.append(sorted(message_ids))
        raise ConnectionError("the broker went away")

    monkeypatch.setattr(send_messages, "delay", slow_broker_then_gone)
    client = APIClient()
    client.force_authenticate(member)

    response = client.post("/api/v1/bookings/", {
        "resource": room.pk, "organisation": organisation.pk, "title": "Walne zebranie",
        "start": at(open_day, 10).isoformat(), "end": at(open_day, 12).isoformat()}, format="json")

    assert response.status_code == 201, response.content
    assert published == []  # answered while the broker still held the publish
    broker_answers.set()
    publisher.drain()
    messages = sorted(OutboxMessage.objects.values_list("pk", flat=True))
    assert published == [messages] and len(messages) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}  # the publish failed

    monkeypatch.undo()
    celery_broker(None)  # the broker is back (tasks run here, as a worker would run them)
    assert sorted(relay(now=timezone.now() + timedelta(minutes=2))) == messages
    assert sorted(mail.to[0] for mail in mailoutbox) == ["anna@example.org", "jan@example.org"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_forked_process_publishes_through_a_thread_of_its_own():
    """A gunicorn worker is forked from a master: the parent's publisher thread does not exist in the child."""
    publisher.put(lambda: None)
    publisher.drain()  # the parent's thread runs
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: publish, and tell the parent that it went out
        try:
            signal.alarm(10)  # a child stuck on the parent's queue or lock ends, and says nothing
            publisher.put(lambda: os.write(write, b"published"))
            publisher.drain()
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 100) == b"published"
