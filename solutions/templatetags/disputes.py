"""The dispute panels of the ticket pages, one tag each, so that the customer's ticket page and
the expert's ticket page include them with one line (`{% load disputes %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User

from ..models import Ticket
from ..selectors.disputes import (
    answer_disputable,
    dispute_window_ends,
    expert_ticket_disputes,
    ticket_disputes,
)

register = template.Library()


@register.inclusion_tag("solutions/disputes/_ticket_panel.html")
def ticket_dispute_panel(ticket: Ticket) -> dict[str, Any]:
    """The customer's side (the page is already scoped to the organization): the disputes and
    their decisions, and the way to dispute the answer while the window is open."""
    answer = answer_disputable(ticket)
    return {
        "ticket": ticket,
        "disputes": ticket_disputes(ticket),
        "disputable": answer,
        "window_ends": dispute_window_ends(answer) if answer is not None else None,
    }


@register.inclusion_tag("solutions/disputes/_expert_panel.html", takes_context=True)
def expert_dispute_panel(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The expert's side: disputes of their own answers, with the reason masked."""
    user = context["request"].user
    disputes = expert_ticket_disputes(expert=user, ticket=ticket) if isinstance(user, User) else []
    return {"ticket": ticket, "disputes": disputes}
