"""What every operation of the OpenAPI schema shares: each POST documents `Idempotency-Key`,
and each operation documents the problem-details responses it can give
(`application/problem+json`, one shared `Problem` component, `Retry-After` on 429), so a
client generator — or Schemathesis — knows every header and status the API may answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. Some problems add members (e.g. current_price_cents).",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field errors: field name to messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

ALWAYS = {
    "400": "Invalid query or body (`errors` by field), or refused by the object's state.",
    "401": "No API key, or an unknown, revoked or expired one.",
    "403": "The key lacks the scope, the role does not allow it, or billing is read-only.",
    "404": "No such object in this organization (or an invalid cursor).",
    "413": "The request body is over the size limit.",
    "429": "Rate limit reached; retry after `Retry-After` seconds.",
}
WRITES = {
    "402": "The organization's spend cap would be exceeded.",
    "409": "A conflict: a changed price, a claimed ticket, or an Idempotency-Key in use.",
    "415": "The body is not JSON.",
    "422": "The Idempotency-Key was used for a different request.",
}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Retry safely: the same key and body replay the first response.",
)


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        # Every POST honours the header (api.idempotency), so every POST documents it.
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=PROBLEM_SCHEMA
        )
        self.registry.register_on_missing(component)
        errors = dict(ALWAYS)
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            errors.update(WRITES)
            if self.path.startswith("/api/v1/expert/"):
                del errors["402"]  # experts spend nothing; the spend cap is an organization's
        for code, description in errors.items():
            response: dict[str, Any] = {
                "description": description,
                "content": {"application/problem+json": {"schema": component.ref}},
            }
            examples = {
                "".join(w[:1].upper() + w[1:] for w in example.name.split()): {
                    "value": example.value,
                    "summary": example.name,
                }
                for example in self.get_examples()
                if example.response_only and code in (example.status_codes or [])
            }
            if examples:  # e.g. the 409 of a changed price, declared on the view
                response["content"]["application/problem+json"]["examples"] = examples
            if code == "429":
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds until the window resets.",
                    }
                }
            responses.setdefault(code, response)
        return responses
