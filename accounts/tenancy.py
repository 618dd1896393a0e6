"""Tenancy in one place.

`OrganizationMiddleware` resolves `request.organization` (and `request.membership`) from the
organization chosen in the session, verified against the user's memberships on every request.
Every org-owned read goes through `scoped()` / `get_scoped_or_404()` or a view that inherits
`OrganizationRequiredMixin`, so a user of org A asking for org B's object gets a 404, never
the object and never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from .models import Membership, Organization, Role, User

SESSION_KEY = "active_organization_id"

M = TypeVar("M", bound=Model)


def request_user(request: HttpRequest) -> User:
    """The signed-in user, typed; views behind a login check call this."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def resolve_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("organization")
    wanted = request.session.get(SESSION_KEY)
    membership = None
    if wanted is not None:
        membership = memberships.filter(organization_id=wanted).first()
    if membership is None:
        membership = memberships.order_by("created_at", "id").first()
        if membership is not None:
            request.session[SESSION_KEY] = membership.organization_id
        else:
            request.session.pop(SESSION_KEY, None)
    return membership


def activate_organization(request: HttpRequest, organization: Organization) -> None:
    """Make `organization` the session's active tenant; the caller has checked membership."""
    request.session[SESSION_KEY] = organization.pk


def scoped(queryset: QuerySet[M], organization: Organization | None) -> QuerySet[M]:
    """The one filter for org-owned rows: every such model has an `organization` field."""
    if organization is None:
        return queryset.none()
    return queryset.filter(organization=organization)


def get_scoped_or_404(queryset: QuerySet[M], organization: Organization | None, **lookup: Any) -> M:
    obj = scoped(queryset, organization).filter(**lookup).first()
    if obj is None:
        raise Http404("No such object in this organization.")
    return obj


class OrganizationRequiredMixin(LoginRequiredMixin):
    """Views of the enterprise side: a signed-in member of the active organization, optionally
    with one of `required_roles`. Users without an organization are sent to create one."""

    required_roles: frozenset[str] | None = None
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return redirect("organization_create")
        if self.required_roles is not None and membership.role not in self.required_roles:
            raise PermissionDenied("Your role in this organization does not allow this.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def organization(self) -> Organization:
        return self.request.organization  # type: ignore[attr-defined]

    def scoped(self, queryset: QuerySet[M]) -> QuerySet[M]:
        return scoped(queryset, self.organization)


class ManagerRequiredMixin(OrganizationRequiredMixin):
    required_roles = frozenset({Role.OWNER, Role.ADMIN})
