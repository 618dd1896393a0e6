"""Mounted at /billing/: the subscription, usage and invoices, and experts' earnings."""

from .urls_earnings import urlpatterns as earnings
from .urls_subscriptions import urlpatterns as subscriptions
from .urls_usage import urlpatterns as usage

urlpatterns = [*subscriptions, *usage, *earnings]
