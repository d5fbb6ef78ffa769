"""Hostile input from the OpenAPI schema itself: every documented operation, generated requests.

Schemathesis reads the schema drf-spectacular serves at /api/schema (built here in-process, the
same document) and calls the WSGI application with a staff token that may also ingest, so every
operation runs past authentication into validation and the database. Bounded and deterministic
(derandomized, a few examples per operation). Checked: no 5xx, and every documented answer
matches its documented body and content type.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests import factories
from voiceagent.web.throttling import UserOrScopeRateThrottle

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = WSGIHandler()

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def wsgi_keeps_the_test_connection():
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(team, monkeypatch, wsgi_keeps_the_test_connection):
    # Thousands of requests by one user within a minute: the rate limit is not under test here.
    monkeypatch.setattr(
        UserOrScopeRateThrottle, "THROTTLE_RATES", {"user": "100000/min", "ingest": "100000/min"}
    )
    factories.ensure_groups()
    team.staff.groups.add(factories.Group.objects.get(name="ingest"))
    lead = factories.make_lead(team.campaign)
    factories.make_turn(factories.make_call(lead), 1)
    return Token.objects.get_or_create(user=team.staff)[0].key


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_breaks_its_schema(case, staff_token):
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=CHECKS)
