"""A real Celery worker process delivers to the local receiver: the first attempt gets a 500,
and the worker itself runs the retry Celery holds until the backoff has passed."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook

from webhooks import services
from webhooks.models import WebhookDelivery


@pytest.fixture
def worker_env() -> dict[str, str]:
    # The worker reads its settings from the environment: loopback allowed, 1 s backoff.
    return {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_RETRY_BASE_SECONDS": "1"}


def test_a_worker_delivers_and_retries_a_signed_webhook(
    worker, make_org, make_endpoint, receiver, allow_loopback
):
    proc, log_path = worker
    org = make_org()
    _, secret = make_endpoint(org, receiver.url)
    receiver.answer(500)
    [delivery] = services.webhook_event_emit(
        organization=org, event="ticket.answered", data={"ticket": {"id": 3}}
    )  # autocommit: queued to the worker at once

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        time.sleep(0.2)
    assert delivery.status == "succeeded", log_path.read_text()
    assert (delivery.attempts, delivery.last_response_code) == (2, 200)
    first, second = receiver.requests
    assert (first.status, second.status) == (500, 200)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert Webhook(secret).verify(second.body, second.headers)["data"] == {"ticket": {"id": 3}}
    assert delivery.last_attempt_at is not None
    log = log_path.read_text()
    assert "webhook_delivery_attempt_task" in log
    assert secret not in log and second.headers["webhook-signature"] not in log
    assert not WebhookDelivery.objects.filter(status="pending").exists()
