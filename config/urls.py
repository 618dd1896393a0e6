from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
    path("model/", include("ml.urls")),
    path("tickets/", include("solutions.urls_tickets")),
    path("kb/", include("solutions.urls_knowledge")),
    path("experts/", include("solutions.urls_experts")),
    path("settings/", include("solutions.urls_settings")),
    path("billing/", include("billing.urls")),
    path("", include("accounts.urls")),
]
