"""View pieces every app shares (imports no app: tenancy comes from the view's own bases)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect


def validation_text(exc: ValidationError) -> str:
    """A service's ValidationError as one sentence for a flash message."""
    return " ".join(str(m) for m in exc.messages)


class PostActionMixin:
    """A POST-only act of a settings page: `act()` does it and returns what to say; a refusal
    (PermissionDenied) or a ValidationError comes back as an error message; either way the
    browser goes back to the page named `redirect_to`. Put it after the tenancy mixin."""

    redirect_to: str = ""

    def act(self, request: HttpRequest, **kwargs: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        try:
            done = self.act(request, **kwargs)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, validation_text(exc))
        else:
            messages.success(request, done)
        return redirect(self.redirect_to)
