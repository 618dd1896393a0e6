from django.urls import path

from ..views import usage as views_usage

urlpatterns = [
    path("usage/", views_usage.UsageView.as_view(), name="billing_usage"),
    path("invoices/", views_usage.InvoiceListView.as_view(), name="billing_invoices"),
]
