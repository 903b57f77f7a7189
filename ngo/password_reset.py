"""Asking for a password reset link, answered alike whether an account has the address or not.

The request only counts and records the wish (one outbox row, written by the notifications app on the
`password_reset_requested` signal); the send task looks for the accounts and writes the links, or drops the row
when there is none. So the page, and the work done before it is shown, are the same for every address: neither
tells whether the address has an account. Each address may ask PASSWORD_RESET_PER_ADDRESS times an hour and each
client address PASSWORD_RESET_PER_CLIENT times; above that nothing is sent, and the answer is still the same.
"""
import logging

from django.conf import settings
from django.db import transaction

from .signals import password_reset_requested
from .throttles import within_limits

logger = logging.getLogger(__name__)


def request_password_reset(*, email, client, language):
    """Ask for a reset link to `email` from the client address `client`, the page read in `language` (the
    message goes out in the account's language). Returns nothing, whatever happens."""
    exceeded = within_limits("password-reset", email=email, client=client,
                             per_address=settings.PASSWORD_RESET_PER_ADDRESS,
                             per_client=settings.PASSWORD_RESET_PER_CLIENT)
    if exceeded:
        logger.warning("Password reset not sent: more than the hourly limit for %s", "the address"
                       if exceeded == "address" else "the client address")
        return
    with transaction.atomic():
        password_reset_requested.send(sender=request_password_reset, email=email, language=language)
