"""Per-process caches are invalidated by what every process sees, not by local state: two real
web processes (gunicorn, one worker each, tests/web_processes.py) are warmed through the API,
then the test process promotes a model, edits the knowledge base, changes the organization's
plan and revokes its key through the services the product uses, and both processes must act
on the change at their next request (docs/operations.md, "Caches across processes").

What each process caches: the champion model (keyed by the champion row's id and checksum,
read per request), the answer index (BM25; on SQLite also the vectors) under the
organization's answer-index version in the database; the plan and key lookups of the API are
read per request today, and any cache put there must pass these tests too.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import services as accounts
from accounts.models import Organization, Role, User
from billing.models import Plan
from billing.services import subscriptions as subs
from ml import services as ml
from ml.models import ModelVersion
from ml.pipeline import checksum
from solutions.services import knowledge
from tests.billing import conftest as billing_fixtures
from tests.billing.test_subscriptions import card_payment_method
from tests.web_processes import WebProcess, web_processes

# localstripe's and the seeded plans' fixtures live with the billing tests; reuse them here.
localstripe_url = billing_fixtures.localstripe_url
stripe_settings = billing_fixtures.stripe_settings
seeded_plans = billing_fixtures.seeded_plans

# Serialized: each test starts from the database as migrations left it (seeded plans), even
# when this module runs alone.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TICKETS = "/api/v1/tickets/"
JSON = "application/json"
LABELS = ["access", "hardware", "network", "software"]
# The challenger learns every category under another name: whichever model answers is plain
# from the category it gives.
SWAPPED = {"network": "access", "access": "network", "hardware": "software", "software": "hardware"}
# Texts in the synthetic tickets' vocabulary (tests/ml/engine_data.py), each clearly one
# category, different enough from each other that none is taken for a repeat of another.
NETWORK_TEXTS = itertools.cycle(
    [
        "vpn router hello team please help since today urgent outage",
        "wifi dns thanks issue my the blocking everyone",
        "firewall ethernet please help today the production down asap",
        "proxy vpn hello my issue since this week please",
        "router dns team thanks the today somewhat annoying",
        "ethernet wifi hello please since my needed soon",
    ]
)


@pytest.fixture(scope="session")
def swapped_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny session model's twin trained on the same tickets with swapped categories."""
    from tests.ml.engine_data import tiny_model_save

    return tiny_model_save(tmp_path_factory.mktemp("tiny-model-swapped") / "v2", SWAPPED)


@pytest.fixture(scope="module")
def servers(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[WebProcess]]:
    """Two web processes on the test database, shared by this module's tests (each test
    makes its own organization, whose ids no earlier test used). With STALE_CACHES set they
    serve tests/stale_caches_wsgi.py, whose caches these tests must find stale."""
    stale = bool(os.environ.get("STALE_CACHES"))
    app = "tests.stale_caches_wsgi:application" if stale else "config.wsgi"
    with web_processes(2, tmp_path_factory.mktemp("web"), app=app) as started:
        yield started


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    # The rate-limit windows live in the shared cache (Redis when REDIS_URL is set).
    cache.clear()
    yield
    cache.clear()


class World:
    def __init__(self, org: Organization, key: str, servers: list[WebProcess]) -> None:
        self.org, self.key, self.servers = org, key, servers

    @property
    def owner(self) -> User:
        return self.org.memberships.get(role=Role.OWNER).user

    def call(self, server: WebProcess, method: str, path: str, json: Any = None) -> Any:
        return server.request(method, path, key=self.key, json=json)

    def submit(self, server: WebProcess, title: str, body: str) -> dict[str, Any]:
        response = self.call(server, "POST", TICKETS, {"title": title, "body": body})
        assert response.status_code == 201, (response.status_code, response.text)
        return dict(response.json())

    def ask(self, server: WebProcess, title: str, body: str) -> dict[str, Any]:
        """A ticket submitted and closed again (so that the next one with the same words is
        triaged, not answered as a repeat of it)."""
        ticket = self.submit(server, title, body)
        closed = self.call(server, "POST", f"{TICKETS}{ticket['id']}/close/")
        assert closed.status_code == 200, closed.text
        return ticket

    def ask_here(self, title: str, body: str) -> dict[str, Any]:
        """`ask`, served by this (the test) process."""
        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.key}")
        created = client.post(TICKETS, {"title": title, "body": body}, content_type=JSON)
        assert created.status_code == 201, created.content
        ticket = dict(created.json())
        closed = client.post(f"{TICKETS}{ticket['id']}/close/", content_type=JSON)
        assert closed.status_code == 200, closed.content
        return ticket


@pytest.fixture
def world(make_org_with_model, servers: list[WebProcess]) -> World:
    org = make_org_with_model()
    owner = org.memberships.get(role=Role.OWNER).user
    _, plaintext = accounts.api_key_create(
        organization=org, actor=owner, name="xproc", scopes=["tickets:read", "tickets:write"]
    )
    return World(org, plaintext, servers)


def _triage(ticket: dict[str, Any]) -> dict[str, Any]:
    triage = ticket["triage"]
    assert not triage.get("unavailable"), triage
    return dict(triage)


