"""Signal receivers of the solutions app: they schedule tasks, on commit, and do nothing else."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .tasks.tickets import tickets_retriage_task


def on_champion_ready(sender: Any, organization: Any, **kwargs: Any) -> None:
    """Tickets that arrived while no model could serve get their triage now."""
    org_id = organization.pk
    transaction.on_commit(lambda: tickets_retriage_task.delay(org_id))
