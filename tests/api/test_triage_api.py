"""`triage` in the API: whether the model was sure (`abstained`, `needs_detail`), the question
asked, the candidates and the explanation (neighbours linked to their page), documented in the
OpenAPI schema with an example of each outcome; and `add-detail`, which triages again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from solutions.models import Ticket
from solutions.services import knowledge
from solutions.services import tickets as ticket_services
from tests.solutions.conftest import make_escalated_ticket  # noqa: F401 - a shared fixture
from tests.solutions.triage_results import (
    network_explanation,
    record,
    triage_result,
    unsure_result,
    vague_result,
)

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"


def post(client: Client, url: str, data: Any = None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _submit(org, title="VPN router keeps dropping", body="the vpn and wifi router drop"):
    return ticket_services.ticket_submit(
        organization=org, author=owner_of(org), title=title, body=body
    )


@pytest.fixture
def client(org_with_model, make_key):
    _, plaintext = make_key(org_with_model)
    return bearer(plaintext)


def test_a_sure_triage_carries_its_candidates_and_explanation(org_with_model, client):
    org = org_with_model
    earlier = _submit(org, "VPN disconnects every hour", "vpn drops")
    article = knowledge.article_create(
        organization=org, actor=owner_of(org), title="Resetting the router", body="Reset it."
    )
    ticket = record(
        _submit(org), triage_result(org, explanation=network_explanation(earlier.pk, article.pk))
    )
    triage = client.get(f"{URL}{ticket.number}/").json()["triage"]
    assert triage["abstained"] is False and triage["needs_detail"] is False
    assert triage["follow_up_question"] is None and triage["precision_target"] == 0.95
    assert triage["candidates"] == [
        {"category": "network", "confidence": 0.91},
        {"category": "software", "confidence": 0.05},
        {"category": "hardware", "confidence": 0.03},
    ]
    assert triage["explanation"]["terms"] == [
        {"term": "vpn", "weight": 0.42},
        {"term": "router", "weight": 0.21},
        {"term": "printer", "weight": -0.05},
    ]
    ticket_link, article_link, imported = triage["explanation"]["neighbours"]
    assert ticket_link == {
        "key": f"ticket:{earlier.pk}",
        "label": "network",
        "similarity": 0.87,
        "title": "VPN disconnects every hour",
        "url": f"http://testserver/tickets/{earlier.number}/",
    }
    assert article_link["url"] == f"http://testserver/kb/{article.pk}/"
    assert imported["key"] == "import:INC-2291" and imported["url"] is None


def test_not_sure_and_needs_detail_are_flags_with_the_question(org_with_model, client):
    org = org_with_model
    unsure = record(_submit(org), unsure_result(org))
    body = client.get(f"{URL}{unsure.number}/").json()
    assert body["status"] == "needs_expert" and body["triage"]["abstained"] is True
    assert not any(s["id"] and body["status"] == "ai_suggested" for s in body["suggestions"])

    vague = record(_submit(org, "Help", "it doesn't work"), vague_result(org))
    body = client.get(f"{URL}{vague.number}/").json()
    assert body["status"] == "needs_detail" and body["category"] == ""
    assert body["triage"]["needs_detail"] is True and body["triage"]["category"] == "hardware"
    assert body["triage"]["follow_up_question"] == vague.follow_up_question
    assert body["suggestions"] == []
    listed = client.get(URL, {"status": "needs_detail"}).json()["results"]
    assert [t["id"] for t in listed] == [vague.number]


def test_add_detail_appends_it_and_triages_again(org_with_model, client):
    org = org_with_model
    vague = record(_submit(org, "Help", "it doesn't work"), vague_result(org))
    url = f"{URL}{vague.number}/add-detail/"
    empty = post(client, url, {"detail": ""})
    assert empty.status_code == 400 and "detail" in empty.json()["errors"]
    response = post(client, url, {"detail": "laptop battery and docking monitor dead"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body"].endswith("\n\nlaptop battery and docking monitor dead")
    assert body["triage"]["needs_detail"] is False and body["status"] != "needs_detail"
    assert Ticket.objects.get(pk=vague.pk).events.filter(kind="triaged").count() == 3


def test_add_detail_is_refused_once_an_expert_has_the_ticket(
    org_with_model,
    client,
    make_escalated_ticket,  # noqa: F811 - the fixture imported above
):
    escalated = make_escalated_ticket(org_with_model, author=owner_of(org_with_model))
    response = post(client, f"{URL}{escalated.number}/add-detail/", {"detail": "More detail"})
    assert response.status_code == 400
    assert "before it goes to an expert" in json.dumps(response.json())
    assert Ticket.objects.get(pk=escalated.pk).body == escalated.body


def test_an_unavailable_triage_has_no_prediction_fields(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    response = post(bearer(plaintext), URL, {"title": "Printer", "body": "It jams."})
    assert set(response.json()["triage"]) == {"unavailable", "reason"}


def test_the_schema_documents_the_explanation_with_examples(db):
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    triage = schema["components"]["schemas"]["TriageOutput"]["properties"]
    for field in ("abstained", "needs_detail", "follow_up_question", "candidates", "explanation"):
        assert triage[field].get("description"), field
    explanation = schema["components"]["schemas"]["ExplanationOutput"]["properties"]
    assert set(explanation) == {"terms", "neighbours"}
    neighbour = schema["components"]["schemas"]["NeighbourOutput"]["properties"]
    assert set(neighbour) == {"key", "label", "similarity", "title", "url"}
    assert "needs_detail" in schema["components"]["schemas"]["TicketOutputStatusEnum"]["enum"]
    retrieve = schema["paths"]["/api/v1/tickets/{number}/"]["get"]
    examples = retrieve["responses"]["200"]["content"]["application/json"]["examples"]
    by_summary = {e.get("summary", name): e["value"] for name, e in examples.items()}
    assert set(by_summary) == {"Triaged", "Not sure: needs an expert", "Needs more detail"}
    sure = by_summary["Triaged"]["triage"]
    assert sure["explanation"]["terms"][0] == {"term": "vpn", "weight": 0.42}
    assert sure["explanation"]["neighbours"][0]["url"].endswith("/tickets/31/")
    assert by_summary["Needs more detail"]["triage"]["follow_up_question"]
    create = schema["paths"]["/api/v1/tickets/"]["post"]["responses"]["201"]
    assert len(create["content"]["application/json"]["examples"]) == 3
    assert "/api/v1/tickets/{number}/add-detail/" in schema["paths"]
