"""Fixtures of the webhooks tests: a real local receiver, loopback allowed only where a test
asks for it, fast retry settings, and endpoints made through the service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from accounts.models import Organization, Role, User
from tests.solutions.conftest import make_escalated_ticket, make_expert  # noqa: F401 - shared
from tests.webhooks.receiver import Receiver, local_receiver
from webhooks import services
from webhooks.models import EventType, WebhookEndpoint

ALL_EVENTS = list(EventType.values)


def owner_of(org: Organization) -> User:
    return org.memberships.get(role=Role.OWNER).user


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with local_receiver() as r:
        yield r


@pytest.fixture
def allow_loopback(settings):
    """The local receiver is on 127.0.0.1, which the default settings refuse."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def fast_retries(settings):
    """1 s, 2 s, 4 s, 4 s, …: the schedule's shape at test speed."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1.0
    settings.WEBHOOK_RETRY_MAX_SECONDS = 4.0
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    settings.WEBHOOK_TIMEOUT_SECONDS = 5.0
    return settings


@pytest.fixture
def make_endpoint(db: None) -> Callable[..., tuple[WebhookEndpoint, str]]:
    def make(
        org: Organization, url: str, events: list[str] | None = None, **kwargs: str
    ) -> tuple[WebhookEndpoint, str]:
        return services.webhook_endpoint_create(
            organization=org,
            actor=owner_of(org),
            url=url,
            events=ALL_EVENTS if events is None else events,
            **kwargs,
        )

    return make
