"""Triage results as the engine returns them (`ml.serving.TriageResult`), for the outcomes a
test needs to see whatever the tiny session model happens to say: they go through the real
`ticket_triage_record`, which is what stores and acts on a result."""

from __future__ import annotations

from typing import Any

from accounts.models import Organization
from ml.models import ModelVersion
from ml.serving import Suggestion, TriageResult
from solutions.models import Ticket
from solutions.services import tickets as ticket_services

VPN_ANSWER = Suggestion(
    "import", "x0", "VPN router drops", "Restart the VPN client and renew the router lease.", 0.93
)


def network_explanation(ticket_pk: int, article_pk: int) -> dict[str, Any]:
    """An explanation citing a ticket, an article and an imported row."""
    return {
        "terms": [
            {"term": "vpn", "weight": 0.42},
            {"term": "router", "weight": 0.21},
            {"term": "printer", "weight": -0.05},
        ],
        "neighbours": [
            {
                "key": f"ticket:{ticket_pk}",
                "label": "network",
                "similarity": 0.87,
                "title": "VPN disconnects every hour",
            },
            {
                "key": f"article:{article_pk}",
                "label": "network",
                "similarity": 0.74,
                "title": "Resetting the office router",
            },
            {
                "key": "import:INC-2291",
                "label": "hardware",
                "similarity": 0.61,
                "title": "Dock drops the network",
            },
        ],
    }


def triage_result(organization: Organization, **fields: Any) -> TriageResult:
    """A result from the organization's champion: sure of network by default."""
    champion = ModelVersion.objects.get(
        organization=organization, status=ModelVersion.Status.CHAMPION
    )
    values: dict[str, Any] = {
        "available": True,
        "category": "network",
        "category_confidence": 0.91,
        "priority": "high",
        "priority_confidence": 0.7,
        "model_version": champion.version,
        "model_version_id": champion.pk,
        "suggestions": [VPN_ANSWER],
        "candidates": [("network", 0.91), ("software", 0.05), ("hardware", 0.03)],
        "explanation": {"terms": [{"term": "vpn", "weight": 0.42}], "neighbours": []},
    }
    values.update(fields)
    return TriageResult(**values)


def vague_result(organization: Organization) -> TriageResult:
    """What the engine says of "it doesn't work": too little to triage."""
    return triage_result(
        organization,
        category="hardware",
        category_confidence=0.22,
        priority="medium",
        abstained=True,
        needs_detail=True,
        candidates=[("hardware", 0.22), ("network", 0.19), ("software", 0.17)],
        explanation={"terms": [{"term": "work", "weight": 0.02}], "neighbours": []},
    )


def unsure_result(organization: Organization, **fields: Any) -> TriageResult:
    """Below the category's threshold for the precision target, with a similar answer."""
    values: dict[str, Any] = {
        "category": "software",
        "category_confidence": 0.48,
        "abstained": True,
        "candidates": [("software", 0.48), ("access", 0.31), ("network", 0.12)],
    }
    values.update(fields)
    return triage_result(organization, **values)


def record(ticket: Ticket, result: TriageResult, precision_target: float = 0.95) -> Ticket:
    return ticket_services.ticket_triage_record(
        ticket=ticket, result=result, precision_target=precision_target
    )
