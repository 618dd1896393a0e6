"""What each main API operation may cost in database statements (issue 18): a budget per
operation, so that a change adding a query to the hot path fails here and says which one.

Counted: the statements a request sends (SELECT, INSERT, UPDATE, DELETE), not the
transaction plumbing around them (SAVEPOINT/RELEASE, which a test's own transaction adds,
and `SET LOCAL`), so the budget is the same on SQLite and PostgreSQL. Lists are checked at
two sizes: a page costs the same whatever it holds (no query per row).

When a budget fails because a change needs the query, raise it here in the same commit and
say why; when it fails because a change removed one, lower it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from solutions.services import knowledge as kb
from tests.solutions import conftest as solutions_fixtures

from .conftest import bearer, owner_of

make_expert = solutions_fixtures.make_expert
make_escalated_ticket = solutions_fixtures.make_escalated_ticket

TICKETS = "/api/v1/tickets/"
VPN = {
    "title": "VPN drops every hour",
    "body": "Since Monday the VPN client disconnects every hour with error 809 on my laptop.",
}
PRINTER = {
    "title": "Printer on floor 3 jams",
    "body": "The printer on floor 3 jams on every job and says the tray is empty; it is full.",
}

# The budgets (measured, then fixed here). A create is the key lookup and its member check
# (2), the plan for the rate limit (2), the API call's usage row (1), the requester's recent
# tickets (the repeat check, 1), the numbered insert with its timeline and audit rows (5),
# triage's reads (settings, champion, index state, answer rows: 4), its record (ticket lock,
# suggestions replaced in one INSERT, solve calibration, update, timeline: 6), the webhook's
# endpoints (1: its payload is built only for a subscribed endpoint), and the response (the
# ticket, its suggestions: 2); a follow-up question instead of suggestions is its timeline
# line and its notice (one more). Once a minute a key's use is stamped (one UPDATE more,
# counted in the lists' budgets).
CREATE = 25
# With an Idempotency-Key: its claim, its link to the ticket (in the ticket's transaction)
# and the stored response.
CREATE_IDEMPOTENT = CREATE + 3
# A retry within the window: the same checks, the ticket it repeats and its suggestions.
CREATE_REPEAT = 8
LIST = 7
RETRIEVE = 7
KB_LIST = 8
EXPERT_QUEUE = 14

PLUMBING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET ")


def statements(context: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in context.captured_queries if not q["sql"].lstrip().startswith(PLUMBING)
    ]


def within(budget: int, call: Callable[[], Any]) -> Any:
    """Runs `call`, asserts it sent at most `budget` statements; returns what it returned."""
    with CaptureQueriesContext(connection) as context:
        result = call()
    sent = statements(context)
    listing = "\n".join(f"  {i + 1}. {sql[:160]}" for i, sql in enumerate(sent))
    assert len(sent) <= budget, f"{len(sent)} statements, budget {budget}:\n{listing}"
    return result


def post(client: Client, url: str, data: Any, **extra: Any):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


@pytest.fixture
def org(make_org_with_model):
    return make_org_with_model()


@pytest.fixture
def client(org, make_key) -> Client:
    _, plaintext = make_key(org)
    return bearer(plaintext)


def test_a_create_stays_within_its_budget_with_and_without_an_idempotency_key(client):
    post(client, TICKETS, PRINTER)  # the process's first triage loads the model
    created = within(
        CREATE, lambda: post(client, TICKETS, {**VPN, "title": "VPN drops every hour again"})
    )
    assert created.status_code == 201, created.content
    assert created.json()["triage"]["model_version"] == 1
    keyed = within(
        CREATE_IDEMPOTENT,
        lambda: post(
            client,
            TICKETS,
            {"title": "Outlook crashes", "body": "Outlook 2405 crashes opening invites."},
            HTTP_IDEMPOTENCY_KEY="budget-1",
        ),
    )
    assert keyed.status_code == 201, keyed.content
    again = within(CREATE_REPEAT, lambda: post(client, TICKETS, PRINTER))
    assert again.status_code == 200 and again.json()["duplicate_of"] is not None


def test_a_list_page_and_a_retrieve_cost_the_same_whatever_the_page_holds(client, org):
    for i in range(3):
        post(client, TICKETS, {"title": f"Laptop {i} won't boot", "body": f"Model X{i} beeps."})
    few = within(LIST, lambda: client.get(TICKETS))
    assert len(few.json()["results"]) == 3
    for i in range(3, 15):
        post(client, TICKETS, {"title": f"Laptop {i} won't boot", "body": f"Model X{i} beeps."})
    many = within(LIST, lambda: client.get(TICKETS))
    assert len(many.json()["results"]) == 15
    number = many.json()["results"][0]["id"]
    one = within(RETRIEVE, lambda: client.get(f"{TICKETS}{number}/"))
    assert one.status_code == 200 and one.json()["id"] == number


def test_the_knowledge_base_list_costs_the_same_for_3_and_20_articles(client, org):
    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            kb.article_create(
                organization=org,
                actor=owner_of(org),
                title=f"How to fix problem {i}",
                body=f"Step one for problem {i}.",
            )

    add(3, 0)
    assert len(within(KB_LIST, lambda: client.get("/api/v1/kb/articles/")).json()["results"]) == 3
    add(17, 3)
    page = within(KB_LIST, lambda: client.get("/api/v1/kb/articles/?limit=50")).json()
    assert len(page["results"]) == 20


def test_the_expert_queue_costs_the_same_for_1_and_8_tickets(
    org, make_expert, make_escalated_ticket
):
    from solutions.services.expert_api_keys import expert_api_key_create

    expert = make_expert()
    _, plaintext = expert_api_key_create(expert=expert, actor=expert, name="CLI")
    client = bearer(plaintext)
    make_escalated_ticket(org, author=owner_of(org))
    first = within(EXPERT_QUEUE, lambda: client.get("/api/v1/expert/queue/"))
    assert first.status_code == 200 and len(first.json()["results"]) == 1
    for i in range(7):
        make_escalated_ticket(org, author=owner_of(org), title=f"Switch {i} is down")
    full = within(EXPERT_QUEUE, lambda: client.get("/api/v1/expert/queue/"))
    assert len(full.json()["results"]) == 8
