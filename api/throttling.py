"""Rate limits: per caller and per organization from the plan's `api_requests_per_minute`,
per expert from settings. Fixed one-minute windows counted in the shared cache."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from billing import services as billing

from .authentication import request_api_key

DEFAULT_API_REQUESTS_PER_MINUTE = 60


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
