from typing import Any

from django.http import HttpRequest

from .models import Notification
from .selectors import expert_profile_of


def expert_nav(request: HttpRequest) -> dict[str, Any]:
    """The top bar's notification badge and expert links, on every page."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count(),
        "is_expert": expert_profile_of(user) is not None,
    }
