"""Users, organizations (tenants), memberships, invitations and the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Email is the login; organizations come through memberships, so an expert
    (who answers tickets for pay) is simply a user with no membership."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Organization(models.Model):
    """A customer enterprise: the tenant every org-owned row belongs to."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"


# Roles that may manage the organization (members, keys, billing, model, settings).
MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]
        ordering = ["organization__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGER_ROLES


class Invitation(models.Model):
    """An emailed invitation to join an organization. Only a SHA-256 of the token is stored,
    so a database leak does not hand out working invitation links."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    email_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditLogEntry(models.Model):
    """Who did what, to what, when. Written only by services."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_log"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class ApiKey(models.Model):
    """A key for the REST API. The plaintext `edk_<prefix>_<secret>` is shown once; only the
    prefix (for lookup) and a SHA-256 of the secret are stored. A fast hash is safe here,
    unlike for passwords, because the secret is 32 random bytes: there is nothing to
    brute-force, and a slow hasher would cost every API request tens of milliseconds.

    A key belongs to an organization (`kind` organization: its integrations, with ticket
    scopes) or to one expert (`kind` expert: no organization, the expert is `created_by`,
    the one scope `expert`, and only the expert endpoints accept it). The check constraint
    keeps the two apart in the database."""

    class Scope(models.TextChoices):
        TICKETS_READ = "tickets:read", "Read tickets"
        TICKETS_WRITE = "tickets:write", "Submit and update tickets"
        KB_WRITE = "kb:write", "Write the knowledge base"
        USAGE_READ = "usage:read", "Read usage"

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", "Organization"
        EXPERT = "expert", "Expert"

    # The one scope of an expert key. Deliberately not in `Scope`, whose choices are what an
    # organization may grant its keys (the API keys page offers them).
    EXPERT_SCOPE = "expert"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ORGANIZATION)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly one owner: an organization's key has the organization; an expert's key
            # has none (its owner is `created_by`, which is not constrained here because it is
            # SET_NULL when the user is deleted, and such a key is refused anyway).
            models.CheckConstraint(
                condition=models.Q(kind="organization", organization__isnull=False)
                | models.Q(kind="expert", organization__isnull=True),
                name="api_key_organization_xor_expert",
            )
        ]

    def __str__(self) -> str:
        return f"API key {self.name} ({self.prefix})"

    @property
    def is_expert_key(self) -> bool:
        return self.kind == self.Kind.EXPERT

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_active(self) -> bool:
        return self.state == "active"


class SingleSignOn(models.Model):
    """An organization's OpenID Connect sign-in (docs/sso.md). The issuer and client id live
    in allauth's `SocialApp` (provider `openid_connect`, provider id `org-<slug>`, settings
    {"server_url": issuer}), whose `secret` column stays empty: the client secret is kept here,
    encrypted (common/secret_box.py), and handed to allauth in memory by
    `accounts.adapters.SocialAccountAdapter.list_apps`. It is never shown after it is typed.

    Users whose e-mail is in `domains` sign in through the provider and join the organization
    with `default_role`. With `enforced`, password login, sign-up and reset are refused for
    those domains, except for `break_glass_user` (an owner who keeps password and MFA)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="single_sign_on"
    )
    social_app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="+"
    )
    client_secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(default=False)
    default_role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    enforced = models.BooleanField(default=False)
    break_glass_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    configured_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "single sign-on"
        verbose_name_plural = "single sign-on"

    def __str__(self) -> str:
        return f"single sign-on of {self.organization}"


class SsoDomain(models.Model):
    """An e-mail domain whose users sign in through the organization's provider. A domain
    belongs to one organization at most (the unique index), in lower case."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_domains"
    )
    domain = models.CharField(max_length=253, unique=True)
    added_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]
        verbose_name = "single sign-on domain"

    def __str__(self) -> str:
        return self.domain
