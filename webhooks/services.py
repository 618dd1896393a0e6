"""Every state change of the webhooks app: endpoints (owners and admins), emitting events
(other apps call `webhook_event_emit` inside their own transaction), delivery attempts,
redeliveries and the sweeper. Other apps call these functions, never the models."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import MANAGER_ROLES, Membership, Organization, User
from accounts.services import audit_log_record
from observability.metrics import webhook_attempt_observed

from . import signing, transport
from .models import PING_EVENT, EventType, WebhookDelivery, WebhookEndpoint

__all__ = [
    "PING_EVENT",
    "EventType",
    "retry_delay",
    "webhook_deliveries_requeue_due",
    "webhook_delivery_attempt",
    "webhook_delivery_redeliver",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_roll_secret",
    "webhook_endpoint_send_test",
    "webhook_endpoint_set_active",
    "webhook_endpoint_update",
    "webhook_event_emit",
]

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_ORGANIZATION = 20
URL_MAX = 500
DESCRIPTION_MAX = 200
USER_AGENT = "Expertdesk-Webhooks/1.0"
# The beat sweeper leaves a delivery this long past its due time to the task Celery already
# holds for it, so the two rarely meet (when they do, the claim below lets only one send).
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500
# The attempt task's hard time limit (tasks.py): a receiver that trickles its answer byte by
# byte defeats per-read timeouts, so Celery ends such an attempt. An attempt's claim outlives
# it, so the sweeper never starts a second attempt while the first may still be running.
ATTEMPT_TIME_LIMIT_SECONDS = 60


def _require_manager(actor: User, organization: Organization) -> None:
    role = (
        Membership.objects.filter(user=actor, organization=organization)
        .values_list("role", flat=True)
        .first()
    )
    if role not in MANAGER_ROLES:
        raise PermissionDenied("Only owners and admins can manage webhooks.")


def _clean_events(events: Iterable[str]) -> list[str]:
    events = list(events)
    unknown = sorted({e for e in events if e not in EventType.values})
    if unknown:
        raise ValidationError({"events": f"Unknown event type(s): {', '.join(unknown)}."})
    if not events:
        raise ValidationError({"events": "Choose at least one event."})
    return sorted(set(events))


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            {"description": f"Keep the description under {DESCRIPTION_MAX} characters."}
        )
    return description


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: WEBHOOK_RETRY_BASE_SECONDS doubling
    each time, capped at WEBHOOK_RETRY_MAX_SECONDS (30 s, 1 min, 2 min, … 1 h, 1 h by default)."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _queue_attempt(delivery_id: int, *, countdown: float = 0) -> None:
    from .tasks import webhook_delivery_attempt_task

    transaction.on_commit(
        lambda: webhook_delivery_attempt_task.apply_async((delivery_id,), countdown=countdown)
    )


# ---------------------------------------------------------------- endpoints


def webhook_endpoint_create(
    *,
    organization: Organization,
    actor: User,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint (owners and admins only) and returns it with its signing secret,
    which is stored encrypted and never shown again."""
    _require_manager(actor, organization)
    url = (url or "").strip()
    errors: dict[str, str] = {}
    if not url:
        errors["url"] = "Enter the URL that receives the webhooks."
    elif len(url) > URL_MAX:
        errors["url"] = f"Keep the URL under {URL_MAX} characters."
    else:
        try:
            transport.resolve_target(url)
        except transport.UnsafeTarget as exc:
            errors["url"] = str(exc)
    try:
        events = _clean_events(events)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        description = _clean_description(description)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    secret = signing.secret_generate()
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if (
            WebhookEndpoint.objects.filter(organization=organization).count()
            >= MAX_ENDPOINTS_PER_ORGANIZATION
        ):
            raise ValidationError(
                f"An organization can have at most {MAX_ENDPOINTS_PER_ORGANIZATION} endpoints; "
                "delete one first."
            )
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            description=description,
            events=events,
            secret_encrypted=signing.secret_encrypt(secret),
            created_by=actor,
        )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="webhook_endpoint.created",
            target=endpoint,
            details={"events": events},
        )
    return endpoint, secret


