from django.urls import path

from .views import ReportSummaryViewSet

urlpatterns = [
    path(
        "reports/summary/",
        ReportSummaryViewSet.as_view({"get": "retrieve"}),
        name="api-reports-summary",
    )
]
