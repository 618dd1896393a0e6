"""Tenancy in one place.

`OrganizationMiddleware` resolves `request.organization` (and `request.membership`) from the
organization chosen in the session, verified against the user's memberships on every request.
Every org-owned read of a page goes through its base class, `OrganizationRequiredMixin`:
a final `get_queryset()` scopes whatever the view's `scoped_queryset()` hook returns, and
`get_object()` finds one object in it, so a user of org A asking for org B's object gets a
404, never the object and never a 403 that would confirm it exists. A view can't forget the
scope: overriding `get_queryset()` (or `scoped()`, `get_object()`) is refused when the class
is defined. The API's base classes (`api.views`) do the same.

The expert side, which spans organizations, has its own gate: `ExpertScopedMixin`, over the
selectors the solutions app registers (`expert_side_register`), since accounts can't import
the app that owns experts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from .models import Membership, Organization, Role, User
from .selectors import memberships_of

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
    memberships = memberships_of(user)
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


def refuse_overrides(cls: type, final: tuple[str, ...], base: str) -> None:
    """Raises when `cls` redefines one of `final`: the base class `base` owns them so that
    tenancy can't be skipped by a subclass (as PostHog's TeamAndOrgViewSetMixin does)."""
    for name in final:
        if name in cls.__dict__:
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} overrides {name}(), which {base} owns; "
                "return the unscoped rows from scoped_queryset() instead."
            )


class OrganizationRequiredMixin(LoginRequiredMixin):
    """Views of the enterprise side: a signed-in member of the active organization, optionally
    with one of `required_roles`. Users without an organization are sent to create one.

    Reads of org-owned rows go through `get_queryset()` (the view's `scoped_queryset()`, by
    default `model`'s rows, scoped to the organization) and `get_object(**lookup)` (one of
    them, or a 404). A view that reads a second kind of row passes it through `scoped()`."""

    required_roles: frozenset[str] | None = None
    model: type[Model] | None = None
    request: HttpRequest
    _final: ClassVar[tuple[str, ...]] = ("get_queryset", "get_object", "scoped")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_overrides(cls, OrganizationRequiredMixin._final, "OrganizationRequiredMixin")

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

    def scoped_queryset(self) -> QuerySet[Any]:
        """The rows this view reads, before scoping: `model`'s by default."""
        if self.model is None:
            raise ImproperlyConfigured(
                f"{type(self).__qualname__} reads org-owned rows: set `model` or define "
                "scoped_queryset()."
            )
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet[Any]:
        return scoped(self.scoped_queryset(), self.organization)

    def get_object(self, **lookup: Any) -> Any:
        """The one row of `get_queryset()` matching `lookup`; a 404 when there is none, also
        when it belongs to another organization."""
        return get_scoped_or_404(self.scoped_queryset(), self.organization, **lookup)

    def scoped(self, queryset: QuerySet[M]) -> QuerySet[M]:
        return scoped(queryset, self.organization)


class ManagerRequiredMixin(OrganizationRequiredMixin):
    required_roles = frozenset({Role.OWNER, Role.ADMIN})


# ---------------------------------------------------------------- the expert side


@dataclass(frozen=True)
class ExpertSide:
    """The solutions app's selectors for experts, registered in its AppConfig.ready."""

    profile_of: Callable[[User], Any | None]
    # With None: no rows (the schema generator asks without a caller).
    queue: Callable[[User | None], QuerySet[Any]]
    ticket_visible: Callable[[User, int], Any | None]
    # Where the expert stands against the reliable commission tier, skill by skill (billing's
    # earnings page shows it; solutions.selectors.reputation.ExpertStanding).
    standing: Callable[[User], Any] | None = None


_expert_side: ExpertSide | None = None
EXPERT_ONBOARDING_URL_NAME = "expert_onboarding"
NOT_AN_EXPERT = "Set up your expert profile first."
NOT_VISIBLE = "No such ticket in your queue."


def expert_side_register(side: ExpertSide) -> None:
    global _expert_side
    _expert_side = side


def expert_side() -> ExpertSide:
    if _expert_side is None:
        raise ImproperlyConfigured("No app registered the expert side (solutions does).")
    return _expert_side


class ExpertScopedMixin:
    """The one gate of the expert side, for pages and the API alike: the caller is a user with
    an expert profile (`self.profile`; `self.expert` is the user), their queue is
    `expert_queue()`, and a ticket they may not read is a 404 from `expert_ticket()`. Pages
    use `ExpertRequiredMixin`, the expert API `api.views.ExpertApiViewMixin`; both resolve
    the profile through `resolve_expert()` before anything else runs."""

    profile: Any
    expert: User
    _final: ClassVar[tuple[str, ...]] = ("resolve_expert", "expert_queue", "expert_ticket")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_overrides(cls, ExpertScopedMixin._final, "ExpertScopedMixin")

    def resolve_expert(self, user: Any) -> bool:
        """Sets `expert` and `profile` when `user` is an expert; False otherwise."""
        profile = expert_side().profile_of(user) if isinstance(user, User) else None
        if profile is None:
            return False
        self.expert, self.profile = user, profile
        return True

    def expert_queue(self) -> QuerySet[Any]:
        return expert_side().queue(self.expert)

    def expert_standing(self) -> Any | None:
        """The expert's standing against the reliable commission tier, or None."""
        standing = expert_side().standing
        return standing(self.expert) if standing is not None else None

    def expert_ticket(self, ticket_id: int, *, not_found: type[Exception] = Http404) -> Any:
        """The ticket if the expert may read its masked copy; else `not_found` is raised."""
        ticket = expert_side().ticket_visible(self.expert, ticket_id)
        if ticket is None:
            raise not_found(NOT_VISIBLE)
        return ticket


class ExpertRequiredMixin(ExpertScopedMixin, LoginRequiredMixin):
    """Expert pages: a signed-in user with an expert profile; other users are sent to the
    expert onboarding page."""

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.resolve_expert(request.user):
            messages.info(request, NOT_AN_EXPERT)
            return redirect(EXPERT_ONBOARDING_URL_NAME)
        return super().dispatch(request, *args, **kwargs)