def test_both_processes_serve_the_new_champion_at_their_next_request(world, swapped_artifact):
    for server in world.servers:
        triage = _triage(world.submit(server, "VPN keeps dropping", next(NETWORK_TEXTS)))
        assert (triage["model_version"], triage["category"]) == (1, "network"), server.name
    challenger = ModelVersion.objects.create(
        organization=world.org,
        version=2,
        status=ModelVersion.Status.READY,
        artifact_path=str(swapped_artifact),
        artifact_checksum=checksum(swapped_artifact),
        label_sets={"category": LABELS},
    )
    ml.model_version_promote(version=challenger, actor=world.owner)
    for server in world.servers:
        triage = _triage(world.submit(server, "Wi-Fi gone again", next(NETWORK_TEXTS)))
        assert (triage["model_version"], triage["category"]) == (2, "access"), server.name
    # And back: a rollback is a promotion too.
    ml.model_rollback(organization=world.org, actor=world.owner)
    for server in world.servers:
        triage = _triage(world.submit(server, "Router down", next(NETWORK_TEXTS)))
        assert (triage["model_version"], triage["category"]) == (1, "network"), server.name


ARTICLE_TITLE = "Resetting the office router"
TEN = "Hold the reset button of the office router for ten seconds."
THIRTY = "Hold the reset button of the office router for thirty seconds."
# Words enough for a sure triage (a ticket that needs more detail gets no suggestions).
QUESTION = (
    "Office router needs a reset",
    "How do I reset the office router? The reset button? vpn wifi dns since today, "
    "error: router offline",
)


def _suggested_everywhere(world: World) -> list[tuple[str, str]]:
    """The article suggestions for QUESTION, the same from both processes: the same rows,
    ranked and scored as this process, whose copy of the index is current, ranks and scores
    them. (On PostgreSQL pgvector finds the rows itself; a process on an old BM25 copy still
    scores them differently.) Returns them as (title, answer)."""
    reference = world.ask_here(*QUESTION)["suggestions"]
    assert reference  # the question is one the index can answer
    for server in world.servers:
        suggested = world.ask(server, *QUESTION)["suggestions"]
        assert [s["source"]["key"] for s in suggested] == [s["source"]["key"] for s in reference], (
            server.name
        )
        assert [s["score"] for s in suggested] == pytest.approx(
            [s["score"] for s in reference], abs=1e-3
        ), server.name
    return [(s["title"], s["answer"]) for s in reference if s["source"]["kind"] == "article"]


def test_both_processes_suggest_an_edited_article_and_drop_an_archived_one(world):
    assert _suggested_everywhere(world) == []  # each process loads the index and keeps it
    article = knowledge.article_create(
        organization=world.org, actor=world.owner, title=ARTICLE_TITLE, body=TEN, category="network"
    )
    assert _suggested_everywhere(world) == [(ARTICLE_TITLE, TEN)]
    knowledge.article_update(
        article=article, actor=world.owner, title=ARTICLE_TITLE, body=THIRTY, category="network"
    )
    assert _suggested_everywhere(world) == [(ARTICLE_TITLE, THIRTY)]
    knowledge.article_archive(article=article, actor=world.owner)
    assert _suggested_everywhere(world) == []


def _current_price(world: World, server: WebProcess, number: int) -> int:
    """What escalating the ticket costs now, as the API says when offered a wrong price (a
    409 that changes nothing)."""
    response = world.call(
        server, "POST", f"{TICKETS}{number}/escalate/", {"confirmed_price_cents": 1}
    )
    assert response.status_code == 409, (response.status_code, response.text)
    return int(response.json()["current_price_cents"])


def test_both_processes_apply_a_plan_change_at_their_next_request(
    world, stripe_settings, seeded_plans
):
    starter, team = Plan.objects.get(code="starter"), Plan.objects.get(code="team")
    # A plan a platform operator set up with a tight API limit (plans are edited in admin).
    tight = Plan.objects.create(
        code="tight",
        name="Tight",
        base_price_cents=1000,
        included_ai_answers=10,
        ai_overage_cents=10,
        expert_price_cents={"low": 1111, "medium": 2222, "high": 3333, "critical": 4444},
        sla_hours=starter.sla_hours,
        api_requests_per_minute=1,
    )
    payment_method = card_payment_method(
        stripe_settings.STRIPE_API_BASE, organization=world.org, actor=world.owner
    )
    subs.subscription_start(
        organization=world.org, actor=world.owner, plan=starter, payment_method_id=payment_method
    )
    ticket = world.submit(world.servers[0], "VPN keeps dropping", next(NETWORK_TEXTS))
    priority = ticket["priority"] or "medium"
    for server in world.servers:
        assert _current_price(world, server, ticket["id"]) == starter.expert_price_cents[priority]

    subs.subscription_change_plan(organization=world.org, actor=world.owner, plan=team)
    for server in world.servers:
        assert _current_price(world, server, ticket["id"]) == team.expert_price_cents[priority]

    # One request a minute: within three requests each process refuses one (two share a
    # window unless a minute boundary falls between them). A process still on Team's 300
    # would accept all three: this module sends far fewer than 300 in any minute.
    subs.subscription_change_plan(organization=world.org, actor=world.owner, plan=tight)
    for server in world.servers:
        statuses = []
        for _ in range(3):
            response = world.call(
                server, "POST", TICKETS, {"title": "Wi-Fi gone", "body": next(NETWORK_TEXTS)}
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
                break
        assert statuses[-1] == 429, (server.name, statuses)


def test_both_processes_refuse_a_revoked_key_at_their_next_request(world):
    for server in world.servers:
        assert world.call(server, "GET", TICKETS).status_code == 200, server.name
    key = world.org.api_keys.get(name="xproc")
    accounts.api_key_revoke(actor=world.owner, key=key)
    for server in world.servers:
        assert world.call(server, "GET", TICKETS).status_code == 401, server.name
    # Not a stale "revoked" either: a new key works everywhere at once.
    _, world.key = accounts.api_key_create(
        organization=world.org, actor=world.owner, name="xproc-2", scopes=["tickets:read"]
    )
    assert world.key.startswith("edk_")
    for server in world.servers:
        assert world.call(server, "GET", TICKETS).status_code == 200, server.name
