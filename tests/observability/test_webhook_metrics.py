"""Webhook delivery attempts are counted by result, against a real local receiver."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("allow_loopback")


def attempts(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "expertdesk_webhook_delivery_attempts_total", {"outcome": outcome}
        )
        or 0.0
    )


def test_attempts_by_result(
    make_org, make_endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    org = make_org()
    make_endpoint(org, receiver.url)
    before = {o: attempts(o) for o in ("succeeded", "retry", "failed")}
    # A 200: one success.
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_emit(organization=org, event="ticket.answered", data={"n": 1})
    receiver.wait_for(1)
    assert attempts("succeeded") == before["succeeded"] + 1
    # Two 500s with two attempts allowed: a retry, then the last attempt fails.
    receiver.answer(500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(
            organization=org, event="ticket.answered", data={"n": 2}
        )
    assert attempts("retry") == before["retry"] + 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert attempts("failed") == before["failed"] + 1
