from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, register_converter
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.errors import not_found_problem
from common.converters import IdConverter

# Before the includes below import the apps' urls, which use `<id:…>`.
register_converter(IdConverter, "id")


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
    # /metrics (Prometheus, token-protected) and /readyz (database, broker, champion models).
    path("", include("observability.urls")),
    path("api/v1/", include("solutions.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/v1/", include("ml.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's init script from its own URL (?script): the page's
    # Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("model/", include("ml.urls")),
    # Before the ticket pages: their `<number>/<action>/` route would take these paths.
    path("tickets/", include("solutions.urls.disputes")),
    # E-mail: settings/email/, tickets/<n>/email-reply/, a provider's inbound webhook.
    path("", include("inbound.urls")),
    path("", include("solutions.urls.conversations")),
    path("tickets/", include("solutions.urls.tickets")),
    path("kb/", include("solutions.urls.knowledge")),
    path("experts/", include("solutions.urls.experts")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("settings/", include("solutions.urls.settings")),
    path("billing/", include("billing.urls")),
    path("", include("reports.urls")),
    path("", include("accounts.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get problem JSON for unknown /api/ paths; people get the page."""
    if request.path.startswith("/api/"):
        return not_found_problem(request, exception)
    return page_not_found(request, exception)
