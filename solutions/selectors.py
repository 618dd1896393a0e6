"""Reads that carry a rule: the ticket list's filters, always inside one organization."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Organization

from .models import Ticket


def tickets_filtered(organization: Organization, params: Any) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(organization=organization).select_related("author", "assignee")
    status = params.get("status", "")
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    elif status == "open":
        tickets = tickets.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    if category := params.get("category", ""):
        tickets = tickets.filter(category__iexact=category)
    if priority := params.get("priority", ""):
        tickets = tickets.filter(priority=priority)
    assignee = params.get("assignee", "")
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(assignee))
    if q := (params.get("q") or "").strip()[:200]:
        match = Q(title__icontains=q) | Q(body__icontains=q)
        if q.lstrip("#").isdigit():
            match |= Q(number=int(q.lstrip("#")))
        tickets = tickets.filter(match)
    return tickets
