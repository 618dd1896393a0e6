"""The issue's "done when", end to end over real HTTP: a new integrator reads /api/docs/,
creates a key and a webhook endpoint on their pages, submits and escalates a ticket through
the API, an expert claims and answers it through the expert API with their own key, and the
integrator's receiver gets a `ticket.answered` webhook whose signature the Standard Webhooks
reference library verifies. No response on the way is a 5xx, and neither key reaches the
other side's endpoints."""

from __future__ import annotations

import json

import pytest
import requests
from standardwebhooks import Webhook

from accounts.models import Role
from solutions.services.expert_api_keys import expert_api_key_create
from tests.conftest import STARTER_ANSWERS
from tests.e2e.conftest import sign_in
from tests.solutions import conftest as solutions_fixtures
from tests.webhooks.receiver import local_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

make_expert = solutions_fixtures.make_expert

CATEGORIES = ("access", "hardware", "network", "software")


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on 127.0.0.1
    with local_receiver() as r:
        yield r


def test_an_integrator_gets_a_signed_webhook_when_an_expert_answers(
    make_org_with_model, make_expert, live_server, new_page, shot, receiver
):
    org = make_org_with_model(STARTER_ANSWERS[:2], name="Integrator Inc")
    owner = org.memberships.get(role=Role.OWNER).user
    page = new_page()
    sign_in(page, owner.email)

    # 1. The docs, served with local assets.
    page.goto("/api/docs/")
    page.get_by_text("/api/v1/tickets/", exact=True).first.wait_for()
    assert page.get_by_text("Expertdesk API").first.is_visible()
    shot(page, "api-docs")

    # 2. A key, shown once.
    page.goto("/api-keys/")
    page.fill("input[name=name]", "ITSM bridge")
    page.check("input[value='tickets:read']")
    page.check("input[value='tickets:write']")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("plaintext-key").inner_text().strip()

    # 3. A webhook endpoint for answers, its secret shown once.
    page.get_by_role("link", name="Webhooks").click()
    page.fill("input[name=url]", receiver.url)
    page.check("input[value='ticket.answered']")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("signing-secret").inner_text().strip()

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    base = f"{live_server.url}/api/v1"
    seen: list[int] = []

    def call(method: str, path: str, body: dict | None = None) -> requests.Response:
        response = api.request(method, f"{base}{path}", json=body, timeout=30)
        seen.append(response.status_code)
        return response

    # 4. Submit: 201 with the triage and suggestions in the response.
    created = call("POST", "/tickets/", {"title": "VPN keeps dropping", "body": "vpn router drop"})
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["triage"]["category"] in CATEGORIES
    assert ticket["suggestions"]

    # 5. Escalate at the price the API says is current.
    stale = call("POST", f"/tickets/{ticket['id']}/escalate/", {"confirmed_price_cents": 1})
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == "application/problem+json"
    price = stale.json()["current_price_cents"]
    escalated = call("POST", f"/tickets/{ticket['id']}/escalate/", {"confirmed_price_cents": price})
    assert escalated.json()["status"] == "escalated", escalated.text

    # 6. An expert (their own key, no organization) claims and answers through the API.
    expert = make_expert(skills=CATEGORIES)
    _, expert_key = expert_api_key_create(expert=expert, actor=expert, name="my CLI")
    experts = requests.Session()
    experts.headers["Authorization"] = f"Bearer {expert_key}"
    queue = experts.get(f"{base}/expert/queue/", timeout=30).json()["results"]
    assert [t["title"] for t in queue] == ["VPN keeps dropping"]
    expert_ticket = queue[0]["id"]
    claimed = experts.post(f"{base}/expert/tickets/{expert_ticket}/claim/", timeout=30)
    assert claimed.status_code == 200, claimed.text
    answer = "Update the VPN client to 5.2; the router's keepalive was too short."
    answered = experts.post(
        f"{base}/expert/tickets/{expert_ticket}/answer/", json={"body": answer}, timeout=30
    )
    assert answered.status_code == 201, answered.text

    # 7. The signed webhook arrives and verifies with an independent implementation.
    delivery = receiver.wait_for(1)[0]
    event = Webhook(secret).verify(delivery.body, delivery.headers)
    assert event["type"] == "ticket.answered"
    assert event["data"]["ticket"]["id"] == ticket["id"]
    assert event["data"]["answer"]["body"] == answer
    assert json.loads(delivery.body) == event

    # The integrator reads the answered ticket; the keys stay on their own sides.
    assert call("GET", f"/tickets/{ticket['id']}/").json()["status"] == "answered"
    assert call("GET", "/expert/queue/").status_code == 403
    assert experts.get(f"{base}/tickets/", timeout=30).status_code == 403
    assert all(code < 500 for code in seen), seen

    page.goto("/settings/webhooks/")
    page.get_by_role("link", name="Deliveries").click()
    assert "succeeded" in page.content()
    shot(page, "delivery-log")
