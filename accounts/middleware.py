from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .tenancy import resolve_membership


class OrganizationMiddleware:
    """Sets request.membership and request.organization (None when the user has none)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = resolve_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.organization = membership.organization if membership else None  # type: ignore[attr-defined]
        return self.get_response(request)
