"""Mounted at /billing/: the subscription, usage and invoices, the SLA hours, and experts'
earnings."""

from .earnings import urlpatterns as earnings
from .sla import urlpatterns as sla
from .subscriptions import urlpatterns as subscriptions
from .usage import urlpatterns as usage

urlpatterns = [*subscriptions, *usage, *sla, *earnings]
