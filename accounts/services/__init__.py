"""Every state change of the accounts app. Each function is one transaction, writes an audit
row, and schedules side effects with transaction.on_commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from ..models import (
    MANAGER_ROLES,
    ApiKey,
    AuditLogEntry,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)


def audit_log_record(
    *,
    actor: User | None,
    organization: Organization | None,
    action: str,
    target: Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organization=organization,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details or {},
    )


def user_create(*, email: str, password: str | None, full_name: str = "") -> User:
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this email address already exists."})
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        audit_log_record(actor=user, organization=None, action="user.created", target=user)
    return user


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def organization_create(*, creator: User, name: str, slug: str = "") -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the organization a name."})
    if slug and Organization.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "This address is taken; choose another."})
    with transaction.atomic():
        try:
            org = Organization.objects.create(name=name, slug=slug or _unique_slug(name))
        except IntegrityError as exc:  # a concurrent request took the same slug
            raise ValidationError({"slug": "This address is taken; choose another."}) from exc
        Membership.objects.create(user=creator, organization=org, role=Role.OWNER)
        audit_log_record(actor=creator, organization=org, action="organization.created", target=org)
    return org


def _require_manager(actor: User, organization: Organization) -> Membership:
    membership = Membership.objects.filter(user=actor, organization=organization).first()
    if membership is None or membership.role not in MANAGER_ROLES:
        raise PermissionDenied("Only owners and admins can manage members.")
    return membership


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    with transaction.atomic():
        # Lock the org's owner rows so two admins can't demote the last two owners at once.
        list(
            Membership.objects.select_for_update().filter(
                organization=membership.organization, role=Role.OWNER
            )
        )
        membership.refresh_from_db()
        acting = _require_manager(actor, membership.organization)
        touches_owner = Role.OWNER in (membership.role, role)
        if touches_owner and acting.role != Role.OWNER:
            raise PermissionDenied("Only an owner can grant or take away the owner role.")
        if (
            membership.role == Role.OWNER
            and role != Role.OWNER
            and _owner_count(membership.organization) <= 1
        ):
            raise ValidationError("The last owner can't be demoted; make someone else owner first.")
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit_log_record(
            actor=actor,
            organization=membership.organization,
            action="membership.role_changed",
            target=membership.user,
            details={"from": old, "to": role},
        )
    return membership


def membership_remove(*, actor: User, membership: Membership) -> None:
    with transaction.atomic():
        list(
            Membership.objects.select_for_update().filter(
                organization=membership.organization, role=Role.OWNER
            )
        )
        membership.refresh_from_db()
        if membership.user_id != actor.pk:
            acting = _require_manager(actor, membership.organization)
            if membership.role == Role.OWNER and acting.role != Role.OWNER:
                raise PermissionDenied("Only an owner can remove an owner.")
        if membership.role == Role.OWNER and _owner_count(membership.organization) <= 1:
            raise ValidationError("The last owner can't be removed; make someone else owner first.")
        audit_log_record(
            actor=actor,
            organization=membership.organization,
            action="membership.removed",
            target=membership.user,
            details={"role": membership.role},
        )
        membership.delete()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # only ever in memory and in the email; the database keeps its hash

    @property
    def accept_path(self) -> str:
        return reverse("invitation_accept", args=[self.token])


def invitation_create(
    *, actor: User, organization: Organization, email: str, role: str = Role.AGENT
) -> IssuedInvitation:
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    with transaction.atomic():
        acting = _require_manager(actor, organization)
        if role == Role.OWNER and acting.role != Role.OWNER:
            raise PermissionDenied("Only an owner can invite another owner.")
        if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
            raise ValidationError({"email": "This person is already a member."})
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.filter(
            organization=organization,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            token_hash=_hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="invitation.created",
            target=invitation,
            details={"email": email, "role": role},
        )
        issued = IssuedInvitation(invitation=invitation, token=token)
        from ..tasks import invitation_send_email_task

        accept_url = settings.SITE_URL.rstrip("/") + issued.accept_path
        transaction.on_commit(lambda: invitation_send_email_task.delay(invitation.pk, accept_url))
    return issued


def invitation_send_email(*, invitation_id: int, accept_url: str) -> bool:
    """Sends the invitation email once; returns False when there was nothing to send."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organization", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or not invitation.is_pending or invitation.email_sent_at:
            return False
        inviter = invitation.invited_by.display_name if invitation.invited_by else "Someone"
        send_mail(
            subject=f"[Expertdesk] {inviter} invited you to {invitation.organization.name}",
            message=(
                f"{inviter} invited you to join {invitation.organization.name} on Expertdesk "
                f"as {invitation.get_role_display().lower()}.\n\n"
                f"Accept the invitation: {accept_url}\n\n"
                f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
        invitation.email_sent_at = timezone.now()
        invitation.save(update_fields=["email_sent_at"])
    return True


def invitation_get_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=_hash_token(token))
        .first()
    )


