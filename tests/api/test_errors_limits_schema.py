"""One error shape (RFC 9457) everywhere, the body-size limit, the plan's rate limit, and the
OpenAPI schema and docs."""

from __future__ import annotations

import io
import json
import re

from django.core.management import call_command
from django.test import Client

from api.errors import problem_exception_handler
from billing.models import Plan
from billing.services import billing_account_for
from billing.services.usage import SpendCapExceeded
from solutions.models import Ticket

from .conftest import bearer

URL = "/api/v1/tickets/"


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_400_names_the_fields(make_org, make_key):
    _, plaintext = make_key(make_org())
    body = _is_problem(
        bearer(plaintext).post(URL, json.dumps({"body": ""}), content_type="application/json"),
        400,
    )
    assert set(body["errors"]) == {"title", "body"}
    assert body["type"].endswith("/validation-error")


def test_service_validation_errors_become_400_problems(make_org, make_key):
    _, plaintext = make_key(make_org())
    body = _is_problem(
        bearer(plaintext).post(
            URL, json.dumps({"title": "x", "body": "y" * 20000}), content_type="application/json"
        ),
        400,
    )
    assert body["errors"]


def test_404_for_unknown_tickets_and_unknown_api_paths(make_org, make_key):
    _, plaintext = make_key(make_org())
    _is_problem(bearer(plaintext).get(f"{URL}999/"), 404)
    _is_problem(Client().get("/api/v1/nothing-here/"), 404)


def test_ids_too_large_for_the_database_are_404_problems(make_org, make_key):
    _, plaintext = make_key(make_org(), scopes=["tickets:read", "tickets:write", "kb:write"])
    client = bearer(plaintext)
    huge = "9" * 30
    for path in (f"{URL}{huge}/", f"{URL}{huge}/close/", f"/api/v1/kb/articles/{huge}/archive/"):
        method = client.get if path.endswith(f"{huge}/") else client.post
        _is_problem(method(path), 404)


def test_415_for_form_bodies(make_org, make_key):
    _, plaintext = make_key(make_org())
    _is_problem(bearer(plaintext).post(URL, {"title": "x", "body": "y"}), 415)


def test_413_for_bodies_over_the_limit(make_org, make_key, settings):
    settings.API_MAX_BODY_BYTES = 1000
    org = make_org()
    _, plaintext = make_key(org)
    response = bearer(plaintext).post(
        URL, json.dumps({"title": "big", "body": "x" * 2000}), content_type="application/json"
    )
    _is_problem(response, 413)
    assert not Ticket.objects.filter(organization=org).exists()


def test_spend_cap_is_a_402_problem():
    response = problem_exception_handler(
        SpendCapExceeded(cap_cents=1000, used_cents=900, act_cents=500), {}
    )
    assert response is not None and response.status_code == 402
    assert response.data["type"].endswith("/spend-cap-exceeded")
    assert "spend cap" in response.data["detail"]


def test_the_plans_rate_limit_answers_429_with_retry_after(make_org, make_key):
    org = make_org()
    plan = Plan.objects.get(code="starter")
    plan.pk = None
    plan.code, plan.api_requests_per_minute = "tiny-api", 2
    plan.save()
    account = billing_account_for(org)
    account.plan = plan
    account.save()
    _, first_key = make_key(org)
    _, second_key = make_key(org)
    client = bearer(first_key)
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200
    throttled = client.get(URL)
    _is_problem(throttled, 429)
    assert 1 <= int(throttled["Retry-After"]) <= 60
    # The organization's budget is shared: another key of the same organization is held too.
    assert bearer(second_key).get(URL).status_code == 429
    other_org = make_org()
    _, other_key = make_key(other_org)
    assert bearer(other_key).get(URL).status_code == 200


def test_the_schema_is_valid_openapi_3_with_the_bearer_scheme(db):
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    schema = json.loads(out.getvalue())
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert create["responses"]["201"]["content"]["application/json"]["examples"]
    served = Client().get("/api/schema/", {"format": "json"})
    assert served.status_code == 200 and json.loads(served.content)["openapi"].startswith("3.")


def test_the_docs_page_loads_without_external_urls(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html
