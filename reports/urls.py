"""Mounted at the site's root: the Reports page and its CSV, and the requester's rating link."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("reports/export.csv", views.ReportsExportView.as_view(), name="reports_export"),
    path("rate/<str:token>/", views.SatisfactionRateView.as_view(), name="satisfaction_rate"),
]
