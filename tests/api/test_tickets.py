"""The ticket endpoints: the same services as the pages (timeline, triage, usage), scopes,
and isolation between organizations on every endpoint."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import UsageRecord
from billing.services import billing_account_for
from solutions.models import Ticket, TicketEvent
from solutions.services import tickets as ticket_services

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"


def post(client: Client, url: str, data: Any = None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _submit(org, title="VPN router keeps dropping", body="the vpn and wifi router drop"):
    return ticket_services.ticket_submit(
        organization=org, author=owner_of(org), title=title, body=body
    )


def test_create_via_the_api_is_a_ticket_like_the_browsers(org_with_model, make_key):
    org = org_with_model
    key, plaintext = make_key(org)
    response = post(
        bearer(plaintext),
        URL,
        {"title": "VPN router keeps dropping", "body": "the vpn and wifi router drop"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(organization=org, number=body["id"])
    assert ticket.author == key.created_by
    assert body["status"] == ticket.status
    assert body["triage"]["category"] in {"access", "hardware", "network", "software"}
    assert body["triage"]["model_version"] == 1
    assert 0 <= body["triage"]["confidence"] <= 1
    assert body["suggestions"], body
    first = body["suggestions"][0]
    assert set(first) == {
        "id",
        "title",
        "answer",
        "passage",
        "score",
        "probability",
        "weak",
        "proposed",
        "source_url",
        "source",
    }
    assert set(first["source"]) == {"kind", "key"}
    assert body["links"]["self"].endswith(f"/api/v1/tickets/{ticket.number}/")
    assert body["links"]["web"].endswith(f"/tickets/{ticket.number}/")
    assert TicketEvent.objects.filter(ticket=ticket, kind="submitted").exists()
    assert UsageRecord.objects.filter(organization=org, kind=UsageRecord.Kind.API_CALL).count() == 1


def test_triage_unavailable_is_said_plainly(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    response = post(bearer(plaintext), URL, {"title": "Printer", "body": "It jams."})
    assert response.status_code == 201
    assert response.json()["triage"]["unavailable"] is True
    assert response.json()["triage"]["reason"]


def test_scopes_are_enforced(make_org, make_key):
    org = make_org()
    ticket = _submit(org)
    _, read_only = make_key(org, scopes=["tickets:read"])
    _, write_only = make_key(org, scopes=["tickets:write"])
    _, kb_only = make_key(org, scopes=["kb:write"])
    assert bearer(read_only).get(f"{URL}{ticket.number}/").status_code == 200
    refused = post(bearer(read_only), URL, {"title": "x", "body": "y"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API key lacks the tickets:write scope."
    assert refused["Content-Type"] == "application/problem+json"
    assert post(bearer(read_only), f"{URL}{ticket.number}/close/").status_code == 403
    assert bearer(write_only).get(URL).status_code == 403
    assert bearer(kb_only).get(f"{URL}{ticket.number}/").status_code == 403
    assert not Ticket.objects.filter(title="x").exists()


def test_list_filters_and_cursor_pagination(make_org, make_key):
    org = make_org()
    for i in range(5):
        _submit(org, title=f"Printer {i}", body="the printer jams")
    _submit(org, title="Laptop screen", body="flickers")
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    page = client.get(URL, {"limit": 4}).json()
    assert [t["id"] for t in page["results"]] == [6, 5, 4, 3]
    rest = client.get(page["next"]).json()
    assert [t["id"] for t in rest["results"]] == [2, 1] and rest["next"] is None
    assert [t["id"] for t in client.get(URL, {"search": "laptop"}).json()["results"]] == [6]
    assert client.get(URL, {"status": "closed"}).json()["results"] == []
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(URL, {"created_after": later}).json()["results"] == []
    assert len(client.get(URL, {"created_before": later}).json()["results"]) == 6
    bad = client.get(URL, {"created_after": "yesterday"})
    assert bad.status_code == 400 and "created_after" in bad.json()["errors"]


def test_correct_escalate_with_price_check_and_close(make_org, make_key):
    org = make_org()
    ticket_services.solution_settings_update(
        organization=org, actor=owner_of(org), auto_answer_threshold=0.8, categories=["network"]
    )
    ticket = _submit(org)
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    detail = f"{URL}{ticket.number}/"
    unknown = post(client, f"{detail}correct/", {"category": "plumbing"})
    assert unknown.status_code == 400 and "category" in unknown.json()["errors"]
    corrected = post(client, f"{detail}correct/", {"category": "network", "priority": "high"})
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["category"] == "network" and corrected.json()["priority"] == "high"
    price = ticket_services.escalation_price_cents(Ticket.objects.get(pk=ticket.pk))
    conflict = post(client, f"{detail}escalate/", {"confirmed_price_cents": price + 1})
    assert conflict.status_code == 409
    assert conflict.json()["current_price_cents"] == price
    escalated = post(client, f"{detail}escalate/", {"confirmed_price_cents": price})
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").exists()
    refused = post(client, f"{detail}rate/", {"answer": 999, "score": 5})
    assert refused.status_code == 400 and refused.json()["detail"]
    other = _submit(org)
    closed = post(client, f"{URL}{other.number}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_feedback_on_a_suggestion_resolves_the_ticket(org_with_model, make_key):
    org = org_with_model
    ticket = _submit(org)
    suggestion = ticket.suggestions.first()
    assert suggestion is not None
    _, plaintext = make_key(org)
    response = post(
        bearer(plaintext),
        f"{URL}{ticket.number}/feedback/",
        {"suggestion": suggestion.pk, "helpful": True},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"


def test_a_read_only_subscription_refuses_new_tickets_with_403(make_org, make_key, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    org = make_org()
    account = billing_account_for(org)
    account.status = "canceled"
    account.save()
    _, plaintext = make_key(org)
    response = post(bearer(plaintext), URL, {"title": "Printer", "body": "It jams."})
    assert response.status_code == 403
    assert response.json()["type"].endswith("billing-read-only")
    assert not Ticket.objects.filter(organization=org).exists()
    assert bearer(plaintext).get(URL).status_code == 200


def test_browser_session_members_can_read_their_organizations_tickets(make_org, login):
    org = make_org()
    ticket = _submit(org)
    client = login(owner_of(org))
    assert client.get(f"{URL}{ticket.number}/").json()["id"] == ticket.number


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unsupported_methods_are_405_problems(make_org, make_key, method):
    org = make_org()
    ticket = _submit(org)
    _, plaintext = make_key(org)
    response = getattr(bearer(plaintext), method)(f"{URL}{ticket.number}/")
    assert response.status_code == 405
    assert response.json()["status"] == 405