def invitation_accept(*, token: str, user: User) -> Membership:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(token_hash=_hash_token(token))
            .first()
        )
        if invitation is None:
            raise ValidationError("This invitation link is not valid.")
        if invitation.accepted_at is not None:
            existing = Membership.objects.filter(
                user=user, organization=invitation.organization
            ).first()
            if existing is not None:
                return existing
            raise ValidationError("This invitation has already been used.")
        if invitation.revoked_at is not None:
            raise ValidationError("This invitation was withdrawn. Ask for a new one.")
        if invitation.expires_at <= timezone.now():
            raise ValidationError("This invitation has expired. Ask for a new one.")
        if invitation.email.lower() != user.email.lower():
            raise ValidationError(
                f"This invitation was sent to {invitation.email}; sign in with that address."
            )
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_log_record(
            actor=user,
            organization=invitation.organization,
            action="invitation.accepted",
            target=invitation,
            details={"role": membership.role},
        )
    return membership


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        _require_manager(actor, invitation.organization)
        if invitation.accepted_at is None and invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit_log_record(
                actor=actor,
                organization=invitation.organization,
                action="invitation.revoked",
                target=invitation,
            )
    return invitation


# ---------------------------------------------------------------- API keys

API_KEY_PREFIX = "edk"
# Requests within this long of the last recorded use don't write `last_used_at` again.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def _hash_api_secret(secret: str) -> str:
    # SHA-256 rather than a password hasher: the secret is 32 random bytes, so a fast hash
    # is not brute-forceable, and it keeps authentication cheap on every request.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    organization: Organization,
    actor: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Creates a key (owners and admins only) and returns it with its plaintext, which is
    never stored and can't be shown again."""
    _require_manager(actor, organization)
    return _api_key_issue(
        organization=organization,
        actor=actor,
        owner=actor,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
    )


def _api_key_issue(
    *,
    organization: Organization | None,
    actor: User | None,
    owner: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    """Validates and stores a key; `organization` None makes it the owner's expert key."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the key after the integration that uses it."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    allowed = ApiKey.Scope.values if organization is not None else [ApiKey.EXPERT_SCOPE]
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        errors["scopes"] = f"Unknown scope(s): {', '.join(unknown)}."
    elif not scopes:
        errors["scopes"] = "Choose at least one scope."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_hex(32)  # 32 random bytes; hex so a double-click selects it all
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(4)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        key = ApiKey.objects.create(
            kind=ApiKey.Kind.ORGANIZATION if organization is not None else ApiKey.Kind.EXPERT,
            organization=organization,
            name=name,
            prefix=prefix,
            secret_hash=_hash_api_secret(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            created_by=owner,
        )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="api_key.created",
            target=key,
            details={"scopes": key.scopes, **({} if actor else {"via": "create_api_key"})},
        )
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


def api_key_create_for_operator(
    *, organization: Organization, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """For the `create_api_key` management command: a platform operator at the shell, so no
    membership check and no actor in the audit row. API requests act as the key's creator, so
    such a key is created in the name of the organization's first owner."""
    first_owner = (
        Membership.objects.filter(organization=organization, role=Role.OWNER)
        .order_by("created_at", "id")
        .select_related("user")
        .first()
    )
    if first_owner is None:
        raise ValidationError("The organization has no owner to create the key for.")
    return _api_key_issue(
        organization=organization,
        actor=None,
        owner=first_owner.user,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
    )


def api_key_create_for_expert(
    *, expert: User, actor: User | None, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """An expert's own key for the expert endpoints: no organization, the one `expert` scope,
    requests act as the expert. `actor` is the expert (self-service) or None (an operator at
    the shell). Accounts knows nothing of expert profiles, so the caller checks that `expert`
    is one: `solutions.services.expert_api_keys.expert_api_key_create` does."""
    if actor is not None and actor.pk != expert.pk:
        raise PermissionDenied("Experts create their own keys.")
    return _api_key_issue(
        organization=None,
        actor=actor,
        owner=expert,
        name=name,
        scopes=[ApiKey.EXPERT_SCOPE],
        expires_at=expires_at,
    )


def api_key_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    """Organization keys: owners and admins of its organization. Expert keys: the expert."""
    if key.organization is not None:
        _require_manager(actor, key.organization)
    elif key.created_by_id is None or key.created_by_id != actor.pk:
        raise PermissionDenied("Only the expert who owns this key can revoke it.")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_log_record(
                actor=actor, organization=key.organization, action="api_key.revoked", target=key
            )
    return key


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The active key this plaintext names, or None (unknown, malformed, revoked, expired)."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8:
        return None
    key = (
        ApiKey.objects.select_related("organization", "created_by").filter(prefix=parts[1]).first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_api_secret(parts[2])):
        return None
    owner = key.created_by
    if not key.is_active or owner is None:
        return None
    if key.organization_id is None:
        # An expert key acts as its expert, who belongs to no organization; the expert
        # endpoints check the expert profile.
        if not owner.is_active:
            return None
    # Requests act as the key's creator; a key stops working when its creator leaves.
    elif not Membership.objects.filter(user=owner, organization_id=key.organization_id).exists():
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= API_KEY_TOUCH_INTERVAL:
        # A conditional UPDATE, not save(): concurrent requests don't race, and it's one write
        # per key per minute at most.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
