"""The reminders of the correspondence register and of address agreements, run by beat's daily task with a
frozen clock, through the outbox: each is sent exactly once."""
from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from ngo import agreements
from ngo.letters import collect_letters, letters_to_return
from notifications.models import OutboxMessage
from notifications.tasks import send_letter_reminders
from tests import factories
from tests.factories import WARSAW

Kind = OutboxMessage.Kind
DAY0 = date(2026, 3, 2)  # a Monday


def morning(day):
    return datetime.combine(day, time(8, 30), tzinfo=WARSAW)


@pytest.fixture
def town(letters_town):
    return letters_town


def run_on(day, capture):
    """Beat's daily run on `day` at 08:30, its e-mails sent."""
    with time_machine.travel(morning(day), tick=False), capture(execute=True):
        send_letter_reminders()


def test_a_letter_waiting_14_days_is_reminded_once_and_after_30_days_goes_on_the_return_list(
        town, mailoutbox, django_capture_on_commit_callbacks):
    town.club.memberships.update(role="coordinator")
    with time_machine.travel(morning(DAY0), tick=False):
        letter = factories.make_letter(organisation=town.club, centre=town.cas, sender="Sąd Rejonowy")
        collected = factories.make_letter(organisation=town.club, centre=town.cas, sender="ZUS")
        collect_letters(actor=town.anna, letters=[collected], name="Ewa")
    for offset in range(1, 14):
        run_on(DAY0 + timedelta(days=offset), django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(kind=Kind.LETTER_REMINDER).exists()
    run_on(DAY0 + timedelta(days=14), django_capture_on_commit_callbacks)
    [reminder] = OutboxMessage.objects.filter(kind=Kind.LETTER_REMINDER)
    assert reminder.recipient == "ewa@example.org" and reminder.payload == {"letter": letter.pk}
    mail = mailoutbox[-1]
    assert mail.to == ["ewa@example.org"] and "Sąd Rejonowy" in mail.body
    for offset in range(15, 32):
        run_on(DAY0 + timedelta(days=offset), django_capture_on_commit_callbacks)
    assert OutboxMessage.objects.filter(kind=Kind.LETTER_REMINDER).count() == 1
    with time_machine.travel(morning(DAY0 + timedelta(days=30)), tick=False):
        assert list(letters_to_return(town.anna)) == []
    with time_machine.travel(morning(DAY0 + timedelta(days=31)), tick=False):
        assert list(letters_to_return(town.anna)) == [letter]
        assert list(letters_to_return(town.piotr)) == []


def test_an_agreement_is_reminded_30_and_7_days_before_its_end_once_each(
        town, mailoutbox, django_capture_on_commit_callbacks):
    ends = DAY0 + timedelta(days=60)
    town.club.memberships.update(role="coordinator")
    with time_machine.travel(morning(DAY0), tick=False):
        agreement = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                                starts_on=DAY0, ends_on=ends)
    for offset in range(0, 30):
        run_on(DAY0 + timedelta(days=offset), django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(kind=Kind.AGREEMENT_ENDING).exists()
    run_on(ends - timedelta(days=30), django_capture_on_commit_callbacks)
    sent = OutboxMessage.objects.filter(kind=Kind.AGREEMENT_ENDING)
    assert sorted(sent.values_list("recipient", "payload__days")) == [("anna@example.org", 30),
                                                                       ("ewa@example.org", 30)]
    assert any(agreement.number in mail.subject and "kończy się za 30 dni" in mail.subject
               for mail in mailoutbox)
    for offset in range(29, 7, -1):
        run_on(ends - timedelta(days=offset), django_capture_on_commit_callbacks)
    assert sent.count() == 2
    run_on(ends - timedelta(days=7), django_capture_on_commit_callbacks)
    assert sorted(sent.filter(payload__days=7).values_list("recipient", flat=True)) == ["anna@example.org",
                                                                                        "ewa@example.org"]
    for offset in range(6, -3, -1):
        run_on(ends - timedelta(days=offset), django_capture_on_commit_callbacks)
    assert sent.count() == 4


def test_a_missed_day_is_made_up_and_an_extension_reminds_again(town, django_capture_on_commit_callbacks):
    ends = DAY0 + timedelta(days=40)
    with time_machine.travel(morning(DAY0), tick=False):
        agreement = agreements.create_agreement(actor=town.anna, centre=town.cas, organisation=town.club,
                                                starts_on=DAY0, ends_on=ends)
    run_on(ends - timedelta(days=20), django_capture_on_commit_callbacks)  # beat was down on day -30
    sent = OutboxMessage.objects.filter(kind=Kind.AGREEMENT_ENDING)
    assert set(sent.values_list("payload__days", flat=True)) == {20}
    run_on(ends - timedelta(days=5), django_capture_on_commit_callbacks)
    assert sorted(sent.values_list("payload__days", flat=True)) == [5, 5, 20, 20]  # the club and Anna
    with time_machine.travel(morning(ends - timedelta(days=5)), tick=False):
        agreements.change_end(actor=town.anna, agreement=agreement, ends_on=ends + timedelta(days=365))
    run_on(ends - timedelta(days=4), django_capture_on_commit_callbacks)
    assert sent.count() == 4  # the new end is a year away
