"""The base classes every API view inherits; no endpoint lives here.

`ApiViewMixin` (organization endpoints) resolves `self.organization` — the key's, or the
session's active one — before permissions and throttles run, and is the only place API
querysets are scoped: its final `get_queryset()` scopes whatever the view's
`scoped_queryset()` returns (another organization's object is a 404, never a 403), and an
override of `get_queryset()` is refused when the class is defined.

`ExpertApiViewMixin` (the expert endpoints, which act for one expert and no organization) is
the expert side's `ExpertScopedMixin`: the caller must be an expert, its final
`get_queryset()` is the expert's queue, and `expert_ticket(id, not_found=NotFound)` is a
404 for a ticket the expert may not read.

Both add the body-size limit and `Idempotency-Key` on POSTs (keys owned by the organization,
or by the expert). Organization calls leave one `api_call` usage row each; expert calls bill
no organization. Expert keys are refused on organization endpoints and organization keys on
expert endpoints, each with a 403.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import Organization
from accounts.tenancy import ExpertScopedMixin, expert_side, refuse_overrides, scoped
from billing import services as billing
from common.converters import IdConverter

from .authentication import request_api_key
from .errors import PayloadTooLarge
from .idempotency import IdempotencyMixin
from .throttling import CallerRateThrottle, ExpertRateThrottle, OrganizationRateThrottle

logger = logging.getLogger(__name__)

EXPERT_KEY_REFUSED = "An expert API key works only on the /api/v1/expert/ endpoints."
ORGANIZATION_KEY_REFUSED = (
    "An organization API key can't call the expert endpoints; use an expert API key."
)
NOT_AN_EXPERT = "Only experts can call the expert endpoints; set up an expert profile first."

# API routes match ids as page routes do: a number too large for the database is a 404.
ID_PATTERN = IdConverter.regex


class _ApiBase(IdempotencyMixin):
    """The body-size limit, then DRF's authentication, permissions and throttles, then
    `after_authentication` (who owns the idempotency keys, what is recorded)."""

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


class ApiViewMixin(_ApiBase):
    """What every organization API view inherits; see the module's docstring."""

    organization: Organization
    throttle_classes: Sequence[type[BaseThrottle]] = (CallerRateThrottle, OrganizationRateThrottle)
    _final: ClassVar[tuple[str, ...]] = ("get_queryset", "scoped")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_overrides(cls, ApiViewMixin._final, "ApiViewMixin")

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

    def scoped_queryset(self) -> QuerySet[Any]:
        """The rows this view reads, before scoping: the view's `queryset` by default."""
        queryset = getattr(self, "queryset", None)
        if queryset is None:
            raise NotImplementedError(f"{type(self).__qualname__}: define scoped_queryset().")
        return queryset.all()

    def get_queryset(self) -> QuerySet[Any]:
        # Schema generation runs without a caller: no organization, so no rows.
        return scoped(self.scoped_queryset(), getattr(self, "organization", None))

    def scoped(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """For a second kind of org-owned row a view reads beside its own."""
        return scoped(queryset, getattr(self, "organization", None))

    def after_authentication(self, request: Request) -> None:
        organization = getattr(self, "organization", None)
        if organization is not None:
            self._record_api_call(organization)
            self.claim_idempotency_key(request, organization)

    def _record_api_call(self, organization: Organization) -> None:
        # API calls are counted, never priced, so the spend cap can't refuse them; any other
        # failure of the ledger is logged and must not fail the caller's request.
        try:
            with transaction.atomic():
                billing.api_call_record(organization=organization)
        except Exception:
            logger.exception("Could not record an API call for organization %s", organization.pk)


class ExpertApiViewMixin(ExpertScopedMixin, _ApiBase):
    """What every expert API view inherits; see the module's docstring."""

    throttle_classes: Sequence[type[BaseThrottle]] = (ExpertRateThrottle,)
    _final_api: ClassVar[tuple[str, ...]] = ("get_queryset",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_overrides(cls, ExpertApiViewMixin._final_api, "ExpertApiViewMixin")

    def check_permissions(self, request: Request) -> None:
        key = request_api_key(request)
        if key is not None and key.organization is not None:
            raise PermissionDenied(ORGANIZATION_KEY_REFUSED)
        super().check_permissions(request)  # type: ignore[misc]
        # After the key's scopes: a key without the expert scope hears about its scope.
        if request.user.is_authenticated and not self.resolve_expert(request.user):
            raise PermissionDenied(NOT_AN_EXPERT)

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "expert"):  # schema generation: no caller, so no rows
            return expert_side().queue(None)
        return self.expert_queue()

    def after_authentication(self, request: Request) -> None:
        if hasattr(self, "expert"):
            self.claim_idempotency_key(request, user=self.expert)
