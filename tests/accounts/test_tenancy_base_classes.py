"""Tenancy is enforced by the base classes: a view can't override the scoping methods, and
what a view's hook returns is scoped to the caller's organization."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import QuerySet
from django.http import Http404
from django.test import RequestFactory
from django.views import View
from rest_framework import viewsets

from accounts.models import ApiKey, Organization, User
from accounts.tenancy import ExpertScopedMixin, ManagerRequiredMixin, OrganizationRequiredMixin
from api.views import ApiViewMixin, ExpertApiViewMixin
from solutions.models import Ticket
from solutions.services import tickets as ticket_services


@pytest.mark.parametrize("name", ["get_queryset", "get_object", "scoped"])
def test_a_page_may_not_override_the_scoping(name: str):
    with pytest.raises(TypeError, match=f"overrides {name}"):
        type("Leaky", (ManagerRequiredMixin, View), {name: lambda self: None})


@pytest.mark.parametrize("name", ["get_queryset", "scoped"])
def test_an_endpoint_may_not_override_the_scoping(name: str):
    with pytest.raises(TypeError, match=f"overrides {name}"):
        type("Leaky", (ApiViewMixin, viewsets.GenericViewSet), {name: lambda self: None})


@pytest.mark.parametrize("name", ["get_queryset", "expert_queue", "expert_ticket"])
def test_the_expert_side_may_not_override_its_gate(name: str):
    with pytest.raises(TypeError, match=f"overrides {name}"):
        type("Leaky", (ExpertApiViewMixin, viewsets.GenericViewSet), {name: lambda self: None})
    with pytest.raises(TypeError):
        type("Leaky", (ExpertScopedMixin,), {"resolve_expert": lambda self, user: True})


def test_the_hook_is_scoped_and_another_organizations_row_is_a_404(
    make_user: Callable[..., User], make_org: Callable[..., Organization]
):
    owner_a, owner_b = make_user(), make_user()
    org_a, org_b = make_org(creator=owner_a), make_org(creator=owner_b)
    mine = ticket_services.ticket_submit(
        organization=org_a, author=owner_a, title="VPN drops", body="Every hour."
    )
    theirs = ticket_services.ticket_submit(
        organization=org_b, author=owner_b, title="Printer jam", body="Tray 2."
    )

    class TicketPage(OrganizationRequiredMixin, View):
        def scoped_queryset(self) -> QuerySet[Ticket]:
            return Ticket.objects.all()  # unscoped on purpose: the base class scopes it

    page = TicketPage()
    page.request = RequestFactory().get("/")
    page.request.organization = org_a  # type: ignore[attr-defined]
    assert list(page.get_queryset()) == [mine]
    assert page.get_object(pk=mine.pk) == mine
    with pytest.raises(Http404):
        page.get_object(pk=theirs.pk)


def test_an_endpoint_without_an_organization_sees_nothing():
    class Keys(ApiViewMixin, viewsets.GenericViewSet[ApiKey]):
        queryset = ApiKey.objects.all()

    assert Keys().get_queryset().query.is_empty()