def webhook_endpoint_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    events: Iterable[str],
    description: str | None = None,
) -> WebhookEndpoint:
    _require_manager(actor, endpoint.organization)
    events = _clean_events(events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = endpoint.events
        endpoint.events = events
        if description is not None:
            endpoint.description = _clean_description(description)
        endpoint.save(update_fields=["events", "description", "updated_at"])
        audit_log_record(
            actor=actor,
            organization=endpoint.organization,
            action="webhook_endpoint.updated",
            target=endpoint,
            details={"events": {"from": before, "to": events}},
        )
    return endpoint


def webhook_endpoint_set_active(
    *, actor: User, endpoint: WebhookEndpoint, active: bool
) -> WebhookEndpoint:
    """Disabling stops new deliveries at once; pending ones fail at their next attempt and
    can be redelivered after enabling it again."""
    _require_manager(actor, endpoint.organization)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.is_active != active:
            endpoint.is_active = active
            endpoint.save(update_fields=["is_active", "updated_at"])
            audit_log_record(
                actor=actor,
                organization=endpoint.organization,
                action="webhook_endpoint.enabled" if active else "webhook_endpoint.disabled",
                target=endpoint,
            )
    return endpoint


def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Deletes the endpoint with its delivery log."""
    _require_manager(actor, endpoint.organization)
    with transaction.atomic():
        audit_log_record(
            actor=actor,
            organization=endpoint.organization,
            action="webhook_endpoint.deleted",
            target=endpoint,
            details={"events": endpoint.events},
        )
        endpoint.delete()


def webhook_endpoint_roll_secret(*, actor: User, endpoint: WebhookEndpoint) -> str:
    """Gives the endpoint a new signing secret and returns it, to be shown once like at
    creation. For WEBHOOK_SECRET_ROLL_OVERLAP_HOURS the secret it replaces keeps signing next
    to it, so a receiver still holding the old one verifies until it switches. Only one
    previous secret is kept: rolling again within the window retires the older one at once."""
    _require_manager(actor, endpoint.organization)
    secret = signing.secret_generate()
    overlap = timedelta(hours=max(0, settings.WEBHOOK_SECRET_ROLL_OVERLAP_HOURS))
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        previous_encrypted = ""
        if overlap:
            try:
                current = signing.secret_decrypt(endpoint.secret_encrypted)
            except signing.SecretUnavailable:
                current = ""  # it signs nothing already, so there is nothing to keep
            if current:
                # Encrypted afresh, so it is under today's key like the new secret.
                previous_encrypted = signing.secret_encrypt(current)
        signs_until = timezone.now() + overlap if previous_encrypted else None
        endpoint.secret_encrypted = signing.secret_encrypt(secret)
        endpoint.previous_secret_encrypted = previous_encrypted
        endpoint.previous_secret_expires_at = signs_until
        endpoint.save(
            update_fields=[
                "secret_encrypted",
                "previous_secret_encrypted",
                "previous_secret_expires_at",
                "updated_at",
            ]
        )
        audit_log_record(
            actor=actor,
            organization=endpoint.organization,
            action="webhook_endpoint.secret_rolled",
            target=endpoint,
            details={
                "previous_secret_signs_until": signs_until.isoformat() if signs_until else None
            },
        )
    return secret


def webhook_endpoint_send_test(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Sends a `ping` event to this endpoint alone, to check the receiver and its signature
    verification."""
    _require_manager(actor, endpoint.organization)
    if not endpoint.is_active:
        raise ValidationError("Enable the endpoint first.")
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            organization=endpoint.organization,
            endpoint=endpoint,
            event=PING_EVENT,
            message_id=_message_id(),
            payload={
                "type": PING_EVENT,
                "timestamp": now.isoformat(),
                "data": {"endpoint": {"id": endpoint.pk}, "message": "A test event."},
            },
            next_attempt_at=now,
        )
        audit_log_record(
            actor=actor,
            organization=endpoint.organization,
            action="webhook_endpoint.test_sent",
            target=endpoint,
            details={"message_id": delivery.message_id},
        )
        _queue_attempt(delivery.pk)
    return delivery


# ---------------------------------------------------------------- events and deliveries


