"""The API's one error shape: RFC 9457 problem details, for every error any endpoint gives,
services' Django ValidationErrors included, and for /api/ paths no view matched."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from billing.services import SpendCapExceeded

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://expertdesk.example/problems/"


class PaymentRequired(exceptions.APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "Payment required."
    default_code = "spend_cap_exceeded"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.extra = extra


class BillingReadOnly(exceptions.PermissionDenied):
    default_code = "billing_read_only"


def problem(status_code: int, detail: str, *, code: str, **extra: Any) -> dict[str, Any]:
    title = {
        400: "Invalid request",
        401: "Not authenticated",
        402: "Payment required",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        413: "Payload too large",
        415: "Unsupported media type",
        422: "Unprocessable content",
        429: "Too many requests",
    }.get(status_code, "Error")
    return {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status_code,
        "detail": detail,
        **extra,
    }


def _field_errors(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {
            str(field): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in data.items()
        }
    return {}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as problem details. Services' Django ValidationErrors become 400s with
    field errors (a SpendCapExceeded, 402)."""
    if isinstance(exc, SpendCapExceeded):
        exc = PaymentRequired(exc.messages[0])
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = "error"
    errors: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        errors = _field_errors(exc.detail)
        non_field = errors.pop("non_field_errors", [])
        detail = " ".join(non_field) or "The request has invalid fields; see `errors`."
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = str(exc.detail)
    else:  # Http404, django PermissionDenied: DRF made them 404/403
        code = "not_found" if isinstance(exc, Http404) else "permission_denied"
        detail = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
    extra: dict[str, Any] = {}
    if errors:
        extra["errors"] = errors
    if isinstance(exc, Conflict):
        extra.update(exc.extra)
    response.data = problem(response.status_code, detail, code=str(code), **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    if "retry_after_seconds" in extra:
        response["Retry-After"] = str(extra["retry_after_seconds"])
    return response


def not_found_problem(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 404 for /api/ paths no view matched, in the same shape."""
    return JsonResponse(
        problem(404, "No such endpoint.", code="not_found"),
        status=404,
        content_type=PROBLEM_CONTENT_TYPE,
    )
