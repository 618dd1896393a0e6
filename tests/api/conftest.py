from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import services
from accounts.models import ApiKey, Organization
from tests.conftest import STARTER_ANSWERS

ALL_SCOPES = ["tickets:read", "tickets:write"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def owner_of(org: Organization):
    return org.memberships.get(role="owner").user


@pytest.fixture
def make_key(db):
    def make(org: Organization, scopes=None, **kwargs) -> tuple[ApiKey, str]:
        return services.api_key_create(
            organization=org,
            actor=owner_of(org),
            name=kwargs.pop("name", "CI"),
            scopes=ALL_SCOPES if scopes is None else scopes,
            **kwargs,
        )

    return make


def bearer(plaintext: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


@pytest.fixture
def org_with_model(make_org_with_model):
    return make_org_with_model(STARTER_ANSWERS[:2])
