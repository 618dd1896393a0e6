"""Reads of accounts that carry a rule. Each returns the rows before tenant scoping, which
the calling view's base class applies (`OrganizationRequiredMixin.get_queryset`/`scoped`)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiKey, AuditLogEntry, Invitation, Membership, User


def memberships_of(user: User) -> QuerySet[Membership]:
    """The organizations a user belongs to, oldest membership first (the default one)."""
    return Membership.objects.filter(user=user).select_related("organization")


def members_listed() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__email")


def invitations_pending() -> QuerySet[Invitation]:
    """Invitations neither accepted nor withdrawn."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def audit_log_entries(*, action_prefix: str = "") -> QuerySet[AuditLogEntry]:
    """Audit rows, newest first; `action_prefix` ("ticket.", "billing.") narrows them."""
    entries = AuditLogEntry.objects.select_related("actor")
    return entries.filter(action__startswith=action_prefix) if action_prefix else entries


def api_keys_listed() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by")
