"""/metrics (Prometheus) and /readyz (readiness). Both outside the tenancy: they describe the
service, not an organization's data, and are called by machines without a session."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .metrics import scrape
from .readiness import readiness


def _loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: HttpRequest) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, or (where METRICS_ALLOW_LOOPBACK is on, never in
    production, where a proxy's address may be loopback) a call from this machine."""
    token = str(settings.METRICS_TOKEN)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    return bool(settings.METRICS_ALLOW_LOOPBACK) and _loopback(request)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    # A 404, not a 401: to anyone without the token the endpoint does not exist.
    if not metrics_allowed(request):
        raise Http404
    body, content_type = scrape()
    return HttpResponse(body, content_type=content_type)


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503)
