"""`Idempotency-Key` on POSTs: a retry replays the first response and acts once."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import time_machine
from django.utils import timezone

from api.models import IdempotencyRecord
from api.services import idempotency_claim, idempotency_records_purge
from api.tasks import idempotency_records_purge_task
from solutions.models import Ticket

from .conftest import bearer

URL = "/api/v1/tickets/"


def _post(client, data, key):
    return client.post(
        URL, json.dumps(data), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_with_the_same_key_and_body_replays_the_first_response(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    data = {"title": "Printer jams", "body": "Tray 2 jams."}
    first = _post(client, data, "retry-1")
    again = _post(client, data, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.filter(organization=org).count() == 1
    # Another key is another request (the same text within minutes would be recognised as a
    # repeat of the open ticket: tests/solutions/test_duplicates.py).
    other = {"title": "Scanner jams", "body": "The scanner on floor 2 jams."}
    assert _post(client, other, "retry-2").json()["id"] == 2


def test_errors_are_replayed_too(make_org, make_key):
    _, plaintext = make_key(make_org())
    client = bearer(plaintext)
    first = _post(client, {"title": ""}, "bad-1")
    again = _post(client, {"title": ""}, "bad-1")
    assert first.status_code == again.status_code == 400
    assert again["Content-Type"] == "application/problem+json"
    assert again.json() == first.json()


def test_the_same_key_with_another_body_is_a_422_problem(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    assert _post(client, {"title": "Printer A", "body": "Printer A jams."}, "k").status_code == 201
    reused = _post(client, {"title": "Printer B", "body": "Printer B jams."}, "k")
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert Ticket.objects.filter(organization=org).count() == 1


def test_a_request_still_in_progress_is_a_409(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    body = json.dumps({"title": "Printer A", "body": "Printer A jams."}).encode()
    fingerprint = hashlib.sha256(b"POST " + URL.encode() + b"\n" + body).hexdigest()
    claim = idempotency_claim(organization=org, key="busy", fingerprint=fingerprint)
    assert claim.created
    response = _post(bearer(plaintext), {"title": "Printer A", "body": "Printer A jams."}, "busy")
    assert response.status_code == 409
    assert not Ticket.objects.filter(organization=org).exists()


def test_keys_belong_to_one_organization_and_claims_are_unique(make_org, make_key):
    org_a, org_b = make_org(), make_org()
    _, key_a = make_key(org_a)
    _, key_b = make_key(org_b)
    data = {"title": "Printer A", "body": "Printer A jams."}
    assert _post(bearer(key_a), data, "shared").status_code == 201
    replay = _post(bearer(key_b), data, "shared")
    assert replay.status_code == 201 and "Idempotent-Replayed" not in replay
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2
    second = idempotency_claim(organization=org_a, key="shared", fingerprint="x")
    assert not second.created


def test_keys_older_than_the_ttl_are_purged_and_then_act_anew(make_org, make_key, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    org = make_org()
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    data = {"title": "Printer jams", "body": "Tray 2 jams."}
    first = _post(client, data, "old-key")
    _post(client, {"title": "Scanner jams", "body": "The scanner on floor 2 jams."}, "fresh-key")
    assert IdempotencyRecord.objects.count() == 2
    IdempotencyRecord.objects.filter(key="old-key").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh-key"]
    assert idempotency_records_purge_task.apply().get() == 0
    # Past the duplicates window, so the same text is a new ticket rather than a repeat.
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        again = _post(client, data, "old-key")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
