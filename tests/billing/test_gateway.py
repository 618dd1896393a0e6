"""The gateway reaches the local Stripe server (a real HTTP peer, not a mock)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from billing import stripe_gateway


def test_client_talks_to_localstripe(stripe_settings):
    customer = stripe_gateway.client().v1.customers.create(params={"email": "a@b.test"})
    assert customer.id.startswith("cus_")
    fetched = stripe_gateway.client().v1.customers.retrieve(customer.id)
    assert fetched.email == "a@b.test"


def test_missing_key_is_a_clear_configuration_error(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert stripe_gateway.configured() is False
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        stripe_gateway.client()
