"""Who calls: an API key (`Authorization: Bearer edk_…`) or the browser session. Either way
the request acts as a user — the key's creator, or the signed-in member — so the API calls
the very services the pages call, with the same actor rules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import ApiKey, User
from accounts.services import api_key_authenticate


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


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents `ApiKeyAuthentication` in the OpenAPI schema as a Bearer scheme."""

    target_class = "api.authentication.ApiKeyAuthentication"
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
