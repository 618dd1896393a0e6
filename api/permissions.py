"""What a caller may do: the key's scopes. (Who the caller is, and which organization or
expert it acts for, is settled before permissions run, by `api.views`.)"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .authentication import request_api_key


class HasScope(BasePermission):
    """The view's `required_scopes[action]` must be among the key's scopes. Session users
    act in the browser's name, so their role (checked by the services) is what limits them.
    An action missing from `required_scopes` is refused: new endpoints fail closed."""

    message = "This API key lacks the scope this request needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        action = getattr(view, "action", None)
        if action is None:  # a method the view doesn't offer: let it answer 405
            return True
        required = getattr(view, "required_scopes", {}).get(action)
        if required is None:
            return False
        key = request_api_key(request)
        if key is None:
            return True
        if required not in key.scopes:
            self.message = f"This API key lacks the {required} scope."
            return False
        return True
