"""The writes of `Idempotency-Key`: claim a key for a request (or find the earlier request
that holds it), link what the request created, store its response, release it, purge old
keys. The view side (fingerprints, replays, 409s) is `api.idempotency`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Organization, User
from common.db import commit_without_waiting_for_disk

from .models import IdempotencyRecord


def _lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


@dataclass(frozen=True)
class IdempotencyClaim:
    record: IdempotencyRecord
    created: bool  # this request holds the key and runs
    # It runs again: an earlier request with this key and body never finished (its process
    # died or it failed on our side); `record.created_ref` says what, if anything, it created.
    resumed: bool = False


def idempotency_claim(
    *,
    organization: Organization | None = None,
    user: User | None = None,
    key: str,
    fingerprint: str,
    now: datetime | None = None,
) -> IdempotencyClaim:
    """Claims `key` for this request, or returns the earlier request's record. Keys belong to
    an organization or, for calls made for no organization (the expert endpoints), to a user:
    pass exactly one. The insert is its own transaction, so a concurrent retry sees the claim
    at once.

    A claim is a lease of IDEMPOTENCY_LEASE_SECONDS (longer than a request may take): when an
    earlier request with the same key and body holds no response and its lease has lapsed, it
    is dead, and this request takes the lease over and runs again (`resumed`). The takeover
    is a compare-and-set on the lease, so of several retries exactly one resumes."""
    if (organization is None) == (user is None):
        raise ValueError("An Idempotency-Key belongs to an organization or to a user.")
    owner: dict[str, Any] = (
        {"organization": organization} if organization is not None else {"user": user}
    )
    now = now or timezone.now()
    try:
        # Durable: a concurrent retry must see the claim at once, not at some outer commit.
        # Visible at once is not flushed to disk: the claim of a request the crash also
        # killed may be lost harmlessly, and what the request creates commits durably, which
        # flushes the claim with it (`commit_without_waiting_for_disk`).
        with transaction.atomic(durable=True):
            commit_without_waiting_for_disk()
            record = IdempotencyRecord.objects.create(
                **owner, key=key, request_fingerprint=fingerprint, lease_expires_at=now + _lease()
            )
        return IdempotencyClaim(record=record, created=True)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(**owner, key=key)
    if record.response_status is not None or record.request_fingerprint != fingerprint:
        return IdempotencyClaim(record=record, created=False)
    # Records from before leases existed hold the key for one lease from their creation.
    expires = record.lease_expires_at or record.created_at + _lease()
    if expires > now:
        return IdempotencyClaim(record=record, created=False)
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk, response_status__isnull=True, lease_expires_at=record.lease_expires_at
    ).update(lease_expires_at=now + _lease())
    record.refresh_from_db()
    return IdempotencyClaim(record=record, created=bool(taken), resumed=bool(taken))


def idempotency_lease_remaining(record: IdempotencyRecord, *, now: datetime | None = None) -> int:
    """Whole seconds until an in-progress record's lease lapses (a 409's Retry-After)."""
    expires = record.lease_expires_at or record.created_at + _lease()
    return max(1, int((expires - (now or timezone.now())).total_seconds() + 0.999))


def idempotency_link(*, record: IdempotencyRecord, created: Model) -> None:
    """Notes on the request's record what it created. Call it inside the transaction that
    creates `created`: they commit together, so a retry of a request that died after the
    commit (before its response was stored) finds the object instead of creating another."""
    ref = f"{created._meta.label_lower}:{created.pk}"
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_ref=ref)
    record.created_ref = ref


def idempotency_created_pk(record: IdempotencyRecord, model: type[Model]) -> int | None:
    """The pk of the `model` object the record's request created, if it created one."""
    label, _, pk = record.created_ref.partition(":")
    return int(pk) if label == model._meta.label_lower and pk.isdigit() else None


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: Any) -> None:
    """Stores the response a retry replays. Its commit doesn't wait for the disk: if a crash
    loses it, the record stays in progress until its lease lapses, and the retry then
    resumes the request, finding what it created (`created_ref`, committed durably with it)."""
    with transaction.atomic():
        commit_without_waiting_for_disk()
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=status, response_body=body, completed_at=timezone.now()
        )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """The request failed on our side (a 5xx or an unhandled error): let the client retry
    with the same key at once. When it had created something already, the record stays, with
    its lease ended, so the retry resumes and returns what was created instead of acting
    twice; otherwise the key is forgotten."""
    IdempotencyRecord.objects.filter(pk=record.pk, created_ref="").delete()
    IdempotencyRecord.objects.filter(pk=record.pk).update(lease_expires_at=timezone.now())


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Forgets keys older than IDEMPOTENCY_KEY_TTL_HOURS (24 by default, as Stripe does): the
    table would otherwise grow with every API POST. A retry after that window acts anew, which
    docs/api.md says. Returns how many records were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
