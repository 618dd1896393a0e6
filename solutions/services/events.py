"""Ticket events for outside systems: which timeline events become webhooks, and what they
carry. `ticket_event_record` calls `ticket_webhook_emit` for every timeline event, inside the
act's transaction, so a webhook leaves exactly when the act commits, once.

The payload is the ticket's public state (as the REST API shows it) and links, not its body:
the integration submitted the body itself, bodies are long and often hold credentials
(see masking), and receivers tend to forward payloads to chat tools and logs. For the same
reason the triage comes without its explanation, whose terms are the body's own words. Fetch
`links.self` with an API key for the rest. `ticket.answered` carries the expert's answer,
which is what that event is for."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from webhooks.services import webhook_event_emit

from ..models import ExpertAnswer, Ticket
from ..selectors import ticket_triage_summary
from .common import absolute_url

# Timeline event kind -> webhook event type.
TIMELINE_WEBHOOKS = {
    "triaged": "ticket.triaged",
    "escalated": "ticket.escalated",
    "expert_answered": "ticket.answered",
    "resolved_by_suggestion": "ticket.resolved",
    "answer_accepted": "ticket.resolved",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_webhook_data(ticket: Ticket, *, details: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ticket": {
            "id": ticket.number,
            "title": ticket.title,
            "status": ticket.status,
            "category": ticket.category,
            "priority": ticket.priority,
            "resolution": ticket.resolution,
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(ticket.updated_at),
            "escalated_at": _iso(ticket.escalated_at),
            "resolved_at": _iso(ticket.resolved_at),
            # Without the explanation: its terms are words of the body (see above).
            "triage": ticket_triage_summary(ticket, absolute_url=absolute_url, explanation=False),
            "links": {
                # The REST API's path is a public contract (docs/api.md).
                "self": absolute_url(f"/api/v1/tickets/{ticket.number}/"),
                "web": absolute_url(reverse("ticket_detail", args=[ticket.number])),
            },
        }
    }
    answer_id = details.get("answer_id")
    if answer_id is not None:
        answer = ExpertAnswer.objects.filter(pk=answer_id, ticket=ticket).first()
        if answer is not None:
            data["answer"] = {
                "id": answer.pk,
                "body": answer.body,
                "format": "markdown",
                "created_at": _iso(answer.created_at),
            }
    return data


def ticket_webhook_emit(*, ticket: Ticket, kind: str, details: dict[str, Any]) -> None:
    event = TIMELINE_WEBHOOKS.get(kind)
    if event is None:
        return
    webhook_event_emit(
        organization=ticket.organization,
        event=event,
        data=lambda: ticket_webhook_data(ticket, details=details),
    )
