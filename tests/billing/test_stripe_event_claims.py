"""Stripe events are handled exactly once, however many deliveries arrive at once, and a
signed body that is not shaped like an event is a clear 400, never a 500.

The deliveries are real HTTP requests to a live server (one thread each, each with its own
database connection). The handler is the real one, wrapped only to count its calls."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from billing import stripe_webhooks as webhooks
from billing.models import Invoice, StripeEvent
from billing.services import billing_account_for

WEBHOOK_PATH = "/billing/stripe/webhook/"
SECRET = "whsec_claims_test"  # noqa: S105 - a test signing secret


def _sign(payload: bytes, secret: str = SECRET) -> str:
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def _invoice_event(customer: str, event_id: str = "evt_claims_1") -> dict:
    return {
        "id": event_id,
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": "in_claims_1",
                "customer": customer,
                "number": "EXP-0001",
                "status": "paid",
                "amount_due": 4900,
                "amount_paid": 4900,
                "currency": "usd",
            }
        },
    }


@pytest.fixture
def org_with_customer(make_org):
    org = make_org(name="Claims")
    account = billing_account_for(org)
    account.stripe_customer_id = "cus_claims"
    account.save()
    return org


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_deliveries_of_one_event_handle_it_once(
    live_server, settings, org_with_customer, monkeypatch
):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    calls: list[str] = []
    real = webhooks.HANDLERS["invoice.paid"]

    def counting(obj):
        calls.append(obj["id"])
        time.sleep(0.2)  # long enough for every other delivery to arrive meanwhile
        real(obj)

    monkeypatch.setitem(webhooks.HANDLERS, "invoice.paid", counting)
    payload = json.dumps(_invoice_event("cus_claims")).encode()
    start = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        start.wait()
        response = requests.post(
            live_server.url + WEBHOOK_PATH,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": _sign(payload)},
            timeout=30,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 8
    assert calls == ["in_claims_1"]
    record = StripeEvent.objects.get(event_id="evt_claims_1")
    assert record.processed_at is not None and record.claimed_until is None
    assert Invoice.objects.filter(stripe_invoice_id="in_claims_1").count() == 1


def test_a_crashed_handlers_claim_lapses_and_the_retry_handles_the_event(
    db, settings, org_with_customer
):
    """A worker killed while handling leaves its claim behind; the lease runs out and Stripe's
    next delivery of the event handles it."""
    event = _invoice_event("cus_claims", "evt_claims_2")
    StripeEvent.objects.create(
        event_id="evt_claims_2",
        type="invoice.paid",
        payload=event,
        claimed_until=timezone.now() + timedelta(minutes=4),
    )
    record, handled = webhooks.event_receive(event)
    assert not handled  # the claim is still running
    StripeEvent.objects.filter(pk=record.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    record, handled = webhooks.event_receive(event)
    assert handled and record.processed_at is not None
    assert Invoice.objects.filter(stripe_invoice_id="in_claims_1").exists()


def test_a_failing_handler_releases_its_claim_for_the_retry(
    db, settings, org_with_customer, monkeypatch
):
    event = _invoice_event("cus_claims", "evt_claims_3")

    def broken(obj):
        raise RuntimeError("Stripe API down")

    monkeypatch.setitem(webhooks.HANDLERS, "invoice.paid", broken)
    with pytest.raises(RuntimeError):
        webhooks.event_receive(event)
    record = StripeEvent.objects.get(event_id="evt_claims_3")
    assert record.claimed_until is None and "Stripe API down" in record.error
    monkeypatch.undo()
    _, handled = webhooks.event_receive(event)
    assert handled


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_x", "type": "invoice.paid", "data": [{"object": {}}]},
        {"id": "evt_x", "type": "invoice.paid", "data": {"object": ["in_1"]}},
        {"id": "evt_x", "type": "invoice.paid", "data": "x"},
        {"id": "evt_x", "type": "invoice.paid"},
        {"id": ["evt_x"], "type": "invoice.paid", "data": {"object": {}}},
        {"id": "evt_" + "x" * 200, "type": "invoice.paid", "data": {"object": {}}},
    ],
)
def test_signed_bodies_that_are_not_events_are_a_400_problem(db, settings, client, body):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    payload = json.dumps(body).encode()
    response = client.post(
        WEBHOOK_PATH,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_sign(payload),
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert not StripeEvent.objects.exists()
