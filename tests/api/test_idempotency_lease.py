"""An `Idempotency-Key` whose first request died — its process killed (nothing ran after the
kill, so no response was stored) or an unhandled error — does not answer 409 for a day: the
in-progress record holds a lease, and once it has lapsed a retry runs again. When the dead
attempt had already stored the ticket (crash after the commit, before the response), the retry
answers with that ticket instead of submitting a second one. Runs on SQLite and, in CI, on
PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from api.services import idempotency_claim
from solutions.api.views.tickets import TicketViewSet
from solutions.models import KnowledgeArticle, Ticket
from solutions.services import knowledge as kb
from solutions.services import tickets as ticket_services

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"
DATA = {"title": "Printer jams", "body": "Tray 2 jams again."}


def _fingerprint(url: str, data: dict) -> str:
    body = json.dumps(data).encode()
    return hashlib.sha256(b"POST " + url.encode() + b"\n" + body).hexdigest()


def _post(client, key, data=DATA, url=URL):
    return client.post(
        url, json.dumps(data), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def _dead_attempt(org, key, *, url=URL, data=DATA, lapsed=True):
    """What a request that was SIGKILLed mid-way leaves behind: its claim, no response."""
    claim = idempotency_claim(organization=org, key=key, fingerprint=_fingerprint(url, data))
    assert claim.created
    if lapsed:
        IdempotencyRecord.objects.filter(pk=claim.record.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
    return claim.record


@pytest.fixture
def client_and_org(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org, scopes=["tickets:read", "tickets:write", "kb:write"])
    return bearer(plaintext), org


def test_while_the_lease_lasts_a_retry_is_a_409_with_retry_after(client_and_org, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 90
    client, org = client_and_org
    _dead_attempt(org, "busy", lapsed=False)
    response = _post(client, "busy")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 90
    assert response.json()["retry_after_seconds"] == int(response["Retry-After"])
    assert not Ticket.objects.filter(organization=org).exists()


def test_after_the_lease_a_retry_of_a_dead_request_runs_again(client_and_org):
    client, org = client_and_org
    _dead_attempt(org, "died-early")  # killed before it stored anything
    response = _post(client, "died-early")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Ticket.objects.filter(organization=org).count() == 1
    record = IdempotencyRecord.objects.get(organization=org, key="died-early")
    assert (
        record.response_status == 201
        and record.created_ref == f"solutions.ticket:{Ticket.objects.get().pk}"
    )
    again = _post(client, "died-early")
    assert again["Idempotent-Replayed"] == "true" and again.json() == response.json()


def test_a_retry_after_a_crash_past_the_commit_returns_that_ticket(client_and_org):
    client, org = client_and_org
    record = _dead_attempt(org, "died-late")
    # The dead attempt got as far as storing (and triaging) the ticket, linked to its key.
    stored = ticket_services.ticket_submit(
        organization=org,
        author=owner_of(org),
        title=DATA["title"],
        body=DATA["body"],
        idempotency_record=record,
    )
    fresh = _post(client, "other-key", {"title": "Other", "body": "Another ticket."})

    response = _post(client, "died-late")
    assert response.status_code == 201
    assert response.json()["id"] == stored.number
    assert set(response.json()) == set(fresh.json())  # the same shape as a create
    assert Ticket.objects.filter(organization=org).count() == 2  # no second "Printer jams"
    replay = _post(client, "died-late")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == response.json()


def test_a_ticket_stored_before_triage_is_triaged_by_the_retry(client_and_org, monkeypatch):
    client, org = client_and_org
    record = _dead_attempt(org, "died-before-triage")
    # The process died between the ticket's commit and its triage: stop there (a stand-in for
    # the kill, which no local component can deliver at exactly that line).
    monkeypatch.setattr(ticket_services, "ticket_triage", lambda *, ticket: ticket)
    stored = ticket_services.ticket_submit(
        organization=org,
        author=owner_of(org),
        title=DATA["title"],
        body=DATA["body"],
        idempotency_record=record,
    )
    monkeypatch.undo()
    assert stored.status == Ticket.Status.NEW

    response = _post(client, "died-before-triage")
    assert response.status_code == 201 and response.json()["id"] == stored.number
    stored.refresh_from_db()
    assert stored.status != Ticket.Status.NEW  # triage ran (no model: it needs an expert)
    assert response.json()["status"] == stored.status


def test_an_unhandled_error_after_the_commit_frees_the_key_and_keeps_the_link(
    client_and_org, monkeypatch
):
    client, org = client_and_org
    real_out = TicketViewSet._out
    calls = []

    def broken_once(self, ticket, code=200):
        calls.append(ticket.pk)
        if len(calls) == 1:
            raise RuntimeError("a bug after the ticket was committed")
        return real_out(self, ticket, code)

    # A bug is the one thing a test must inject: no real component fails on demand there.
    monkeypatch.setattr(TicketViewSet, "_out", broken_once)
    with pytest.raises(RuntimeError):
        _post(client, "unhandled")
    record = IdempotencyRecord.objects.get(organization=org, key="unhandled")
    assert record.response_status is None and record.created_ref
    assert record.lease_expires_at is not None
    assert record.lease_expires_at <= timezone.now()  # released: no 409 for the lease

    response = _post(client, "unhandled")
    assert response.status_code == 201
    assert Ticket.objects.filter(organization=org).count() == 1


def test_an_unhandled_error_before_anything_was_created_forgets_the_key(
    client_and_org, monkeypatch
):
    client, org = client_and_org

    def broken(**kwargs):
        raise RuntimeError("broken before the ticket")

    monkeypatch.setattr(ticket_services, "ticket_submit", broken)
    with pytest.raises(RuntimeError):
        _post(client, "unhandled-early")
    assert not IdempotencyRecord.objects.filter(key="unhandled-early").exists()
    monkeypatch.undo()
    assert _post(client, "unhandled-early").status_code == 201


def test_of_two_retries_after_the_lease_only_one_resumes(make_org):
    org = make_org()
    record = _dead_attempt(org, "race")
    first = idempotency_claim(organization=org, key="race", fingerprint=record.request_fingerprint)
    second = idempotency_claim(organization=org, key="race", fingerprint=record.request_fingerprint)
    assert (first.created, first.resumed) == (True, True)
    assert (second.created, second.resumed) == (False, False)
    assert first.record.lease_expires_at is not None
    assert first.record.lease_expires_at > timezone.now()


def test_a_lapsed_lease_with_another_body_is_still_a_422(client_and_org):
    client, org = client_and_org
    _dead_attempt(org, "reused")
    response = _post(client, "reused", {"title": "Something else", "body": "Else."})
    assert response.status_code == 422
    assert not Ticket.objects.filter(organization=org).exists()


def test_a_dead_article_create_returns_the_article(client_and_org):
    client, org = client_and_org
    url = "/api/v1/kb/articles/"
    data = {"title": "Reset the VPN", "body": "Open the portal and reset it."}
    record = _dead_attempt(org, "kb-died", url=url, data=data)
    article = kb.article_create(
        organization=org,
        actor=owner_of(org),
        title=data["title"],
        body=data["body"],
        idempotency_record=record,
    )
    response = _post(client, "kb-died", data, url=url)
    assert response.status_code == 201 and response.json()["id"] == article.pk
    assert KnowledgeArticle.objects.filter(organization=org).count() == 1
