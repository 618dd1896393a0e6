"""Delivering to a real local receiver: signatures checked by the Standard Webhooks reference
library (an independent implementation), retries with backoff on 5xx, the attempt cap,
redelivery, the sweeper, and the outbox (a rolled-back act sends nothing)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import AuditLogEntry
from tests.webhooks.conftest import owner_of
from webhooks import services, signing
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("allow_loopback")

DATA = {"ticket": {"id": 7, "title": "VPN drops"}}


def _emit(org, event="ticket.answered", data=DATA):
    return services.webhook_event_emit(organization=org, event=event, data=data)


def _verify(secret, request):
    return Webhook(secret).verify(request.body, request.headers)


def _overdue(delivery):
    """Time passes: the delivery's next attempt is well past due."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )


def test_a_delivery_is_signed_so_the_reference_library_verifies_it(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, secret = make_endpoint(org, receiver.url)
    assert secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)
    [request] = receiver.wait_for(1)

    assert _verify(secret, request) == {
        "type": "ticket.answered",
        "timestamp": delivery.payload["timestamp"],
        "data": DATA,
    }
    assert request.path == "/hooks"
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.last_response_code == 200 and delivery.next_attempt_at is None
    assert delivery.completed_at is not None and '"ok"' in delivery.last_response_excerpt

    # The reference verifier really checks: another body, secret or id is refused.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"VPN", b"XXX"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_generate()).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body, {**request.headers, "webhook-id": "msg_other"})


