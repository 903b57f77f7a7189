"""`/metrics` for Prometheus: who may read it, and the series only this service can tell.

Request counts and latencies by view come from django-prometheus's middleware (settings.MIDDLEWARE):
`django_http_requests_total_by_view_transport_method_total`, `django_http_requests_latency_seconds_by_view_method`.
Counted here as they happen: bookings created and requests refused for a conflict (once the transaction commits).
Read from the database and the broker at each scrape: the outbox's unsent and given-up messages, the age of the
oldest unsent one, and the Celery queue's length (left out, with `booking_celery_broker_up 0`, when Redis does
not answer within REDIS_TIMEOUT: a scrape never fails for it).

Under gunicorn each worker process counts its own requests: set PROMETHEUS_MULTIPROC_DIR (docker-compose.yml does)
and the scrape adds up every worker's counts, whichever worker answers it.
"""
import ipaddress
import logging
import os
import secrets

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.backoff import NoBackoff
from redis.retry import Retry

from booking.signals import SeriesAction
from config.clients import client_address
from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

BOOKINGS_CREATED = Counter("booking_bookings_created", "Bookings created (each meeting of a series counts).")
CONFLICTS_REFUSED = Counter("booking_conflicts_refused", "Booking requests refused because the resource was taken.")


# --- counted as it happens (receivers connected in ops.apps) --------------------------------------

def count_booking(sender, booking, from_status, **kwargs):
    if from_status == "":
        transaction.on_commit(BOOKINGS_CREATED.inc)


def count_series(sender, action, bookings, **kwargs):
    if action == SeriesAction.CREATED and bookings:
        transaction.on_commit(lambda: BOOKINGS_CREATED.inc(len(bookings)))


def count_conflict(sender, **kwargs):
    CONFLICTS_REFUSED.inc()


# --- read at each scrape ---------------------------------------------------------------------

class StateCollector:
    """The outbox and the Celery queue as they are now."""

    def collect(self):
        yield from self.outbox()
        yield from self.celery_queues()

    def outbox(self):
        rows = {row["status"]: row for row in OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED],
        ).values("status").annotate(count=Count("id"), oldest=Min("created_at")).order_by()}
        messages = GaugeMetricFamily("booking_outbox_messages", "E-mails in the outbox by status: pending (not sent "
                                     "yet) and failed (given up after NOTIFICATIONS_MAX_ATTEMPTS).", labels=["status"])
        for status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED):
            messages.add_metric([status.value], rows.get(status, {}).get("count", 0))
        yield messages
        oldest = rows.get(OutboxMessage.Status.PENDING, {}).get("oldest")
        age = (timezone.now() - oldest).total_seconds() if oldest else 0
        yield GaugeMetricFamily("booking_outbox_oldest_unsent_age_seconds",
                                "Seconds since the oldest e-mail still unsent was written (0 when none waits).",
                                value=max(age, 0))

    def celery_queues(self):
        if not settings.REDIS_URL:
            return  # tasks run in-process: there is no queue
        up = GaugeMetricFamily("booking_celery_broker_up", "1 when Redis (the Celery broker) answered this scrape.")
        length = GaugeMetricFamily("booking_celery_queue_length", "Tasks waiting in a Celery queue.",
                                   labels=["queue"])
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                                      socket_timeout=settings.REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0))
        try:
            for queue in settings.METRICS_CELERY_QUEUES:
                length.add_metric([queue], client.llen(queue))
        except redis.RedisError as error:
            logger.warning("metrics: the broker did not answer: %s: %s", type(error).__name__, error)
            up.add_metric([], 0)
            yield up
            return
        finally:
            client.close()
        up.add_metric([], 1)
        yield up
        yield length


class ProcessCollector:
    """What this process counted (the default registry), when the counts are not shared between processes."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition():
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(ProcessCollector())
    registry.register(StateCollector())
    return generate_latest(registry)


# --- who may read it ---------------------------------------------------------------------------

def _bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address_allowed(request):
    address = client_address(request)
    if not address:
        return False
    address = ipaddress.ip_address(address)
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS: %r is no address or network", allowed)
    return False


def may_read(request):
    """True for the bearer of METRICS_TOKEN or a caller from METRICS_ALLOWED_IPS; Http404 when neither is set."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        raise Http404
    token = _bearer_token(request)
    if settings.METRICS_TOKEN and token and secrets.compare_digest(token.encode(), settings.METRICS_TOKEN.encode()):
        return True
    return _address_allowed(request)


@never_cache
@require_GET
def metrics(request):
    if not may_read(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
