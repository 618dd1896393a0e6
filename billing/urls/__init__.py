"""Mounted at /billing/: the subscription, usage and invoices, and experts' earnings."""

from .earnings import urlpatterns as earnings
from .subscriptions import urlpatterns as subscriptions
from .usage import urlpatterns as usage

urlpatterns = [*subscriptions, *usage, *earnings]
