"""The Reports page's demo data for `make run`: a month of resolved tickets (made by
`solutions.demo.seed_history_demo`) and their requesters' answers to the satisfaction survey.
Idempotent: nothing is added once the history exists."""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Organization, User
from solutions.demo import seed_history_demo

from .models import SatisfactionSurvey

# Scores cycled over the surveyed tickets; None: sent, not answered.
DEMO_SCORES = (5, 4, None, 5, 3, 5, None, 4, 5, 2, None, 4)


def seed_reports_demo(*, organization: Organization, owner: User, agent: User) -> list[str]:
    resolved = seed_history_demo(organization=organization, agent=agent, owner=owner)
    surveys = []
    for i, ticket in enumerate(resolved):
        if i % 6 == 5:
            continue  # not every resolution was surveyed (no address on file)
        if ticket.resolved_at is None:
            continue
        score = DEMO_SCORES[i % len(DEMO_SCORES)]
        surveys.append(
            SatisfactionSurvey(
                organization=organization,
                ticket=ticket,
                recipient=agent,
                email=agent.email,
                resolver=ticket.resolution,
                created_at=ticket.resolved_at,
                sent_at=ticket.resolved_at + timedelta(minutes=1),
                score=score,
                rated_at=None if score is None else ticket.resolved_at + timedelta(hours=2),
            )
        )
    SatisfactionSurvey.objects.bulk_create(surveys)
    if not resolved:
        return []
    return [f"{len(resolved)} resolved tickets of the last four weeks, {len(surveys)} surveys"]
