"""Shared fixtures. Tests that need PostgreSQL or Redis skip with a reason, or fail under REQUIRE_SERVICES=1."""
import os

import django.test
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils import translation

from config.celery import app as celery_app
from config.publisher import publisher
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(reason):
    """Skip for want of a service; under REQUIRE_SERVICES=1 (CI) that is a failure instead."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the suite's PostgreSQL pass (`make test` runs both databases)")


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's language: a page served in English leaves English active in the thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counts live in the cache: each test starts from none, whatever the tests before it sent."""
    cache.clear()


@pytest.fixture(autouse=True)
def celery_broker():
    """This process's Celery app: eager (the embedded default) unless a test calls the fixture with a broker URL."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def use(url):
        publisher.drain()  # what the background publisher holds goes to the broker it was queued for
        # The app caches its broker connection pools; forget them so that the next publish uses the new URL.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        conf.broker_url, conf.task_always_eager = (url, False) if url else ("memory://", True)

    use(None)
    yield use
    use(None)
    conf.broker_url, conf.task_always_eager = saved


class Client(django.test.Client):
    """Django's test client, whose login() authenticates without a request, which django-axes (the login
    lockout) refuses: it logs in with a request, as the login page does."""

    def login(self, **credentials):
        return super().login(request=HttpRequest(), **credentials)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def redis_url():
    """A reachable Redis (REDIS_TEST_URL, default database 15 on localhost)."""
    import redis

    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        need_service(f"Redis at {url} is unreachable: {error}")
    return url


@pytest.fixture
def staff_user(db):
    return factories.make_user("anna", first_name="Anna", last_name="Nowak")


@pytest.fixture
def member(db):
    return factories.make_user("jan", first_name="Jan", last_name="Kowalski")


@pytest.fixture
def english_member(member):
    """The member, reading the service (e-mails, feeds) in English."""
    member.language = "en"
    member.save(update_fields=["language"])
    return member


@pytest.fixture
def english_staff(staff_user):
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])
    return staff_user


@pytest.fixture
def centre(db, staff_user):
    return factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff_user])


@pytest.fixture
def room(centre):
    return factories.make_resource(centre, name="Sala spotkań", capacity=12)


@pytest.fixture
def organisation(member, centre):
    """Hosted by `centre`, whose staff look after it."""
    return factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member], centres=[centre])


@pytest.fixture
def open_day(centre):
    """A Tuesday a week or more ahead that is not a public holiday."""
    return factories.next_open_weekday(1, centre=centre)


@pytest.fixture
def letters_town(db, staff_user, member, centre, organisation):
    """CAS (Anna's) hosts the seniors (Jan) and a cycling club (Ewa); CPS (Piotr's) hosts a choir (Ola)."""
    ewa = factories.make_user("ewa", first_name="Ewa", last_name="Zielińska")
    club = factories.make_organisation("Klub Rowerowy", members=[ewa], centres=[centre], krs="0000123456")
    piotr = factories.make_user("piotr")
    ola = factories.make_user("ola")
    cps = factories.make_centre("Centrum Pracy Socjalnej", staff=[piotr])
    choir = factories.make_organisation("Chór Harmonia", members=[ola], centres=[cps])
    return type("Town", (), {"anna": staff_user, "jan": member, "seniors": organisation, "ewa": ewa, "club": club,
                             "cas": centre, "piotr": piotr, "ola": ola, "cps": cps, "choir": choir})
