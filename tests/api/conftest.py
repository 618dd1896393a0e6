from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, Organization
from ml import serving
from ml.models import ImportedTicket, ModelVersion
from ml.pipeline import checksum
from ml.services import embedding_index_rebuild

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
def org_with_model(make_org, tiny_artifact):
    """An organization whose champion is the tiny session model, with answers to retrieve."""
    org = make_org()
    ModelVersion.objects.create(
        organization=org,
        version=1,
        status=ModelVersion.Status.CHAMPION,
        artifact_path=str(tiny_artifact),
        artifact_checksum=checksum(tiny_artifact),
        label_sets={"category": ["access", "hardware", "network", "software"]},
        promoted_at=timezone.now(),
    )
    for i, (title, answer) in enumerate(
        [
            ("VPN router drops", "Restart the VPN client and renew the router lease."),
            ("Printer out of toner", "Replace the toner cartridge in tray 2."),
        ]
    ):
        ImportedTicket.objects.create(
            organization=org,
            external_id=f"x{i}",
            title=title,
            text=title,
            answer=answer,
            category="",
            priority="",
        )
    serving.reset_caches()
    embedding_index_rebuild(organization=org)
    return org
