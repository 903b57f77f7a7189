"""Shared fixtures. Tests that need PostgreSQL or Redis skip with a reason, or fail under REQUIRE_SERVICES=1."""
import os

import pytest
from django.db import connection

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
def centre(db, staff_user):
    return factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff_user])


@pytest.fixture
def room(centre):
    return factories.make_resource(centre, name="Sala spotkań", capacity=12)


@pytest.fixture
def organisation(member):
    return factories.make_organisation("Stowarzyszenie Aktywni Seniorzy", members=[member])


@pytest.fixture
def open_day(centre):
    """A Tuesday a week or more ahead that is not a public holiday."""
    return factories.next_open_weekday(1, centre=centre)
