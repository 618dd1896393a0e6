"""Tenancy and authentication for the REST API, in one place (like `tenancy.py` for pages).

A request authenticates either with an API key (`Authorization: Bearer edk_…`) or with the
browser session. Either way it acts as a user — the key's creator, or the signed-in member —
so the API calls the very services the pages call, with the same actor rules.
`OrganizationScopedMixin` resolves the organization once (the key's, or the session's active
one) and is the only place API querysets are scoped: another organization's object is a 404,
never a 403.

Expert keys (no organization) open only the expert endpoints, whose views use
`ExpertCallerMixin` instead; organization keys open only the organization endpoints. Each
side refuses the other's keys with a 403.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import ApiKey, Organization, User
from .services import api_key_authenticate
from .tenancy import scoped

M = TypeVar("M", bound=Model)

EXPERT_KEY_REFUSED = "An expert API key works only on the /api/v1/expert/ endpoints."
ORGANIZATION_KEY_REFUSED = (
    "An organization API key can't call the expert endpoints; use an expert API key."
)


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`: request.user is the key's creator, request.auth the key.
    A Bearer header with an unknown, malformed, revoked or expired key is a 401 — never a
    silent fall-through to the session."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = get_authorization_header(request).decode("latin-1")
        keyword, _, token = header.partition(" ")
        if keyword.lower() != "bearer":
            return None
        key = api_key_authenticate(token.strip())
        if key is None or key.created_by is None:
            raise AuthenticationFailed("The API key is unknown, revoked or expired.")
        return key.created_by, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def request_api_key(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class HasScope(BasePermission):
    """The view's `required_scopes[action]` must be among the key's scopes. Session users
    act in the browser's name, so their role (checked by the services) is what limits them.
    An action missing from `required_scopes` is refused: new endpoints fail closed."""

    message = "This API key lacks the scope this request needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        action = getattr(view, "action", None)
        if action is None:  # a method the view doesn't offer: let it answer 405
            return True
        required = getattr(view, "required_scopes", {}).get(action)
        if required is None:
            return False
        key = request_api_key(request)
        if key is None:
            return True
        if required not in key.scopes:
            self.message = f"This API key lacks the {required} scope."
            return False
        return True


class OrganizationScopedMixin:
    """For every API view: resolves `self.organization` before permissions and throttles run,
    and scopes querysets to it through `scoped()`."""

    organization: Organization

    def check_permissions(self, request: Request) -> None:
        key = request_api_key(request)
        if key is not None:
            if key.organization is None:
                raise PermissionDenied(EXPERT_KEY_REFUSED)
            self.organization = key.organization
        elif request.user.is_authenticated:
            organization = getattr(request._request, "organization", None)
            if organization is None:
                raise PermissionDenied("Join or create an organization first.")
            self.organization = organization
        super().check_permissions(request)  # type: ignore[misc]

    def scoped(self, queryset: QuerySet[M]) -> QuerySet[M]:
        return scoped(queryset, getattr(self, "organization", None))


class ExpertCallerMixin:
    """For the expert endpoints, which act for a person rather than an organization: the
    caller's expert key or their browser session. `self.expert` is that user; whether they
    have an expert profile is the view's permission to check (accounts doesn't know experts).
    An organization's key is refused: it speaks for the organization, not for one expert."""

    expert: User

    def check_permissions(self, request: Request) -> None:
        key = request_api_key(request)
        if key is not None and key.organization is not None:
            raise PermissionDenied(ORGANIZATION_KEY_REFUSED)
        if isinstance(request.user, User):
            self.expert = request.user
        super().check_permissions(request)  # type: ignore[misc]


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents `ApiKeyAuthentication` in the OpenAPI schema as a Bearer scheme."""

    target_class = "accounts.api.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "edk_<prefix>_<secret>",
            "description": (
                "An organization API key (API keys page), or an expert's own key for the "
                "/api/v1/expert/ endpoints."
            ),
        }
