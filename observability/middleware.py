"""Request count and latency per resolved route name (never the raw path: a path holds ids
and tokens, one series each would swamp Prometheus)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .metrics import HTTP_LATENCY, HTTP_REQUESTS, method_label, status_class

# Paths no route matched (scanners' guesses, typos) share one label value.
UNMATCHED = "<unmatched>"


class MetricsMiddleware:
    """First in MIDDLEWARE, so that its time covers every other middleware. Django turns a
    view's exception into a response before it comes back here, so errors are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or UNMATCHED) if match is not None else UNMATCHED
        method = method_label(request.method)
        HTTP_REQUESTS.labels(
            route=route, method=method, status=status_class(response.status_code)
        ).inc()
        HTTP_LATENCY.labels(route=route, method=method).observe(elapsed)
        return response
