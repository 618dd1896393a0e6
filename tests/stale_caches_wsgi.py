"""The web application with per-process caches that are invalidated by local state only: what
tests/ml/test_cross_process_caches.py must catch. Serve it instead of config.wsgi with

    STALE_CACHES=model,index,plan,rate,key pytest tests/ml/test_cross_process_caches.py

and every test there fails (each names the kinds it is about):

- model: the first champion loaded for an organization, kept (a promotion is never seen);
- index: the first copy of an organization's answer index, kept whatever its version;
- plan: the organization's plan looked up once per process (prices, rate limits);
- rate: only the API's rate limit looked up once per process;
- key: an API key's lookup kept per process (a revoked key keeps working).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from config.wsgi import application  # noqa: E402 - sets Django up before the patches

__all__ = ["application"]


def _once_per(key: Any, cache: dict[Any, Any], load: Any, *args: Any) -> Any:
    if key not in cache:
        cache[key] = load(*args)
    return cache[key]


def _patch(kinds: set[str]) -> None:
    import api.authentication as authentication
    import api.throttling as throttling
    import billing.services as billing
    from billing.services import pricing
    from ml import serving

    if "model" in kinds:
        load_champion = serving.load_champion
        models: dict[Any, Any] = {}

        def champion_per_organization(version: Any) -> Any:
            return _once_per(version.organization_id, models, load_champion, version)

        serving.load_champion = champion_per_organization
    if "index" in kinds:
        index_copy = serving._index_copy

        def first_copy(organization: Any, *, state: Any = None) -> Any:
            cached = serving._index_cache.get(organization.pk)
            return cached if cached is not None else index_copy(organization, state=state)

        serving._index_copy = first_copy
    if "plan" in kinds:
        plan_of = pricing.plan_of
        plans: dict[Any, Any] = {}

        def plan_per_process(organization: Any) -> Any:
            return _once_per(organization.pk, plans, plan_of, organization)

        pricing.plan_of = billing.plan_of = plan_per_process
    if "rate" in kinds:
        rate_of = throttling.plan_rate_per_minute
        rates: dict[Any, Any] = {}

        def rate_per_process(view: Any, organization: Any) -> int:
            return int(_once_per(organization.pk, rates, rate_of, view, organization))

        throttling.plan_rate_per_minute = rate_per_process
    if "key" in kinds:
        authenticate = authentication.api_key_authenticate
        keys: dict[Any, Any] = {}

        def key_per_process(plaintext: str) -> Any:
            return _once_per(plaintext, keys, authenticate, plaintext)

        authentication.api_key_authenticate = key_per_process


_patch(set(filter(None, os.environ.get("STALE_CACHES", "").split(","))))
