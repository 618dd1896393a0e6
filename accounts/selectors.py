"""Reads of accounts that carry a rule. Each returns the rows before tenant scoping, which
the calling view's base class applies (`OrganizationRequiredMixin.get_queryset`/`scoped`)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiKey, AuditLogEntry, Invitation, Membership, SingleSignOn, SsoDomain, User


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


def sso_for_email(email: str) -> SingleSignOn | None:
    """The single sign-on that signs in this address (its domain is an organization's and the
    organization turned it on), or None."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return (
        SingleSignOn.objects.select_related("organization", "social_app")
        .filter(enabled=True, organization__sso_domains__domain=domain)
        .first()
    )


def sso_domains_listed() -> QuerySet[SsoDomain]:
    return SsoDomain.objects.select_related("added_by")
