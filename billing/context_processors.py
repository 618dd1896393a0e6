"""`billing_access`: what the current organization's subscription allows, for the banner in
base.html (and any template that hides "New ticket" when `billing_access.can_submit` is false)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .services.subscriptions import organization_access


def billing_banner(request: HttpRequest) -> dict[str, Any]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return {}
    return {"billing_access": organization_access(organization)}
