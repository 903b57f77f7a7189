"""Asking for a password reset link, answered alike whether an account has the address or not.

The request only counts and records the wish (one outbox row, written by the notifications app on the
`password_reset_requested` signal); the send task looks for the accounts and writes the links, or drops the row
when there is none. So the page, and the work done before it is shown, are the same for every address: neither
tells whether the address has an account. Each address may ask PASSWORD_RESET_PER_ADDRESS times an hour and each
client address PASSWORD_RESET_PER_CLIENT times; above that nothing is sent, and the answer is still the same.
"""
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .signals import password_reset_requested

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def _within(key, limit):
    """Count one request against `limit` per hour (the hour starts with the first); True while within it. A cache
    that cannot be reached lets the request through: a lost throttle is better than no way into an account."""
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        return cache.incr(key) <= limit
    except Exception:  # Redis refusing or timing out; incr of a key that expired right after add
        logger.warning("Password reset throttle unavailable; letting the request through", exc_info=True)
        return True


def request_password_reset(*, email, client, language):
    """Ask for a reset link to `email` from the client address `client`, the page read in `language` (the
    message goes out in the account's language). Returns nothing, whatever happens."""
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    per_address = _within(f"password-reset:address:{address}", settings.PASSWORD_RESET_PER_ADDRESS)
    per_client = _within(f"password-reset:client:{client}", settings.PASSWORD_RESET_PER_CLIENT)
    if not (per_address and per_client):
        logger.warning("Password reset not sent: more than the hourly limit for %s", "the address" if not per_address
                       else "the client address")
        return
    with transaction.atomic():
        password_reset_requested.send(sender=request_password_reset, email=email, language=language)
