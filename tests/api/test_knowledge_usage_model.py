"""The knowledge-base, usage and model endpoints: the same services and rules as the pages,
their scopes, and their errors."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from accounts.models import Role
from billing.models import UsageRecord
from billing.services import usage_record
from ml.models import ModelVersion
from solutions.models import KnowledgeArticle
from solutions.services import knowledge as kb

from .conftest import bearer, owner_of

ARTICLES = "/api/v1/kb/articles/"
READ, KB_WRITE, USAGE = "tickets:read", "kb:write", "usage:read"


def send(client: Client, method: str, url: str, data: Any = None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def _article(org, title="Reset the VPN password", body="Open the portal and reset.", **kw):
    return kb.article_create(organization=org, actor=None, title=title, body=body, **kw)


# ---------------------------------------------------------------- knowledge base


def test_list_searches_every_word_and_filters_by_category(make_org, make_key):
    org = make_org()
    _article(org, "Reset the VPN password", "Open the vpn portal.", category="network")
    _article(org, "Printer jam", "Open tray two.", category="hardware")
    _article(org, "VPN client crash", "Reinstall the client.", category="software")
    _, key = make_key(org, scopes=[READ])
    client = bearer(key)

    every = client.get(ARTICLES).json()["results"]
    assert len(every) == 3
    assert {"id", "title", "body", "category", "status", "source", "links"} <= set(every[0])
    titles = [a["title"] for a in client.get(ARTICLES, {"search": "vpn reset"}).json()["results"]]
    assert titles == ["Reset the VPN password"]
    network = client.get(ARTICLES, {"category": "NETWORK"}).json()["results"]
    assert [a["title"] for a in network] == ["Reset the VPN password"]
    assert client.get(ARTICLES, {"search": "nothing-matches"}).json()["results"] == []


def test_list_pages_with_a_cursor(make_org, make_key):
    org = make_org()
    for i in range(5):
        _article(org, f"Article {i}", f"Body {i}")
    _, key = make_key(org, scopes=[READ])
    client = bearer(key)
    seen: list[str] = []
    url: str | None = f"{ARTICLES}?limit=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [a["title"] for a in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"Article {i}" for i in range(5)]


def test_create_update_archive_restore_with_kb_write(make_org, make_key):
    org = make_org()
    _, key = make_key(org, scopes=[READ, KB_WRITE])
    client = bearer(key)
    created = send(
        client,
        "post",
        ARTICLES,
        {"title": " Reset  MFA ", "body": "Use the portal.", "category": "access"},
    )
    assert created.status_code == 201, created.content
    article = KnowledgeArticle.objects.get(organization=org, pk=created.json()["id"])
    assert article.title == "Reset MFA"  # the service's normalisation, as on the page
    assert article.created_by == owner_of(org)

    url = f"{ARTICLES}{article.pk}/"
    patched = send(client, "patch", url, {"body": "Use the self-service portal."})
    assert patched.status_code == 200, patched.content
    article.refresh_from_db()
    assert (article.title, article.body) == ("Reset MFA", "Use the self-service portal.")

    assert send(client, "post", f"{url}archive/").json()["status"] == "archived"
    assert client.get(ARTICLES).json()["results"] == []
    archived = client.get(ARTICLES, {"status": "archived"}).json()["results"]
    assert [a["id"] for a in archived] == [article.pk]
    assert send(client, "post", f"{url}restore/").json()["status"] == "published"
    assert send(client, "put", url, {"title": "x", "body": "y"}).status_code == 405


def test_writes_need_the_kb_write_scope_and_reads_tickets_read(make_org, make_key):
    org = make_org()
    article = _article(org)
    _, read_only = make_key(org, scopes=[READ])
    _, write_only = make_key(org, scopes=[KB_WRITE], name="writer")
    refused = send(bearer(read_only), "post", ARTICLES, {"title": "t", "body": "b"})
    assert refused.status_code == 403
    assert "kb:write" in refused.json()["detail"]
    assert send(bearer(read_only), "post", f"{ARTICLES}{article.pk}/archive/").status_code == 403
    assert bearer(write_only).get(ARTICLES).status_code == 403
    article.refresh_from_db()
    assert article.status == KnowledgeArticle.Status.PUBLISHED


def test_invalid_articles_are_400_with_field_errors(make_org, make_key):
    org = make_org()
    _, key = make_key(org, scopes=[READ, KB_WRITE])
    response = send(bearer(key), "post", ARTICLES, {"title": "x" * 201, "body": ""})
    assert response.status_code == 400
    problem = response.json()
    assert set(problem["errors"]) == {"title", "body"}
    assert response["Content-Type"] == "application/problem+json"
    bad_status = bearer(key).get(ARTICLES, {"status": "deleted"})
    assert bad_status.status_code == 400
    assert "status" in bad_status.json()["errors"]


def test_an_agents_session_reads_published_articles_only_and_cannot_write(
    make_org, make_user, add_member, login
):
    org = make_org()
    published = _article(org, "Published one", "Body")
    archived = _article(org, "Withdrawn one", "Body")
    kb.article_archive(article=archived, actor=None)
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    client = login(agent)
    assert [a["id"] for a in client.get(ARTICLES).json()["results"]] == [published.pk]
    assert client.get(ARTICLES, {"status": "archived"}).json()["results"] == []
    assert client.get(f"{ARTICLES}{archived.pk}/").status_code == 404
    refused = client.post(
        ARTICLES, json.dumps({"title": "t", "body": "b"}), content_type="application/json"
    )
    assert refused.status_code == 403
    assert not KnowledgeArticle.objects.filter(title="t").exists()


# ---------------------------------------------------------------- usage


def test_usage_reports_the_rated_period(make_org, make_key):
    org = make_org()
    for i in range(3):
        usage_record(organization=org, kind=UsageRecord.Kind.AI_ANSWER, idempotency_key=f"ai-{i}")
    _, key = make_key(org, scopes=[USAGE])
    response = bearer(key).get("/api/v1/usage/")
    assert response.status_code == 200, response.content
    usage = response.json()
    assert usage["quantities"][UsageRecord.Kind.AI_ANSWER] == 3
    assert usage["included_used"] == 3
    assert usage["included_remaining"] == usage["included_ai_answers"] - 3
    # This request itself is an api_call, recorded before the rating is read.
    assert usage["api_calls"] == 1
    assert usage["total_cents"] == usage["base_price_cents"] + usage["usage_cents"]
    assert usage["segments"] and usage["segments"][0]["plan"]
    assert sum(d["ai_included"] + d["ai_overage"] for d in usage["by_day"]) == 3
    assert usage["spend_cap_cents"] is None


def test_usage_of_an_earlier_period_and_bad_periods(make_org, make_key):
    org = make_org()
    _, key = make_key(org, scopes=[USAGE])
    client = bearer(key)
    old = client.get("/api/v1/usage/", {"period": "2020-01"}).json()
    assert old["period"] == "2020-01"
    assert old["start"].startswith("2020-01-01")
    assert old["api_calls"] == 0
    for bad in ("2020-13", "last month", "2020-1", "0000-01", "9999-12"):
        response = client.get("/api/v1/usage/", {"period": bad})
        assert response.status_code == 400, bad
        assert "period" in response.json()["errors"]


def test_usage_needs_its_scope_and_a_manager(make_org, make_user, add_member, make_key, login):
    org = make_org()
    _, tickets_key = make_key(org, scopes=[READ])
    assert bearer(tickets_key).get("/api/v1/usage/").status_code == 403
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    assert login(agent).get("/api/v1/usage/").status_code == 403
    assert login(owner_of(org)).get("/api/v1/usage/").status_code == 200


# ---------------------------------------------------------------- model


def test_model_reports_the_champion_and_its_metrics(make_org, make_key):
    org = make_org()
    _, key = make_key(org, scopes=[READ])
    client = bearer(key)
    assert client.get("/api/v1/model/").json() == {"champion": None}

    ModelVersion.objects.create(organization=org, version=1, status=ModelVersion.Status.RETIRED)
    ModelVersion.objects.create(
        organization=org,
        version=2,
        status=ModelVersion.Status.CHAMPION,
        macro_f1=0.81,
        accuracy=0.84,
        calibration_error=0.04,
        baseline_macro_f1=0.7,
        test_count=40,
        metrics={
            "labels": ["access", "network"],
            "per_class": {
                "access": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 20},
                "network": {"precision": 0.7, "recall": 0.8, "f1": 0.75, "support": 20},
            },
            "priority": {"macro_f1": 0.5, "accuracy": 0.6, "ece": 0.1, "labels": ["low"]},
        },
    )
    champion = client.get("/api/v1/model/").json()["champion"]
    assert champion["version"] == 2
    assert champion["category"]["macro_f1"] == 0.81
    assert champion["category"]["calibration_error"] == 0.04
    assert champion["category"]["per_class"]["network"]["support"] == 20
    assert champion["priority"]["macro_f1"] == 0.5
    assert champion["test_count"] == 40
    _, usage_only = make_key(org, scopes=[USAGE], name="usage")
    assert bearer(usage_only).get("/api/v1/model/").status_code == 403
