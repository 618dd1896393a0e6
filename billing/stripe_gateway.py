"""The one place that talks to Stripe: a configured SDK client, kept at the edge.

`STRIPE_API_BASE` points the SDK at a local Stripe server (localstripe) in development and
tests; empty means api.stripe.com. Use the `v1` namespace (`client().v1.customers`). Every
create call that must not repeat passes an
idempotency key, so a retried request is a no-op at Stripe."""

from __future__ import annotations

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def client() -> stripe.StripeClient:
    key = settings.STRIPE_SECRET_KEY
    if not key:
        raise ImproperlyConfigured("STRIPE_SECRET_KEY is not set: billing can't reach Stripe.")
    base = settings.STRIPE_API_BASE or None
    return stripe.StripeClient(
        api_key=key,
        base_addresses={"api": base} if base else {},
        max_network_retries=2,
    )


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)
