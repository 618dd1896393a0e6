"""Every state change of the accounts app. Each function is one transaction, writes an audit
row, and schedules side effects with transaction.on_commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .models import MANAGER_ROLES, AuditLogEntry, Invitation, Membership, Organization, Role, User


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
        from .tasks import invitation_send_email_task

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
