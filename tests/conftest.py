from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest
from django.test import Client

from accounts import services
from accounts.models import Membership, Organization, Role, User
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**kwargs: object) -> User:
        return cast(User, UserFactory(**kwargs))

    return make


@pytest.fixture
def make_org(db: None) -> Callable[..., Organization]:
    def make(**kwargs: object) -> Organization:
        return cast(Organization, OrganizationFactory(**kwargs))

    return make


@pytest.fixture
def add_member(db: None) -> Callable[[Organization, User, str], Membership]:
    """Adds a member the way the product does: an invitation, then its acceptance."""

    def add(org: Organization, user: User, role: str = Role.AGENT) -> Membership:
        owner = Membership.objects.filter(organization=org, role=Role.OWNER).first()
        assert owner is not None
        issued = services.invitation_create(
            actor=owner.user, organization=org, email=user.email, role=role
        )
        return services.invitation_accept(token=issued.token, user=user)

    return add


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make_client(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make_client
