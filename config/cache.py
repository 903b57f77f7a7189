"""The shared cache: Django's Redis backend, failing open.

What the cache holds (throttle counts, the feeds' Last-Modified dates) is not worth an error page or a wait:
when Redis refuses a connection or does not answer within its time-outs (REDIS_CONNECT_TIMEOUT, REDIS_TIMEOUT),
an operation logs a warning and acts as a miss: a read gives the default, a write keeps nothing, so throttles let
callers through. After a failure this process leaves Redis alone for RETRY_AFTER seconds, so a hung Redis
costs one caller one time-out, not every caller each time.
"""
import functools
import logging
import time

import redis
from django.conf import settings
from django.core.cache.backends import redis as django_redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

RETRY_AFTER = 10  # seconds


def fail_open(method, miss):
    """`method`, answering `miss(*args, **kwargs)` instead while Redis is unavailable."""

    @functools.wraps(method)
    def guarded(cache, *args, **kwargs):
        if time.monotonic() < cache.unavailable_until:
            return miss(*args, **kwargs)
        try:
            return method(cache, *args, **kwargs)
        except redis.RedisError as error:
            cache.unavailable_until = time.monotonic() + cache.retry_after
            logger.warning("Redis cache unavailable, carrying on without it for %s s: %s: %s", cache.retry_after,
                           type(error).__name__, error)
            return miss(*args, **kwargs)

    return guarded


def no_key(key, *args, **kwargs):
    raise ValueError(f"Key {key!r} not found (cache unavailable).")


class RedisCache(django_redis.RedisCache):
    """OPTIONS may set `retry_after` (seconds, RETRY_AFTER by default) besides redis-py's connection options."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = options.pop("retry_after", RETRY_AFTER)
        options.setdefault("socket_connect_timeout", settings.REDIS_CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", settings.REDIS_TIMEOUT)
        options.setdefault("retry", Retry(NoBackoff(), 0))  # one attempt: a retry would double the wait
        super().__init__(server, {**params, "OPTIONS": options})
        self.unavailable_until = 0.0

    add = fail_open(django_redis.RedisCache.add, lambda *args, **kwargs: False)
    get = fail_open(django_redis.RedisCache.get, lambda key, default=None, version=None: default)
    set = fail_open(django_redis.RedisCache.set, lambda *args, **kwargs: None)
    touch = fail_open(django_redis.RedisCache.touch, lambda *args, **kwargs: False)
    delete = fail_open(django_redis.RedisCache.delete, lambda *args, **kwargs: False)
    get_many = fail_open(django_redis.RedisCache.get_many, lambda *args, **kwargs: {})
    has_key = fail_open(django_redis.RedisCache.has_key, lambda *args, **kwargs: False)
    incr = fail_open(django_redis.RedisCache.incr, no_key)
    set_many = fail_open(django_redis.RedisCache.set_many, lambda data, *args, **kwargs: list(data))
    delete_many = fail_open(django_redis.RedisCache.delete_many, lambda *args, **kwargs: None)
    clear = fail_open(django_redis.RedisCache.clear, lambda *args, **kwargs: False)
