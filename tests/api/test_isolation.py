"""A key of organization B never reads or changes organization A's data: objects addressed by
id are 404s, lists and reports hold B's data only."""

from __future__ import annotations

from billing.models import UsageRecord
from billing.services import usage_record
from ml.models import ModelVersion
from solutions.services import knowledge as kb
from solutions.services import tickets as ticket_services

from .conftest import bearer, owner_of

ALL = ["tickets:read", "tickets:write", "kb:write", "usage:read"]


def test_article_lists_hold_only_the_keys_organization(make_org, make_key):
    """Addressed by id, another organization's article is a 404 (tests/test_route_access.py);
    the lists, published or archived, don't hold it either."""
    org_a, org_b = make_org(), make_org()
    kb.article_create(organization=org_a, actor=None, title="A's secret", body="A")
    archived = kb.article_create(organization=org_a, actor=None, title="A's old", body="A")
    kb.article_archive(article=archived, actor=None)
    mine = kb.article_create(organization=org_b, actor=None, title="B's own", body="B")
    _, key_b = make_key(org_b, scopes=ALL)
    client = bearer(key_b)
    listed = client.get("/api/v1/kb/articles/").json()["results"]
    assert [a["id"] for a in listed] == [mine.pk]
    assert client.get("/api/v1/kb/articles/", {"status": "archived"}).json()["results"] == []


def test_the_same_ticket_number_in_two_organizations_is_each_ones_own(make_org, make_key):
    org_a, org_b = make_org(), make_org()
    mine = ticket_services.ticket_submit(
        organization=org_b, author=owner_of(org_b), title="B's ticket", body="printer jam"
    )
    theirs = ticket_services.ticket_submit(
        organization=org_a, author=owner_of(org_a), title="A's ticket", body="vpn drop"
    )
    assert mine.number == theirs.number
    _, key_b = make_key(org_b, scopes=ALL)
    client = bearer(key_b)
    assert client.get(f"/api/v1/tickets/{mine.number}/").json()["title"] == "B's ticket"
    closed = client.post(f"/api/v1/tickets/{mine.number}/close/")
    assert closed.status_code == 200, closed.content
    theirs.refresh_from_db()
    assert theirs.status != "closed"
    assert [t["title"] for t in client.get("/api/v1/tickets/").json()["results"]] == ["B's ticket"]


def test_usage_and_model_report_the_keys_own_organization(make_org, make_key):
    org_a, org_b = make_org(), make_org()
    for i in range(4):
        usage_record(organization=org_a, kind=UsageRecord.Kind.AI_ANSWER, idempotency_key=f"a{i}")
    ModelVersion.objects.create(organization=org_a, version=1, status=ModelVersion.Status.CHAMPION)
    _, key_b = make_key(org_b, scopes=ALL)
    client = bearer(key_b)
    usage = client.get("/api/v1/usage/").json()
    assert usage["quantities"].get(UsageRecord.Kind.AI_ANSWER, 0) == 0
    assert usage["api_calls"] == 1  # this request, billed to B
    assert client.get("/api/v1/model/").json() == {"champion": None}
    assert not UsageRecord.objects.filter(organization=org_a, kind=UsageRecord.Kind.API_CALL)
