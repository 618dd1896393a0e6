"""Signal receivers of the reports app: the satisfaction survey is opened when a ticket is
resolved, in the resolution's own transaction (a rolled-back resolution opens none)."""

from __future__ import annotations

from typing import Any

# The timeline lines every resolution path writes (solutions.services.tickets): the
# customer's acceptance, the automatic one, the one after a dispute, and "this solved it".
RESOLUTION_EVENTS = frozenset(
    {
        "answer_accepted",
        "answer_auto_accepted",
        "answer_accepted_after_dispute",
        "resolved_by_suggestion",
    }
)


def on_ticket_event(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    if not created or raw or instance.kind not in RESOLUTION_EVENTS:
        return
    from .services import survey_open

    survey_open(ticket_id=instance.ticket_id)
