"""Hourly limits on pages that send an e-mail to an address someone typed (password reset, sign-up and the
re-sent confirmation link), counted in the cache per e-mail address and per client address.

The cache is Redis in production (shared by every worker); one that cannot be reached lets the request through:
a lost throttle is better than no way into an account.
"""
import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def address_key(email):
    """The e-mail address as a cache key: a hash, so that the cache holds no addresses."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def within_hourly_limit(key, limit):
    """Count one request against `limit` per hour (the hour starts with the first); True while within it."""
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        return cache.incr(key) <= limit
    except Exception:  # Redis refusing or timing out; incr of a key that expired right after add
        logger.warning("Throttle %s unavailable; letting the request through", key.split(":")[0], exc_info=True)
        return True


def within_limits(scope, *, email, client, per_address, per_client):
    """Count one request of `scope` for the e-mail address and for the client address; returns None while both
    are within their hourly limits, else which one is exceeded ("address" or "client"). Both are counted either
    way, so that one cannot be probed without spending the other."""
    by_address = within_hourly_limit(f"{scope}:address:{address_key(email)}", per_address)
    by_client = within_hourly_limit(f"{scope}:client:{client}", per_client)
    if not by_address:
        return "address"
    if not by_client:
        return "client"
    return None
