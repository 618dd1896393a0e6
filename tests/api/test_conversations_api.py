"""The conversation in the API: `/api/v1/tickets/{number}/messages/` for the organization
(originals, internal notes marked) and `/api/v1/expert/tickets/{id}/messages/` for the expert
(masked, no notes; the claim holder posts, others who may see the ticket get a 409, others a
404), with scopes, idempotent retries and the OpenAPI schema."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from solutions.models import Claim, Notification, TicketMessage
from solutions.services import conversations as conv
from solutions.services import experts as expert_services
from solutions.services.expert_api_keys import expert_api_key_create
from tests.solutions import conftest as solutions_fixtures

from .conftest import bearer

make_expert = solutions_fixtures.make_expert
make_escalated_ticket = solutions_fixtures.make_escalated_ticket
PHONE = "+44 20 7946 0958"


def post(client: Client, url: str, data: Any, **extra: Any):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.fixture
def claimed(make_org, make_key, make_expert, make_escalated_ticket):
    org = make_org(name="Acme Corp")
    author = org.memberships.get().user
    ticket = make_escalated_ticket(org, author=author)
    expert = make_expert(skills=("network",))
    expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    _, org_key = make_key(org)
    _, expert_key = expert_api_key_create(expert=expert, actor=expert, name="CLI")
    return {
        "org": org,
        "author": author,
        "ticket": ticket,
        "expert": expert,
        "org_key": org_key,
        "expert_key": expert_key,
        "org_url": f"/api/v1/tickets/{ticket.number}/messages/",
        "expert_url": f"/api/v1/expert/tickets/{ticket.pk}/messages/",
    }


def test_both_sides_talk_through_the_api(claimed):
    org_api, expert_api = bearer(claimed["org_key"]), bearer(claimed["expert_key"])
    asked = post(
        expert_api,
        claimed["expert_url"],
        {"body": "Does it drop on Wi-Fi only?", "kind": "question"},
    )
    assert asked.status_code == 201, asked.content
    assert asked.json()["kind"] == "question" and asked.json()["side"] == "expert"
    assert Claim.objects.get(ticket=claimed["ticket"]).paused_at is not None

    reply = post(org_api, claimed["org_url"], {"body": f"Only on Wi-Fi. Call {PHONE}."})
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert body["side"] == "customer" and body["internal"] is False and PHONE in body["body"]
    assert Claim.objects.get(ticket=claimed["ticket"]).paused_at is None
    note = post(
        org_api, claimed["org_url"], {"body": "Escalate to ops if this fails.", "kind": "note"}
    )
    assert note.status_code == 201 and note.json()["internal"] is True

    listed = org_api.get(claimed["org_url"]).json()
    assert [m["kind"] for m in listed["results"]] == ["question", "message", "note"]
    assert listed["results"][0]["author"] is None  # the expert is anonymous to the customer

    seen = expert_api.get(claimed["expert_url"]).json()["results"]
    assert [m["kind"] for m in seen] == ["question", "message"]  # no note
    assert "[phone]" in seen[1]["body"] and PHONE not in json.dumps(seen)


def test_the_wrong_kind_for_a_side_is_a_400(claimed):
    response = post(
        bearer(claimed["org_key"]), claimed["org_url"], {"body": "x", "kind": "question"}
    )
    assert "kind" in problem(response, 400)["errors"]
    response = post(
        bearer(claimed["expert_key"]), claimed["expert_url"], {"body": "x", "kind": "note"}
    )
    assert "kind" in problem(response, 400)["errors"]
    assert problem(post(bearer(claimed["org_key"]), claimed["org_url"], {}), 400)["errors"]["body"]


def test_a_read_only_key_cant_post(claimed, make_key):
    _, read_only = make_key(claimed["org"], scopes=["tickets:read"])
    assert bearer(read_only).get(claimed["org_url"]).status_code == 200
    problem(post(bearer(read_only), claimed["org_url"], {"body": "hi"}), 403)


def test_a_message_before_an_expert_holds_the_ticket_is_refused_and_a_note_is_not(
    make_org, make_key, make_escalated_ticket
):
    org = make_org()
    ticket = make_escalated_ticket(org, author=org.memberships.get().user)
    _, key = make_key(org)
    url = f"/api/v1/tickets/{ticket.number}/messages/"
    assert "while an expert holds" in problem(post(bearer(key), url, {"body": "hi"}), 400)["detail"]
    assert post(bearer(key), url, {"body": "hi", "kind": "note"}).status_code == 201


def test_only_the_claim_holder_posts_others_get_409_or_404(
    claimed, make_expert, make_escalated_ticket
):
    # An expert of the same skills sees a queued ticket but holds no claim on it: a 409.
    queued = make_escalated_ticket(claimed["org"], author=claimed["author"])
    url = f"/api/v1/expert/tickets/{queued.pk}/messages/"
    body = problem(post(bearer(claimed["expert_key"]), url, {"body": "hi"}), 409)
    assert body["type"].endswith("/no-active-claim")
    assert bearer(claimed["expert_key"]).get(url).json()["results"] == []
    # Another expert can't see the claimed ticket at all: 404 on both methods.
    other = make_expert(skills=("network",))
    _, other_key = expert_api_key_create(expert=other, actor=other, name="CLI")
    problem(bearer(other_key).get(claimed["expert_url"]), 404)
    problem(post(bearer(other_key), claimed["expert_url"], {"body": "hi"}), 404)
    # After a release the former holder still reads the thread, but gets a 409 to post.
    claim = Claim.objects.get(ticket=claimed["ticket"], status=Claim.Status.ACTIVE)
    expert_services.expert_release_claim(expert=claimed["expert"], claim_id=claim.pk)
    assert bearer(claimed["expert_key"]).get(claimed["expert_url"]).status_code == 200
    problem(post(bearer(claimed["expert_key"]), claimed["expert_url"], {"body": "hi"}), 409)


def test_another_organization_gets_a_404(claimed, make_org, make_key):
    _, other_key = make_key(make_org())
    problem(bearer(other_key).get(claimed["org_url"]), 404)
    problem(post(bearer(other_key), claimed["org_url"], {"body": "x", "kind": "note"}), 404)
    assert not TicketMessage.objects.exists()


def test_a_retry_with_the_same_idempotency_key_posts_once(claimed):
    org_api = bearer(claimed["org_key"])
    first = post(org_api, claimed["org_url"], {"body": "Hello"}, HTTP_IDEMPOTENCY_KEY="msg-1")
    again = post(org_api, claimed["org_url"], {"body": "Hello"}, HTTP_IDEMPOTENCY_KEY="msg-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and first.json() == again.json()
    assert TicketMessage.objects.count() == 1
    assert Notification.objects.filter(kind=conv.NOTIFICATION_KIND).count() == 1


def test_the_schema_describes_both_conversations(db):
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    paths = json.loads(out.getvalue())["paths"]
    org, expert = (
        paths["/api/v1/tickets/{number}/messages/"],
        paths["/api/v1/expert/tickets/{id}/messages/"],
    )
    assert set(org) >= {"get", "post"} and set(expert) >= {"get", "post"}
    assert org["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert "409" in expert["post"]["responses"] and "404" in expert["get"]["responses"]
    schema = json.dumps(expert["get"]["responses"]["200"])
    assert "ExpertMessageOutput" in schema
