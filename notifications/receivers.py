"""Signal receivers: each writes the outbox rows of a change inside the transaction that makes it."""
from ngo.models import Organisation

from . import emails
from .tasks import enqueue


def booking_changed(sender, booking, from_status, actor, reason, **kwargs):
    enqueue(emails.booking_change(booking, from_status=from_status, reason=reason))


def series_changed(sender, series, action, bookings, reason, skipped, from_date, **kwargs):
    enqueue(emails.series_change(series, action=action, bookings=bookings, reason=reason, skipped=skipped,
                                 from_date=from_date))


def organisation_status_changed(sender, organisation, actor, **kwargs):
    if organisation.status == Organisation.Status.VERIFIED:
        enqueue(emails.organisation_verified(organisation, actor=actor))


def letter_received(sender, letter, **kwargs):
    enqueue(emails.letter_received(letter))


def address_agreement_changed(sender, agreement, event, actor, **kwargs):
    enqueue(emails.address_agreement(agreement, event))


def password_reset_requested(sender, email, language, **kwargs):
    enqueue(emails.password_reset(email=email, language=language))


def invitation_sent(sender, invitation, token, **kwargs):
    enqueue(emails.membership_invitation(invitation, token))


def confirmation_requested(sender, user, **kwargs):
    enqueue(emails.signup_confirmation(user))


def signup_address_taken(sender, user, **kwargs):
    enqueue(emails.signup_address_taken(user))


def waitlist_offered(sender, entry, **kwargs):
    enqueue(emails.waitlist_offer(entry))
