"""The expert endpoints: the queue and tickets as the expert pages show them (masked, only what
`expert_queue` / `expert_ticket_visible` allow), claim → answer through the same services,
expert keys kept apart from organization keys, and the shared plumbing (problems,
idempotency, rate limit) for calls that act for no organization."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiKey
from api import services as api_services
from api.models import IdempotencyRecord
from billing.models import UsageRecord
from solutions.models import Claim, ExpertAnswer, ExpertProfile, Ticket
from solutions.services import experts as expert_services
from solutions.services.expert_api_keys import expert_api_key_create, expert_api_keys
from tests.solutions import conftest as solutions_fixtures

from .conftest import bearer, owner_of

# The expert-side fixtures, shared with tests/solutions.
make_expert = solutions_fixtures.make_expert
make_escalated_ticket = solutions_fixtures.make_escalated_ticket

QUEUE = "/api/v1/expert/queue/"
ANSWER = "Renew the DHCP lease on the office router, then restart the VPN client."


def tickets_url(ticket: Ticket, action: str = "") -> str:
    return f"/api/v1/expert/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


def post(client: Client, url: str, data: Any = None, **extra: Any):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.fixture
def expert_key(make_expert):
    """An expert (skills network, hardware) and the plaintext of their own key."""

    def make(**profile: Any) -> tuple[Any, str]:
        expert = make_expert(**profile)
        _, plaintext = expert_api_key_create(expert=expert, actor=expert, name="CLI")
        return expert, plaintext

    return make


@pytest.fixture
def org(make_org):
    return make_org()


def escalated(make_escalated_ticket, org, **fields: Any) -> Ticket:
    fields.setdefault("author", owner_of(org))
    return make_escalated_ticket(org, **fields)


# ---------------------------------------------------------------- the queue and one ticket


def test_the_queue_is_masked_and_only_what_the_expert_may_see(
    org, make_org, make_escalated_ticket, expert_key
):
    expert, plaintext = expert_key(skills=("network",))
    secret_title = "VPN for jane.doe@acme.example drops"
    secret_body = "Password hunter2 for jane.doe@acme.example, call +1 555 0100."
    visible = escalated(
        make_escalated_ticket,
        org,
        title=secret_title,
        body=secret_body,
        masked_title="VPN for [email] drops",
        masked_body="Password [secret] for [email], call [phone].",
    )
    # Another organization's matching ticket is in the queue too: experts serve every org.
    other_org = make_org()
    critical = escalated(make_escalated_ticket, other_org, priority="critical")
    escalated(make_escalated_ticket, org, category="printing")  # not a skill
    not_escalated = escalated(make_escalated_ticket, org)
    Ticket.objects.filter(pk=not_escalated.pk).update(status=Ticket.Status.AI_SUGGESTED)

    response = bearer(plaintext).get(QUEUE)
    assert response.status_code == 200, response.content
    page = response.json()
    assert [t["id"] for t in page["results"]] == [critical.pk, visible.pk]  # most urgent first
    item = page["results"][1]
    assert item["title"] == "VPN for [email] drops"
    assert item["body"] == "Password [secret] for [email], call [phone]."
    assert item["category"] == "network" and item["priority"] == "high"
    # Net pay: the $80 price less the Starter plan's 20% commission; never the customer's price.
    assert item["net_pay_cents"] == 6400 and "price_cents" not in item and item["sla_hours"] == 4
    assert item["links"]["self"].endswith(f"/api/v1/expert/tickets/{visible.pk}/")
    assert item["links"]["web"].endswith(f"/experts/tickets/{visible.pk}/")
    raw = response.content.decode()
    for leaked in ("jane.doe", "hunter2", "555 0100", org.name, org.slug, "organization"):
        assert leaked not in raw
    assert page["count"] == 2

    first = bearer(plaintext).get(QUEUE, {"limit": 1}).json()
    assert [t["id"] for t in first["results"]] == [critical.pk] and first["next"]
    rest = bearer(plaintext).get(first["next"]).json()
    assert [t["id"] for t in rest["results"]] == [visible.pk] and rest["next"] is None


def test_unvetted_and_unavailable_experts_see_an_empty_queue(
    org, make_escalated_ticket, expert_key
):
    escalated(make_escalated_ticket, org)
    _, unvetted = expert_key(vetted=False)
    _, away = expert_key(available=False)
    assert bearer(unvetted).get(QUEUE).json()["results"] == []
    assert bearer(away).get(QUEUE).json()["results"] == []


def test_a_ticket_the_expert_cannot_see_is_404_on_every_endpoint(
    org, make_escalated_ticket, expert_key
):
    _, plaintext = expert_key(skills=("network",))
    printing = escalated(make_escalated_ticket, org, category="printing")
    client = bearer(plaintext)
    problem(client.get(tickets_url(printing)), 404)
    for action in ("claim", "release", "answer"):
        problem(post(client, tickets_url(printing, action), {"body": ANSWER}), 404)
    problem(client.get("/api/v1/expert/tickets/999999/"), 404)
    problem(post(client, "/api/v1/expert/tickets/999999/claim/"), 404)
    assert client.get("/api/v1/expert/tickets/abc/").status_code == 404
    assert not Claim.objects.exists() and not ExpertAnswer.objects.exists()
    printing.refresh_from_db()
    assert printing.status == Ticket.Status.ESCALATED


# ---------------------------------------------------------------- claim → answer → accept


def test_claim_and_answer_through_the_api_and_the_organization_accepts_it(
    org, make_key, make_escalated_ticket, expert_key, login
):
    expert, plaintext = expert_key()
    ticket = escalated(make_escalated_ticket, org, masked_title="VPN drops (masked)")
    client = bearer(plaintext)

    detail = client.get(tickets_url(ticket)).json()
    assert detail["status"] == "escalated" and detail["claim"] is None
    assert detail["title"] == "VPN drops (masked)"

    claimed = post(client, tickets_url(ticket, "claim"))
    assert claimed.status_code == 200, claimed.content
    body = claimed.json()
    assert body["status"] == "claimed"
    assert body["claim"]["status"] == "active"
    claim = Claim.objects.get(ticket=ticket, expert=expert, status=Claim.Status.ACTIVE)
    assert body["claim"]["id"] == claim.pk
    assert client.get(QUEUE).json()["results"] == []  # out of the queue, still readable
    assert client.get(tickets_url(ticket)).json()["claim"]["id"] == claim.pk

    answered = post(client, tickets_url(ticket, "answer"), {"body": ANSWER})
    assert answered.status_code == 201, answered.content
    answer = ExpertAnswer.objects.get(ticket=ticket)
    assert answered.json() == {
        "id": answer.pk,
        "ticket": ticket.pk,
        "claim": claim.pk,
        "body": ANSWER,
        "status": "submitted",
        "net_pay_cents": 6400,
        "created_at": answered.json()["created_at"],
    }
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ANSWERED and ticket.assignee == expert
    after = client.get(tickets_url(ticket)).json()
    assert after["status"] == "answered" and after["claim"] is None

    # The organization sees the answer and accepts it through its own API.
    _, org_key = make_key(org)
    org_client = bearer(org_key)
    org_url = f"/api/v1/tickets/{ticket.number}/"
    assert org_client.get(org_url).json()["status"] == "answered"
    page = login(owner_of(org)).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Renew the DHCP lease" in page
    rated = post(org_client, f"{org_url}rate/", {"answer": answer.pk, "score": 5})
    assert rated.status_code == 200, rated.content
    assert rated.json()["status"] == "resolved"
    assert ExpertProfile.objects.get(user=expert).rating_count == 1


def test_release_hands_the_ticket_back(org, make_escalated_ticket, expert_key):
    expert, plaintext = expert_key()
    ticket = escalated(make_escalated_ticket, org)
    client = bearer(plaintext)
    assert post(client, tickets_url(ticket, "claim")).status_code == 200
    released = post(client, tickets_url(ticket, "release"))
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "escalated" and released.json()["claim"] is None
    assert Claim.objects.get(ticket=ticket, expert=expert).status == Claim.Status.RELEASED
    assert [t["id"] for t in client.get(QUEUE).json()["results"]] == [ticket.pk]
    again = problem(post(client, tickets_url(ticket, "release")), 409)
    assert again["type"].endswith("/no-active-claim")


def test_a_second_experts_claim_is_a_409_problem(org, make_escalated_ticket, expert_key):
    first, first_key = expert_key()
    _, second_key = expert_key()
    _, outsider_key = expert_key(skills=("printing",))
    ticket = escalated(make_escalated_ticket, org)
    assert post(bearer(first_key), tickets_url(ticket, "claim")).status_code == 200
    lost = problem(post(bearer(second_key), tickets_url(ticket, "claim")), 409)
    assert lost["type"].endswith("/already-claimed")
    assert lost["detail"] == expert_services.CLAIMED_FIRST
    # The ticket has left the second expert's queue: its page is a 404, as on /experts/.
    problem(bearer(second_key).get(tickets_url(ticket)), 404)
    problem(post(bearer(second_key), tickets_url(ticket, "answer"), {"body": ANSWER}), 404)
    # An expert of other skills learns nothing about it.
    problem(post(bearer(outsider_key), tickets_url(ticket, "claim")), 404)
    assert Claim.objects.get(ticket=ticket).expert == first


def test_service_refusals_are_400_or_409_problems_never_500(org, make_escalated_ticket, expert_key):
    _, unvetted = expert_key(vetted=False)
    ticket = escalated(make_escalated_ticket, org)
    refused = problem(post(bearer(unvetted), tickets_url(ticket, "claim")), 400)
    assert refused["detail"] == "Only vetted experts can claim tickets."

    expert, plaintext = expert_key()
    client = bearer(plaintext)
    no_claim = problem(post(client, tickets_url(ticket, "answer"), {"body": ANSWER}), 409)
    assert no_claim["type"].endswith("/no-active-claim")
    assert post(client, tickets_url(ticket, "claim")).status_code == 200
    short = problem(post(client, tickets_url(ticket, "answer"), {"body": "Reboot."}), 400)
    assert "body" in short["errors"]
    assert problem(post(client, tickets_url(ticket, "answer"), {}), 400)["errors"]["body"]
    problem(post(client, tickets_url(ticket, "answer"), ["not", "an", "object"]), 400)
    problem(client.post(tickets_url(ticket, "answer"), {"body": ANSWER}), 415)

    Claim.objects.filter(ticket=ticket).update(due_at=timezone.now() - timedelta(minutes=1))
    lapsed = problem(post(client, tickets_url(ticket, "answer"), {"body": ANSWER}), 400)
    assert "lapsed" in lapsed["detail"]
    assert not ExpertAnswer.objects.exists()

    other = escalated(make_escalated_ticket, org)
    ExpertProfile.objects.filter(user=expert).update(max_concurrent_claims=0)
    at_limit = problem(post(client, tickets_url(other, "claim")), 400)
    assert "limit" in at_limit["detail"]


# ---------------------------------------------------------------- keys and sessions


def test_an_organization_key_is_refused_on_expert_endpoints(org, make_key, make_escalated_ticket):
    # Even when the key's creator is an expert: the key speaks for the organization.
    ticket = escalated(make_escalated_ticket, org)
    ExpertProfile.objects.create(
        user=owner_of(org), headline="Owner", skills=["network"], vetted=True
    )
    _, org_key = make_key(org)
    for response in (
        bearer(org_key).get(QUEUE),
        bearer(org_key).get(tickets_url(ticket)),
        post(bearer(org_key), tickets_url(ticket, "claim")),
    ):
        body = problem(response, 403)
        assert "expert API key" in body["detail"]
    assert not Claim.objects.exists()


def test_an_expert_key_is_refused_on_organization_endpoints(org, make_escalated_ticket):
    # An expert who is also a member of an organization: their expert key still can't act
    # for the organization.
    owner = owner_of(org)
    ExpertProfile.objects.create(user=owner, headline="Owner", skills=["network"], vetted=True)
    ticket = escalated(make_escalated_ticket, org)
    _, plaintext = expert_api_key_create(expert=owner, actor=owner, name="mine")
    client = bearer(plaintext)
    for response in (
        client.get("/api/v1/tickets/"),
        client.get(f"/api/v1/tickets/{ticket.number}/"),
        post(client, "/api/v1/tickets/", {"title": "x", "body": "y"}),
        post(client, f"/api/v1/tickets/{ticket.number}/close/"),
    ):
        body = problem(response, 403)
        assert "/api/v1/expert/" in body["detail"]
    assert Ticket.objects.filter(organization=org).count() == 1
    assert not UsageRecord.objects.filter(kind=UsageRecord.Kind.API_CALL).exists()


def test_revoked_and_expired_expert_keys_are_401(make_expert):
    expert = make_expert()
    key, plaintext = expert_api_key_create(expert=expert, actor=expert, name="CLI")
    assert bearer(plaintext).get(QUEUE).status_code == 200
    account_services.api_key_revoke(actor=expert, key=key)
    response = bearer(plaintext).get(QUEUE)
    problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")

    expiring, plaintext2 = expert_api_key_create(
        expert=expert, actor=expert, name="CI", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert bearer(plaintext2).get(QUEUE).status_code == 200
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    problem(bearer(plaintext2).get(QUEUE), 401)

    _, plaintext3 = expert_api_key_create(expert=expert, actor=expert, name="CD")
    expert.is_active = False
    expert.save()
    problem(bearer(plaintext3).get(QUEUE), 401)


def test_a_key_of_a_user_who_is_no_longer_an_expert_is_403(make_expert):
    expert = make_expert()
    _, plaintext = expert_api_key_create(expert=expert, actor=expert, name="CLI")
    ExpertProfile.objects.filter(user=expert).delete()
    problem(bearer(plaintext).get(QUEUE), 403)


def test_sessions_work_for_experts_and_others_are_told_why(
    org, make_escalated_ticket, make_expert, make_user, login
):
    """Every expert route refuses non-experts (tests/test_route_access.py); the refusal says
    what is missing."""
    ticket = escalated(make_escalated_ticket, org)
    expert = make_expert()
    client = login(expert)
    assert [t["id"] for t in client.get(QUEUE).json()["results"]] == [ticket.pk]
    assert post(client, tickets_url(ticket, "claim")).status_code == 200
    assert Claim.objects.get(ticket=ticket).expert == expert
    for user in (make_user(), owner_of(org)):
        assert "expert" in problem(login(user).get(QUEUE), 403)["detail"]


def test_expert_keys_are_created_for_experts_only_and_kept_apart(org, make_user, make_expert):
    with pytest.raises(Exception, match="expert profile"):
        expert_api_key_create(expert=make_user(), actor=None, name="x")
    expert = make_expert()
    key, plaintext = expert_api_key_create(expert=expert, actor=None, name="x")
    assert key.kind == ApiKey.Kind.EXPERT and key.organization is None
    assert key.scopes == ["expert"] and key.created_by == expert
    assert key.secret_hash not in plaintext and plaintext.split("_")[2] not in str(
        ApiKey.objects.filter(pk=key.pk).values().get()
    )
    assert list(expert_api_keys(expert=expert)) == [key]
    # Only the expert may revoke it (not another user, not an organization's owner).
    for stranger in (make_user(), owner_of(org)):
        with pytest.raises(PermissionDenied):
            account_services.api_key_revoke(actor=stranger, key=key)
    with pytest.raises(PermissionDenied):
        account_services.api_key_create_for_expert(expert=expert, actor=make_user(), name="x")


def test_the_database_keeps_organization_and_expert_keys_apart(org, make_expert):
    expert = make_expert()
    with pytest.raises(IntegrityError):
        ApiKey.objects.create(
            kind=ApiKey.Kind.EXPERT, organization=org, name="x", prefix="abcd1234",
            secret_hash="0" * 64, created_by=expert,
        )  # fmt: skip


def test_the_database_refuses_an_organization_key_without_organization(db):
    with pytest.raises(IntegrityError):
        ApiKey.objects.create(
            kind=ApiKey.Kind.ORGANIZATION, organization=None, name="x", prefix="abcd1235",
            secret_hash="0" * 64,
        )  # fmt: skip


def test_the_organizations_api_keys_page_lists_no_expert_keys(org, login):
    owner = owner_of(org)
    ExpertProfile.objects.create(user=owner, headline="Owner", skills=["network"], vetted=True)
    expert_api_key_create(expert=owner, actor=owner, name="my-expert-cli")
    account_services.api_key_create(
        organization=org, actor=owner, name="zendesk-sync", scopes=["tickets:read"]
    )
    page = login(owner).get("/api-keys/").content.decode()
    assert "zendesk-sync" in page and "my-expert-cli" not in page


# ---------------------------------------------------------------- shared plumbing


def test_idempotency_key_on_answer_replays_without_a_second_answer(
    org, make_escalated_ticket, expert_key
):
    expert, plaintext = expert_key()
    ticket = escalated(make_escalated_ticket, org)
    client = bearer(plaintext)
    assert post(client, tickets_url(ticket, "claim")).status_code == 200
    url = tickets_url(ticket, "answer")
    first = post(client, url, {"body": ANSWER}, HTTP_IDEMPOTENCY_KEY="answer-1")
    again = post(client, url, {"body": ANSWER}, HTTP_IDEMPOTENCY_KEY="answer-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert ExpertAnswer.objects.filter(ticket=ticket).count() == 1
    record = IdempotencyRecord.objects.get(key="answer-1")
    assert record.user == expert and record.organization is None
    reused = post(client, url, {"body": ANSWER + " Also."}, HTTP_IDEMPOTENCY_KEY="answer-1")
    assert problem(reused, 422)["type"].endswith("/idempotency-key-reused")
    # Without the header, the retry is a second request, refused by the claim's state.
    assert post(client, url, {"body": ANSWER}).status_code == 409
    assert ExpertAnswer.objects.filter(ticket=ticket).count() == 1


def test_idempotency_keys_belong_to_one_expert(org, make_escalated_ticket, expert_key):
    first, first_key = expert_key()
    _, second_key = expert_key()
    one, two = escalated(make_escalated_ticket, org), escalated(make_escalated_ticket, org)
    claimed = post(bearer(first_key), tickets_url(one, "claim"), HTTP_IDEMPOTENCY_KEY="k")
    assert claimed.status_code == 200
    # The same header value from another expert (other path too) is that expert's own key.
    other = post(bearer(second_key), tickets_url(two, "claim"), HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 200 and "Idempotent-Replayed" not in other
    assert IdempotencyRecord.objects.filter(key="k").count() == 2
    claim = api_services.idempotency_claim(user=first, key="k", fingerprint="x")
    assert not claim.created
    with pytest.raises(ValueError, match="organization or to a user"):
        api_services.idempotency_claim(key="k", fingerprint="x")


def test_expert_rate_limit_answers_429_with_retry_after_per_expert(settings, expert_key):
    settings.EXPERT_API_REQUESTS_PER_MINUTE = 2
    expert, plaintext = expert_key()
    _, second_plaintext = expert_api_key_create(expert=expert, actor=expert, name="second")
    assert bearer(plaintext).get(QUEUE).status_code == 200
    assert bearer(second_plaintext).get(QUEUE).status_code == 200
    throttled = bearer(plaintext).get(QUEUE)
    problem(throttled, 429)
    assert 1 <= int(throttled["Retry-After"]) <= 60
    # More keys buy no more requests; another expert has their own budget.
    assert bearer(second_plaintext).get(QUEUE).status_code == 429
    _, other_expert = expert_key()
    assert bearer(other_expert).get(QUEUE).status_code == 200


def test_expert_calls_record_no_organization_usage(org, make_escalated_ticket, expert_key):
    _, plaintext = expert_key()
    ticket = escalated(make_escalated_ticket, org)
    client = bearer(plaintext)
    client.get(QUEUE)
    post(client, tickets_url(ticket, "claim"))
    assert not UsageRecord.objects.filter(kind=UsageRecord.Kind.API_CALL).exists()


def test_body_limit_applies_to_expert_calls(settings, org, make_escalated_ticket, expert_key):
    settings.API_MAX_BODY_BYTES = 100
    _, plaintext = expert_key()
    ticket = escalated(make_escalated_ticket, org)
    client = bearer(plaintext)
    post(client, tickets_url(ticket, "claim"))
    problem(post(client, tickets_url(ticket, "answer"), {"body": "x" * 500}), 413)
    assert not ExpertAnswer.objects.exists()


def test_the_schema_documents_the_expert_endpoints(db):
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    paths = schema["paths"]
    assert set(paths["/api/v1/expert/queue/"]) == {"get"}
    assert set(paths["/api/v1/expert/tickets/{id}/"]) == {"get"}
    answer = paths["/api/v1/expert/tickets/{id}/answer/"]["post"]
    request_schema = answer["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["$ref"].endswith("/ExpertAnswerInput")
    assert answer["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ExpertAnswerOutput"
    )
    assert any(p["name"] == "Idempotency-Key" for p in answer["parameters"])
    for action in ("claim", "release"):
        op = paths[f"/api/v1/expert/tickets/{{id}}/{action}/"]["post"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ExpertTicketDetailOutput"
        )
        assert "409" in op["responses"]
    queue_item = schema["components"]["schemas"]["ExpertTicketOutput"]["properties"]
    assert "organization" not in queue_item and "title" in queue_item


def test_huge_ids_are_404_not_500(expert_key):
    _, plaintext = expert_key()
    client = bearer(plaintext)
    huge = "9" * 40
    problem(client.get(f"/api/v1/expert/tickets/{huge}/"), 404)
    for action in ("claim", "release", "answer"):
        problem(post(client, f"/api/v1/expert/tickets/{huge}/{action}/", {"body": ANSWER}), 404)


def test_experts_create_and_revoke_their_own_keys_on_the_profile_page(make_expert, login):
    expert, other = make_expert(), make_expert()
    client = login(expert)
    created = client.post("/experts/profile/", {"create_key": "1", "key_name": "queue-bot"})
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(created_by=expert)
    plaintext = created.context["plaintext"]
    assert plaintext.startswith(f"edk_{key.prefix}_") and plaintext in created.content.decode()
    assert plaintext not in client.get("/experts/profile/").content.decode()
    assert bearer(plaintext).get(QUEUE).status_code == 200

    refused = client.post("/experts/profile/", {"create_key": "1", "key_name": " "})
    assert refused.status_code == 400 and ApiKey.objects.count() == 1
    # Someone else's key is not theirs to revoke.
    other_key, _ = expert_api_key_create(expert=other, actor=other, name="theirs")
    assert client.post("/experts/profile/", {"revoke_key": other_key.pk}).status_code == 404
    assert client.post("/experts/profile/", {"revoke_key": "x"}).status_code == 404
    other_key.refresh_from_db()
    assert other_key.revoked_at is None
    revoked = client.post("/experts/profile/", {"revoke_key": key.pk})
    assert revoked.status_code == 302
    problem(bearer(plaintext).get(QUEUE), 401)
