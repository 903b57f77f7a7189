"""Reads from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`): which ones, and the router that sends them.

Everything reads and writes on the primary (`default`) unless a view asks for the replica with `replica_reads`
(a decorator) or `replica_for(request)` (a context manager): the calendar feeds, a resource's availability, the
week pages and the usage report. Those read from the `replica` alias when one is configured, except
- inside a transaction on the primary: a lock, a write and whatever must see them stay together;
- for a browser that changed something within `REPLICA_PIN_SECONDS` (a cookie set on the answer to every POST, PUT,
  PATCH and DELETE, `PrimaryPinMiddleware`), so the page shown right after a booking shows it while the replica
  catches up.
Booking creation, the conflict check and every other write run on the primary, whatever the view. Migrations run on
the primary only: the replica is a copy of it.
"""
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "primary_pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_reading_replica = ContextVar("reading_replica", default=False)


def replica_configured():
    return REPLICA in settings.DATABASES


@contextmanager
def reading_replica():
    """Reads within go to the replica (see the module docstring for the exceptions)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_for(request):
    """The replica for a safe request from a browser that has not just changed something; else nothing changes."""
    if request.method in SAFE_METHODS and not request.COOKIES.get(PIN_COOKIE):
        return reading_replica()
    return nullcontext()


def replica_reads(view):
    """A function view whose reads may come from the replica (`replica_for`)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with replica_for(request):
            return view(request, *args, **kwargs)
    return wrapped


class ReplicaRouter:
    """Reads marked for the replica go there when it is configured and no transaction is open on the primary;
    everything else, and every write, goes to the primary."""

    def db_for_read(self, model, **hints):
        if _reading_replica.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


class PrimaryPinMiddleware:
    """After a browser changes something, its next pages read from the primary for REPLICA_PIN_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and replica_configured():
            response.set_cookie(PIN_COOKIE, "1", max_age=settings.REPLICA_PIN_SECONDS, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
