"""factory_boy factories that create data through the product's own services."""

from __future__ import annotations

from typing import Any

import factory

from accounts import services
from accounts.models import Organization, User

PASSWORD = "correct-horse-battery-9"  # noqa: S105


class UserFactory(factory.Factory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], **kwargs: Any) -> User:
        return services.user_create(**kwargs)


class OrganizationFactory(factory.Factory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    creator = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Organization], **kwargs: Any) -> Organization:
        return services.organization_create(creator=kwargs["creator"], name=kwargs["name"])
