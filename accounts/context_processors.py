from typing import Any

from django.http import HttpRequest

from .models import Membership


def tenancy(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    user = request.user
    memberships = (
        Membership.objects.filter(user=user).select_related("organization")
        if user.is_authenticated
        else Membership.objects.none()
    )
    return {
        "current_membership": membership,
        "current_organization": getattr(request, "organization", None),
        "user_memberships": memberships,
        "can_manage": bool(membership and membership.can_manage),
    }
