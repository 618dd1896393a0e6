"""The one model of the REST plumbing: what an `Idempotency-Key` remembers."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization, User


class IdempotencyRecord(models.Model):
    """The first response to an API POST sent with an `Idempotency-Key`, kept so a retry with
    the same key and body gets that response again instead of acting twice. The unique
    constraints are what make two concurrent retries safe: only one of them inserts the row
    and runs; the other sees it (in progress: 409; finished: the replay). A request that never
    finished (its process died) keeps the key only for its lease; then one retry takes the
    lease over (a compare-and-set) and runs again.

    Keys belong to an organization (its integrations and members share them) or, on the
    expert endpoints, which act for no organization, to the expert user."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # While the request runs (no response yet) it holds the key until then; a retry after it
    # lapsed finds the request dead (its process was killed) and runs again.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # What the request created (`app_label.model:pk`), written in the creating transaction,
    # so a retry of a request that died after its commit returns that object.
    created_ref = models.CharField(max_length=100, blank=True)
    # Indexed: the hourly purge deletes by age (api.services.idempotency_records_purge).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Created by accounts before this app existed; the table kept its name when the
        # model moved here (a state-only move, no data copied).
        db_table = "accounts_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique"),
            # NULLs are distinct in unique constraints, so each constraint binds only the rows
            # of its own kind of owner.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_user"),
            models.CheckConstraint(
                condition=models.Q(organization__isnull=False, user__isnull=True)
                | models.Q(organization__isnull=True, user__isnull=False),
                name="idempotency_owner_organization_xor_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key}"
