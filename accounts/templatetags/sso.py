"""The login page's single sign-on button: "Sign in with <Org> SSO" once the page knows the
address (typed into the login form, or ?email= in a link), else a field to type it."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import sso_for_email

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_login_choice(context: dict[str, Any]) -> dict[str, str] | None:
    request = context.get("request")
    if request is None:
        return None
    email = (
        request.POST.get("login") or request.POST.get("email") or request.GET.get("email") or ""
    ).strip()
    if "@" not in email or len(email) > 254:
        return None
    sso = sso_for_email(email)
    if sso is None:
        return None
    return {"email": email.lower(), "name": sso.organization.name}
