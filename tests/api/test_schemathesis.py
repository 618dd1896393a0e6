"""Schemathesis fuzzes every operation of /api/schema/ with a real key of an organization that
has a champion model, tickets and articles: no response may be a 5xx, and every response
(status, content type, headers, body) must be what the schema says."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.models import Plan
from solutions.services import knowledge as kb
from solutions.services import tickets as ticket_services

from .conftest import owner_of

SCOPES = ["tickets:read", "tickets:write", "kb:write", "usage:read"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_auth: dict[str, str] = {}


@pytest.fixture
def api_schema(org_with_model, make_key):
    org = org_with_model
    # The fuzzer sends hundreds of requests a minute; the plan's limit would answer most of
    # them 429 (which the schema documents), leaving the endpoints themselves unexercised.
    Plan.objects.update(api_requests_per_minute=1_000_000)
    for i in range(3):
        ticket_services.ticket_submit(
            organization=org, author=owner_of(org), title=f"VPN drop {i}", body="vpn router drop"
        )
        kb.article_create(organization=org, actor=None, title=f"Article {i}", body="Body")
    _, plaintext = make_key(org, scopes=SCOPES)
    _auth["Authorization"] = f"Bearer {plaintext}"
    # Schemathesis calls the real WSGI app, whose request signals would close the test's
    # database connection (and its transaction); Django's own test client detaches them too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded once at collection: generating the schema reads no data.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_and_never_fails(api_schema, case):
    case.call_and_validate(headers=dict(_auth), checks=CHECKS)