def webhook_event_emit(
    *,
    organization: Organization,
    event: str,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
) -> list[WebhookDelivery]:
    """Records one delivery per active endpoint of the organization subscribed to `event`.
    Call it inside the transaction of the act it reports (an outbox): the rows commit with
    the act, a rolled-back act sends nothing, and the attempts are queued after the commit.
    `data` may be a function that builds the payload's data: it is called only when some
    endpoint subscribes (most acts of most organizations have none, and building it reads
    rows)."""
    if event not in EventType.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization=organization, is_active=True)
        if event in endpoint.events  # a JSON `contains` lookup isn't portable to SQLite
    ]
    if not endpoints:
        return []
    now = timezone.now()
    payload = {
        "type": event,
        "timestamp": now.isoformat(),
        "data": dict(data() if callable(data) else data),
    }
    message_id = _message_id()  # one message: the same webhook-id at every endpoint
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(
                organization=organization,
                endpoint=endpoint,
                event=event,
                message_id=message_id,
                payload=payload,
                next_attempt_at=now,
            )
            _queue_attempt(delivery.pk)
            deliveries.append(delivery)
    return deliveries


def _body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, then the rolled-over one while its overlap lasts. Raises
    SecretUnavailable when the current one can't be decrypted."""
    current = signing.secret_decrypt(endpoint.secret_encrypted)
    if endpoint.previous_secret_signs_until is None:
        return [current]
    try:
        previous = signing.secret_decrypt(endpoint.previous_secret_encrypted)
    except signing.SecretUnavailable:
        # Failing the attempt would fail the receivers that switched already, too.
        logger.warning(
            "Webhook endpoint %s: its previous secret can't be decrypted; "
            "signing with the current one only.",
            endpoint.pk,
        )
        return [current]
    return [current, previous]


def _finish(delivery: WebhookDelivery, status: str, *, error: str = "") -> None:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING).update(
        status=status, next_attempt_at=None, completed_at=now, last_error=error[:300]
    )


