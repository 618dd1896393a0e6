"""The ticket page's e-mail panel, for tickets that have a requester: the solutions app's
template includes it with one tag and knows nothing of inbound/."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import ticket_email_panel

register = template.Library()


@register.inclusion_tag("inbound/_ticket_panel.html", takes_context=True)
def requester_email_panel(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    return {
        "panel": ticket_email_panel(ticket),
        "ticket": ticket,
        "csrf_token": context.get("csrf_token"),
    }
