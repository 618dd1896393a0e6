"""Experts' own API keys. The key itself is an accounts concern (`api_key_create_for_expert`);
what makes a user an expert — an expert profile — is this app's, so the check lives here and
accounts never imports solutions."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import ApiKey, User
from accounts.services import api_key_create_for_expert

from ..models import ExpertProfile

NOT_AN_EXPERT = "Only experts get expert API keys; set up an expert profile first."


def expert_api_key_create(
    *, expert: User, actor: User | None, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """An expert key (the one `expert` scope) for a user with an expert profile, vetted or
    not: an unvetted expert's queue is empty until staff vet them. `actor` is the expert, or
    None for an operator at the shell. Returns the key and its plaintext, shown once."""
    if not ExpertProfile.objects.filter(user=expert).exists():
        raise ValidationError(NOT_AN_EXPERT)
    return api_key_create_for_expert(expert=expert, actor=actor, name=name, expires_at=expires_at)


def expert_api_keys(*, expert: User) -> QuerySet[ApiKey]:
    """The expert's own keys, newest first; never an organization's."""
    return ApiKey.objects.filter(kind=ApiKey.Kind.EXPERT, created_by=expert)