def test_only_active_subscribed_endpoints_of_the_organization_get_the_event(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org, other_org = make_org(), make_org()
    subscribed, _ = make_endpoint(org, receiver.url, events=["ticket.answered"])
    make_endpoint(org, receiver.url + "/triage", events=["ticket.triaged"])
    disabled, _ = make_endpoint(org, receiver.url + "/off")
    services.webhook_endpoint_set_active(actor=owner_of(org), endpoint=disabled, active=False)
    make_endpoint(other_org, receiver.url + "/other")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = _emit(org)
    assert [d.endpoint for d in deliveries] == [subscribed]
    assert [r.path for r in receiver.wait_for(1)] == ["/hooks"]
    with pytest.raises(ValueError, match="Unknown webhook event"):
        _emit(org, event="ticket.deleted")


def test_a_rolled_back_act_sends_nothing(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    make_endpoint(org, receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            assert len(_emit(org)) == 1
            raise RuntimeError("the act failed")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_receiver_answering_500_gets_retries_with_backoff_until_it_succeeds(
    make_org, make_endpoint, receiver, fast_retries, django_capture_on_commit_callbacks
):
    org = make_org()
    _, secret = make_endpoint(org, receiver.url)
    receiver.answer(500, 503, 500)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)

    for attempt, status in enumerate([500, 503, 500], start=1):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert delivery.last_response_code == status
        assert delivery.last_response_excerpt == "receiver says no"
        wait = delivery.next_attempt_at - delivery.last_attempt_at
        expected = services.retry_delay(attempt)
        assert expected == timedelta(seconds=[1, 2, 4][attempt - 1])
        assert expected <= wait < expected + timedelta(seconds=2)
        # Not due yet: a duplicate task message does nothing.
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert len(receiver.requests) == attempt
        _overdue(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.webhook_deliveries_requeue_due() == 1

    requests = receiver.wait_for(4)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "succeeded",
        4,
        200,
    )
    assert delivery.next_attempt_at is None
    # Every attempt is the same message, signed afresh.
    assert {r.headers["webhook-id"] for r in requests} == {delivery.message_id}
    assert all(_verify(secret, r)["data"] == DATA for r in requests)


def test_after_the_last_attempt_the_delivery_is_failed(
    make_org, make_endpoint, receiver, fast_retries, django_capture_on_commit_callbacks
):
    fast_retries.WEBHOOK_MAX_ATTEMPTS = 3
    org = make_org()
    make_endpoint(org, receiver.url)
    receiver.answer(*[500] * 10)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)
    for _ in range(2):
        _overdue(delivery)
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.next_attempt_at is None and delivery.completed_at is not None
    assert len(receiver.requests) == 3
    assert services.webhook_deliveries_requeue_due() == 0
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert len(receiver.requests) == 3


def test_redirects_are_not_followed(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    make_endpoint(org, receiver.url)
    receiver.answer(302)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_code) == ("pending", 302)
    assert [r.path for r in receiver.wait_for(1)] == ["/hooks"]


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_reason(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    port = receiver.port
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens on the port any more
    make_endpoint(org, f"http://127.0.0.1:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("Could not connect")


def test_redeliver_sends_the_same_message_again(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    _, secret = make_endpoint(org, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _emit(org)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.webhook_delivery_redeliver(actor=owner_of(org), delivery=delivery)
    first, second = receiver.wait_for(2)
    assert again.pk != delivery.pk and again.redelivery_of == delivery
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == delivery.message_id
    assert _verify(secret, second) == _verify(secret, first)
    again.refresh_from_db()
    assert (again.status, again.attempts, again.event) == ("succeeded", 1, "ticket.answered")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)  # its history is kept
    assert AuditLogEntry.objects.filter(
        organization=org, action="webhook_delivery.redelivered"
    ).exists()


def test_a_lost_task_message_is_sent_by_the_sweeper(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    make_endpoint(org, receiver.url)
    [delivery] = _emit(org)  # committed, but its task message never reaches a worker
    assert services.webhook_deliveries_requeue_due() == 0  # within the grace period
    assert receiver.requests == []
    assert services.webhook_deliveries_requeue_due(now=timezone.now() + timedelta(minutes=1)) == 1
    receiver.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_a_disabled_endpoint_fails_its_pending_deliveries_and_refuses_redelivery(
    make_org, make_endpoint, receiver
):
    org = make_org()
    endpoint, _ = make_endpoint(org, receiver.url)
    [delivery] = _emit(org)
    services.webhook_endpoint_set_active(actor=owner_of(org), endpoint=endpoint, active=False)
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "The endpoint is disabled.")
    assert receiver.requests == []
    with pytest.raises(ValidationError, match="Enable the endpoint first"):
        services.webhook_delivery_redeliver(actor=owner_of(org), delivery=delivery)


def test_the_secret_is_encrypted_at_rest_and_survives_a_key_rotation(
    make_org, make_endpoint, receiver, settings
):
    org = make_org()
    endpoint, secret = make_endpoint(org, receiver.url)
    stored = endpoint.secret_encrypted
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert signing.secret_decrypt(stored) == secret
    settings.WEBHOOK_SECRET_KEY = "a-new-dedicated-key"
    with pytest.raises(signing.SecretUnavailable):
        signing.secret_decrypt(stored)
    settings.WEBHOOK_SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    assert signing.secret_decrypt(stored) == secret
    # Nothing in the audit log or the delivery log holds the secret or a signature.
    [delivery] = _emit(org)
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.wait_for(1)
    logged = json.dumps(list(AuditLogEntry.objects.values("details", "target_repr")))
    logged += json.dumps(list(WebhookDelivery.objects.values()), default=str)
    assert secret not in logged and request.headers["webhook-signature"] not in logged


def test_finished_deliveries_past_the_retention_are_purged(make_org, make_endpoint, settings):
    from webhooks.tasks import webhook_deliveries_purge_task

    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    org = make_org()
    make_endpoint(org, "http://127.0.0.1:9/hooks")
    old_ok, old_failed, recent_ok, old_pending = (_emit(org)[0] for _ in range(4))
    now = timezone.now()
    for delivery, status, age_days in (
        (old_ok, "succeeded", 31),
        (old_failed, "failed", 40),
        (recent_ok, "succeeded", 5),
    ):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status, completed_at=now - timedelta(days=age_days)
        )
    WebhookDelivery.objects.filter(pk=old_pending.pk).update(created_at=now - timedelta(days=60))

    assert services.webhook_deliveries_purge() == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
        recent_ok.pk,
        old_pending.pk,
    }
    assert webhook_deliveries_purge_task.apply().get() == 0