def webhook_delivery_attempt(*, delivery_id: int, task_id: str = "") -> WebhookDelivery | None:
    """One attempt of a due, pending delivery; anything else (done, not due yet, taken by
    another worker) is left alone, so duplicate task messages are harmless. A 2xx response
    succeeds; anything else schedules the next attempt after `retry_delay`, until
    WEBHOOK_MAX_ATTEMPTS attempts have failed. Two short writes around the request, not one
    transaction: no row lock or transaction is held while the receiver takes its time.

    `task_id` is the Celery message's id. The claim records it; when the same message comes
    back while its attempt still holds the lease, the worker that ran it died mid-attempt
    (the broker redelivers an unacknowledged message only then: `reject_on_worker_lost`, or
    Redis's visibility timeout), so this attempt takes over at once. The lost attempt counts
    (it may have reached the receiver; receivers drop duplicates by `webhook-id`), so the
    attempt cap still bounds a message that keeps killing its worker."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery
    now = timezone.now()
    # This very message, redelivered: its earlier run died holding the claim.
    resumes = bool(task_id) and delivery.attempt_task_id == task_id
    if not resumes and delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return delivery
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _finish(delivery, WebhookDelivery.Status.FAILED, error="The endpoint is disabled.")
        delivery.refresh_from_db()
        return delivery
    max_attempts = settings.WEBHOOK_MAX_ATTEMPTS
    if resumes:
        logger.warning(
            "Webhook delivery %s: the worker of attempt %s died; attempting again.",
            delivery.pk,
            delivery.attempts,
        )
    if delivery.attempts >= max_attempts:  # a worker died during the last attempt
        error = "The worker stopped during the last attempt."
        _finish(delivery, WebhookDelivery.Status.FAILED, error=delivery.last_error or error)
        delivery.refresh_from_db()
        return delivery
    attempt = delivery.attempts + 1
    # Claim the attempt with a compare-and-set (works on SQLite too). Until it finishes,
    # next_attempt_at is a lease: should this worker die, the redelivered message (same task
    # id) takes over, or, if that message is lost too, the sweeper retries after the lease.
    lease = max(retry_delay(attempt), timedelta(seconds=ATTEMPT_TIME_LIMIT_SECONDS + 30))
    claim = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    )
    if resumes:
        claim = claim.filter(attempt_task_id=task_id)
    else:
        claim = claim.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    claimed = claim.update(
        attempts=attempt, next_attempt_at=now + lease, last_attempt_at=now, attempt_task_id=task_id
    )
    if not claimed:
        return delivery

    try:
        result = _post(delivery, endpoint)
    except Exception as exc:
        # Anything that cuts the attempt short in this process (the task's soft time limit:
        # a receiver trickling its answer; a bug) is a failed attempt like any other, with
        # the next one scheduled below, rather than a claim left for the sweeper.
        logger.exception("Webhook delivery %s attempt %s broke off", delivery.pk, attempt)
        result = transport.PostResult(
            status_code=None, error=f"The attempt was cut short ({type(exc).__name__})."
        )

    finished = timezone.now()
    delivery.attempts = attempt
    delivery.last_attempt_at = now
    delivery.last_response_code = result.status_code
    delivery.last_response_excerpt = result.excerpt[:500]
    delivery.last_error = result.error[:300]
    if result.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        delivery.completed_at = finished
    elif attempt >= max_attempts:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.completed_at = finished
    else:
        delay = retry_delay(attempt)
        delivery.next_attempt_at = finished + delay
    # Ids, codes and the error only: never the secret, the signature or the payload.
    logger.info(
        "Webhook delivery %s attempt %s/%s: %s -> %s",
        delivery.pk,
        attempt,
        max_attempts,
        result.status_code or result.error,
        delivery.status,
    )
    webhook_attempt_observed(delivery.status)  # expertdesk_webhook_delivery_attempts_total
    delivery.attempt_task_id = ""  # done: a late copy of this message is not a takeover
    with transaction.atomic():
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_attempt_at",
                "last_response_code",
                "last_response_excerpt",
                "last_error",
                "attempt_task_id",
                "completed_at",
                "updated_at",
            ]
        )
        if delivery.status == WebhookDelivery.Status.PENDING:
            # Celery holds the retry until it is due; the sweeper covers a lost message.
            _queue_attempt(delivery.pk, countdown=delay.total_seconds())
    return delivery


def _post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> transport.PostResult:
    try:
        signing_secrets = _signing_secrets(endpoint)
    except signing.SecretUnavailable as exc:
        return transport.PostResult(status_code=None, error=str(exc))
    body = _body(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.signed_headers(
            signing_secrets=signing_secrets,
            message_id=delivery.message_id,
            timestamp=int(timezone.now().timestamp()),
            body=body,
        ),
    }
    return transport.post(endpoint.url, body=body, headers=headers)


def webhook_delivery_redeliver(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends the same message again (same webhook-id and payload, a new timestamp and
    signature) as a new delivery with its own attempts; the original keeps its history."""
    _require_manager(actor, delivery.organization)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise ValidationError("Enable the endpoint first, then redeliver.")
    now = timezone.now()
    with transaction.atomic():
        original = delivery.redelivery_of or delivery
        again = WebhookDelivery.objects.create(
            organization=delivery.organization,
            endpoint=endpoint,
            event=delivery.event,
            message_id=delivery.message_id,
            payload=delivery.payload,
            redelivery_of=original,
            next_attempt_at=now,
        )
        audit_log_record(
            actor=actor,
            organization=delivery.organization,
            action="webhook_delivery.redelivered",
            target=endpoint,
            details={"message_id": delivery.message_id, "delivery": again.pk},
        )
        _queue_attempt(again.pk)
    return again


def webhook_deliveries_requeue_due(*, now: datetime | None = None) -> int:
    """Beat sweeper: queues an attempt for every pending delivery whose next attempt is
    overdue (its task message was lost, or a worker died mid-attempt)."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    from .tasks import webhook_delivery_attempt_task

    for pk in due:
        webhook_delivery_attempt_task.delay(pk)
    return len(due)


def webhook_deliveries_purge(*, now: datetime | None = None) -> int:
    """Daily: forgets finished (succeeded or failed) deliveries completed more than
    WEBHOOK_DELIVERY_RETENTION_DAYS ago, so the log keeps a month of history without growing
    forever. Pending ones stay whatever their age. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED],
        completed_at__lt=cutoff,
    ).delete()
    return deleted
