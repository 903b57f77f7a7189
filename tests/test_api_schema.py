"""The OpenAPI schema is valid, and the API keeps to it: schemathesis fuzzes every operation in process.

API_FUZZ_EXAMPLES sets Hypothesis's max_examples per operation (default 150; with schemathesis's own
boundary and negative cases that makes some 150-270 cases per operation), each sent as a member and as
centre staff. No answer may be a 5xx, have an undocumented status or content type, or break its documented
schema, and input that breaks the schema must be refused. The fuzzing takes minutes, so it runs in the
PostgreSQL pass only, where the database is strictest (NUL characters, integer ranges).
"""
import os
from datetime import timedelta

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.authentication import issue_token
from booking.agreements import issue_agreement
from booking.certificates import issue_certificate
from booking.feeds import create_feed_token
from booking.models import FeedToken, Resource
from config.wsgi import application
from tests import factories

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "150"))


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "/api/v1/bookings/{id}/approve/" in (tmp_path / "schema.yml").read_text()


@pytest.fixture
def fuzz_world(db, settings):
    """A centre with every kind of resource, bookings in each state, members, a coordinator and staff."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    staff = factories.make_user("fuzz-staff")
    member = factories.make_user("fuzz-member")
    centre = factories.make_centre(staff=[staff])
    room = factories.make_resource(centre, name="Sala", capacity=20)
    factories.make_resource(centre, kind=Resource.Kind.LOCKER, units=10)
    factories.make_resource(centre, kind=Resource.Kind.ACCOMMODATION, units=6)
    organisation = factories.make_organisation(coordinators=[member])
    factories.make_organisation(members=[factories.make_user("fuzz-other")])
    day = factories.next_open_weekday(1, centre=centre)
    for hour in (8, 10, 12, 14):
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=day, hour=hour,
                               title=f"Spotkanie {hour}")
    create_feed_token(owner=member, scope=FeedToken.Scope.ORGANISATION, organisation=organisation)
    # Documents to list and download (PDFs): an in-kind certificate and a lending agreement.
    issue_certificate(actor=staff, centre=centre, organisation=organisation, first_day=day - timedelta(days=60),
                      last_day=day - timedelta(days=30))
    factories.make_agreement_template(centre)
    issue_agreement(actor=staff, centre=centre, organisation=organisation)
    create_feed_token(owner=staff, scope=FeedToken.Scope.CENTRE, centre=centre)
    # As Django's test client does: the in-process requests must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"member": member, "staff": staff}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


# Loaded at collection: generating the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.postgres
@schema.parametrize()
# Derandomised in CI, so that a submission's verdict does not depend on the draw; random everywhere else.
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=os.environ.get("CI") == "true",
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_keeps_to_its_schema(case, fuzz_world):
    for role in ("member", "staff"):
        # A fresh token per call: the fuzzer also calls DELETE /auth/token/, which signs a token out.
        token = issue_token(fuzz_world[role])
        # Refusing well-formed input is the API's job (rules, conflicts), so positive data may get a 400.
        case.call_and_validate(headers={"Authorization": f"Token {token}"},
                               excluded_checks=[positive_data_acceptance])
