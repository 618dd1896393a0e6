"""Cross-app plumbing of the REST API: the one error shape (RFC 9457 problem details), the
per-caller and per-organization rate limits from the plan, the request-size limit, the
per-request usage record and `Idempotency-Key`. Tenancy and keys live in `accounts.api`.

Organization endpoints inherit `ApiViewMixin`; the expert endpoints, which act for one expert
and no organization, inherit `ExpertApiViewMixin`: the same errors, body limit and
idempotency (keys owned by the expert), a per-expert rate limit from settings, and no usage
row (there is no organization to bill)."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler

from accounts.api import ExpertCallerMixin, OrganizationScopedMixin, request_api_key
from accounts.models import IdempotencyRecord
from accounts.services import (
    idempotency_claim,
    idempotency_complete,
    idempotency_created_pk,
    idempotency_lease_remaining,
    idempotency_release,
)
from billing import services as billing
from billing.models import UsageRecord
from billing.services.usage import SpendCapExceeded
from config.converters import IdConverter

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://expertdesk.example/problems/"
DEFAULT_API_REQUESTS_PER_MINUTE = 60

# API routes match ids as page routes do: a number too large for the database is a 404.
ID_PATTERN = IdConverter.regex


# The largest integer a 64-bit database column holds.
BIGINT_MAX = 2**63 - 1


class ApiCursorPagination(CursorPagination):
    """Lists: 50 a page by default, `limit` up to 100; subclasses set `ordering`.

    DRF decodes the cursor's base64 but passes its position to the database unchecked, so a
    tampered cursor (`p=abc` on a number, a date that isn't one, a number beyond 64 bits)
    would be a 500; here it is the same 404 "Invalid cursor" as an undecodable one."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100
    _model: Any = None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            if not self._position_is_valid(str(cursor.position)):
                raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def _position_is_valid(self, position: str) -> bool:
        if "\x00" in position:
            return False
        ordering = self.ordering if isinstance(self.ordering, list | tuple) else [self.ordering]
        try:
            field = self._model._meta.get_field(str(ordering[0]).lstrip("-"))
        except (FieldDoesNotExist, AttributeError):
            return True  # an ordering through a relation: left to the database
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            return -BIGINT_MAX - 1 <= value <= BIGINT_MAX
        return True


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


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request; use a new key."
    default_code = "idempotency_key_reused"


class IdempotentReplay(Exception):  # noqa: N818 - control flow, not an error
    """Carries the stored first response of a repeated request out of `initial()`."""

    def __init__(self, response: Response) -> None:
        self.response = response


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


def _fixed_window_allows(throttle: Any, ident: str, rate: int) -> bool:
    """Counts this request in `ident`'s current one-minute window (in the shared cache, Redis
    in production, so every web worker sees the same count); True while within `rate`."""
    now = time.time()
    window = int(now // 60)
    cache_key = f"api-throttle:{throttle.kind}:{ident}:{window}"
    cache.add(cache_key, 0, timeout=70)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=70)
        count = 1
    throttle._wait = (window + 1) * 60 - now
    return bool(count <= rate)


def plan_rate_per_minute(view: Any, organization: Any) -> int:
    """The plan's `api_requests_per_minute`, read once per request: both throttles (caller
    and organization) need it."""
    rate: int | None = getattr(view, "_plan_rate_per_minute", None)
    if rate is None:
        plan = billing.plan_of(organization)
        rate = plan.api_requests_per_minute if plan else DEFAULT_API_REQUESTS_PER_MINUTE
        view._plan_rate_per_minute = rate
    return rate


class _PlanRateThrottle(BaseThrottle):
    """A fixed one-minute window: at most the plan's `api_requests_per_minute`."""

    kind = ""
    _wait = 0.0

    def identity(self, request: Request, view: Any) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        organization = getattr(view, "organization", None)
        ident = self.identity(request, view)
        if organization is None or ident is None:
            return True
        return _fixed_window_allows(self, ident, plan_rate_per_minute(view, organization))

    def wait(self) -> float | None:
        return max(1.0, self._wait)


class CallerRateThrottle(_PlanRateThrottle):
    kind = "caller"

    def identity(self, request: Request, view: Any) -> str | None:
        key = request_api_key(request)
        if key is not None:
            return f"key{key.pk}"
        return f"user{request.user.pk}" if request.user.is_authenticated else None


class OrganizationRateThrottle(_PlanRateThrottle):
    kind = "org"

    def identity(self, request: Request, view: Any) -> str | None:
        organization = getattr(view, "organization", None)
        return f"org{organization.pk}" if organization is not None else None


class ExpertRateThrottle(BaseThrottle):
    """One fixed one-minute window per expert (all their keys and their session together, so
    more keys don't buy more requests): settings.EXPERT_API_REQUESTS_PER_MINUTE."""

    kind = "expert"
    _wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        expert = getattr(view, "expert", None)
        if expert is None:
            return True
        rate = int(settings.EXPERT_API_REQUESTS_PER_MINUTE)
        return _fixed_window_allows(self, f"user{expert.pk}", rate)

    def wait(self) -> float | None:
        return max(1.0, self._wait)


class _ApiPlumbingMixin:
    """The body-size limit and `Idempotency-Key` on POSTs (same key and body: the first
    response replayed; same key, other body: 422; the first still running: 409, until its
    lease lapses; then it is taken for dead and the request runs again), for views whose
    `after_authentication` says who owns the idempotency keys.

    A view that creates something passes `idempotency_record` to the creating service, which
    links the object to the key in its own transaction, and asks `created_by_earlier_attempt`
    first: when a dead attempt had already created it, the retry answers with that object."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"The request body is {length} bytes; the limit is "
                f"{settings.API_MAX_BODY_BYTES} bytes."
            )
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self.after_authentication(request)

    def after_authentication(self, request: Request) -> None:
        """Runs once the caller is authenticated, permitted and within the rate limit."""
        raise NotImplementedError

    _idempotency_record: IdempotencyRecord | None = None
    _idempotency_resumed = False

    @property
    def idempotency_record(self) -> IdempotencyRecord | None:
        """The record this request holds for its Idempotency-Key, if it sent one."""
        return self._idempotency_record

    def created_by_earlier_attempt(self, model: type[Any]) -> int | None:
        """When this request resumes one with the same key that died after it created a
        `model` object: that object's pk."""
        record = self._idempotency_record
        if record is None or not self._idempotency_resumed:
            return None
        return idempotency_created_pk(record, model)

    def _claim_idempotency_key(
        self, request: Request, organization: Any = None, *, user: Any = None
    ) -> None:
        key = request.headers.get("Idempotency-Key", "").strip()
        if request.method != "POST" or not key:
            return
        if len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        fingerprint = hashlib.sha256(
            b"%s %s\n%s" % (request.method.encode(), request.path.encode(), request.body)
        ).hexdigest()
        claim = idempotency_claim(
            organization=organization, user=user, key=key, fingerprint=fingerprint
        )
        record = claim.record
        if claim.created:
            self._idempotency_record = record
            self._idempotency_resumed = claim.resumed
            return
        if record.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if record.response_status is None:
            wait = idempotency_lease_remaining(record)
            raise Conflict(
                "A request with this Idempotency-Key is still in progress; retry in "
                f"{wait} s (sooner if it finishes).",
                retry_after_seconds=wait,
            )
        replay = Response(
            record.response_body,
            status=record.response_status,
            content_type=PROBLEM_CONTENT_TYPE if record.response_status >= 400 else None,
        )
        replay["Idempotent-Replayed"] = "true"
        raise IdempotentReplay(replay)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IdempotentReplay):
            return exc.response
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except BaseException:
            # Unhandled: DRF re-raises it and never finalizes the response, so the key
            # would stay "in progress" for its whole lease. Release it now.
            record, self._idempotency_record = self._idempotency_record, None
            if record is not None:
                idempotency_release(record=record)
            raise

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            if response.status_code >= 500:
                idempotency_release(record=record)
            else:
                idempotency_complete(record=record, status=response.status_code, body=response.data)
        return response


