"""Responses with a rule of their own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_secret_once(
    request: HttpRequest, template_name: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The page that shows a secret (an API key, a webhook signing secret) the only time it
    is ever shown: it is stored hashed or encrypted, so this response is the one copy, and
    no cache — the browser's back button included — may keep it."""
    response = render(request, template_name, context, status=status)
    response["Cache-Control"] = "no-store"
    return response
