"""`Idempotency-Key` on API POSTs, the view side: the request's fingerprint, the claim, the
replay of a finished first response, the 409 while the first still runs, and storing or
releasing the key as the response leaves. The records and their writes: `api.services`."""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import PROBLEM_CONTENT_TYPE, Conflict
from .models import IdempotencyRecord
from .services import (
    idempotency_claim,
    idempotency_complete,
    idempotency_created_pk,
    idempotency_lease_remaining,
    idempotency_release,
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request; use a new key."
    default_code = "idempotency_key_reused"


class IdempotentReplay(Exception):  # noqa: N818 - control flow, not an error
    """Carries the stored first response of a repeated request out of `initial()`."""

    def __init__(self, response: Response) -> None:
        self.response = response


class IdempotencyMixin:
    """`Idempotency-Key` on POSTs: same key and body, the first response replayed; same key,
    other body, 422; the first still running, 409 until its lease lapses; then it is taken
    for dead and the request runs again. The view calls `claim_idempotency_key` once the
    caller is known, naming who owns the keys (an organization, or a user).

    A view that creates something passes `idempotency_record` to the creating service, which
    links the object to the key in its own transaction, and asks `created_by_earlier_attempt`
    first: when a dead attempt had already created it, the retry answers with that object."""

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

    def claim_idempotency_key(
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