class ApiViewMixin(OrganizationScopedMixin, _ApiPlumbingMixin):
    """What every organization API view inherits: tenancy (from accounts), the body-size
    limit, one `api_call` usage row per request that got past authentication and throttling,
    and `Idempotency-Key` on POSTs, keys owned by the organization."""

    throttle_classes: Sequence[type[BaseThrottle]] = (CallerRateThrottle, OrganizationRateThrottle)

    def after_authentication(self, request: Request) -> None:
        organization = getattr(self, "organization", None)
        if organization is not None:
            self._record_api_call(organization)
            self._claim_idempotency_key(request, organization)

    def _record_api_call(self, organization: Any) -> None:
        # API calls are counted, never priced, so the spend cap can't refuse them; any other
        # failure of the ledger is logged and must not fail the caller's request.
        try:
            with transaction.atomic():
                billing.usage_record(
                    organization=organization,
                    kind=UsageRecord.Kind.API_CALL,
                    idempotency_key=f"api-call:{uuid.uuid4()}",
                )
        except Exception:
            logger.exception("Could not record an API call for organization %s", organization.pk)


class ExpertApiViewMixin(ExpertCallerMixin, _ApiPlumbingMixin):
    """What every expert API view inherits: the caller is one expert (their key or session,
    from accounts), the body-size limit, a per-expert rate limit, and `Idempotency-Key` on
    POSTs, keys owned by the expert. No usage row: an expert's calls bill no organization."""

    throttle_classes: Sequence[type[BaseThrottle]] = (ExpertRateThrottle,)

    def after_authentication(self, request: Request) -> None:
        expert = getattr(self, "expert", None)
        if expert is not None:
            self._claim_idempotency_key(request, user=expert)
