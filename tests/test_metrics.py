"""`/metrics`: Prometheus's exposition format with the service's series, for the token's bearer or the allowed
addresses only."""
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from booking.exceptions import BookingConflict
from booking.models import BookingSeries
from notifications.models import OutboxMessage
from tests import factories

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


def scrape(client, token=TOKEN, **extra):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def value(families, name, **labels):
    return next((sample.value for sample in families[name].samples
                 if sample.name == families[name].name + ("_total" if families[name].type == "counter" else "")
                 and all(sample.labels.get(key) == wanted for key, wanted in labels.items())), None)


def test_metrics_are_off_without_a_token_or_addresses(client, settings, db):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer "])
def test_without_the_token_the_answer_is_403(client, metrics_token, db, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 403
    assert b"booking_" not in response.content


def test_allowed_addresses_need_no_token(client, settings, db):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8", "192.0.2.7", "not-an-address"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8").status_code == 403
    # Not fooled by an invented X-Forwarded-For without a proxy in front (NUM_PROXIES=0).
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403


def test_requests_bookings_conflicts_and_the_outbox(client, metrics_token, member, room, organisation, open_day,
                                                    django_capture_on_commit_callbacks):
    before = scrape(client)
    assert client.get("/en/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
        series = factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day,
                                       hour=12, rrule="FREQ=WEEKLY;COUNT=3", mode=BookingSeries.Mode.SKIP_CONFLICTS)
    with pytest.raises(BookingConflict):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10)
    OutboxMessage.objects.all().delete()
    OutboxMessage.objects.create(recipient="a@example.org", kind="booking_confirmed", language="pl",
                                 created_at=timezone.now() - timedelta(minutes=20))
    OutboxMessage.objects.create(recipient="b@example.org", kind="booking_confirmed", language="pl")
    OutboxMessage.objects.create(recipient="c@example.org", kind="booking_confirmed", language="pl",
                                 status=OutboxMessage.Status.FAILED, attempts=5)
    OutboxMessage.objects.create(recipient="d@example.org", kind="booking_confirmed", language="pl",
                                 status=OutboxMessage.Status.SENT, created_at=timezone.now() - timedelta(days=1))

    after = scrape(client)

    requests = "django_http_requests_total_by_view_transport_method"
    assert value(after, requests, view="web:home", method="GET") >= 1
    assert any(sample.labels.get("view") == "metrics" for sample in after[requests].samples)
    latency = after["django_http_requests_latency_seconds_by_view_method"]
    assert latency.type == "histogram"
    assert any(s.name.endswith("_count") and s.labels["view"] == "web:home" and s.value >= 1 for s in latency.samples)
    created = value(after, "booking_bookings_created") - value(before, "booking_bookings_created")
    assert created == 1 + len(series.bookings)
    assert value(after, "booking_conflicts_refused") - value(before, "booking_conflicts_refused") == 1
    assert value(after, "booking_outbox_messages", status="pending") == 2
    assert value(after, "booking_outbox_messages", status="failed") == 1
    assert 20 * 60 <= value(after, "booking_outbox_oldest_unsent_age_seconds") < 21 * 60
    assert "booking_celery_queue_length" not in after  # no broker: tasks run in-process


def test_an_empty_outbox_is_zero(client, metrics_token, db):
    families = scrape(client)
    assert value(families, "booking_outbox_messages", status="pending") == 0
    assert value(families, "booking_outbox_oldest_unsent_age_seconds") == 0


@pytest.mark.redis
def test_the_celery_queue_length_is_read_from_redis(client, metrics_token, settings, redis_url, db):
    settings.REDIS_URL = redis_url
    broker = redis.Redis.from_url(redis_url)
    broker.delete("celery")
    broker.rpush("celery", "task-1", "task-2", "task-3")
    try:
        families = scrape(client)
    finally:
        broker.delete("celery")
    assert value(families, "booking_celery_queue_length", queue="celery") == 3
    assert value(families, "booking_celery_broker_up") == 1


def test_a_silent_redis_leaves_the_queue_out_and_the_scrape_answers(client, metrics_token, settings, db):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    families = scrape(client)
    assert value(families, "booking_celery_broker_up") == 0
    assert "booking_celery_queue_length" not in families
    assert value(families, "booking_outbox_messages", status="pending") == 0
