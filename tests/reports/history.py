"""A constructed history for the report tests: tickets of one organization in March 2026
with known times, resolvers, claims, usage and surveys (docs/reports.md's definitions give
the expected numbers written out in tests/reports/test_numbers.py).

The rows are written directly (backdated), so the helpers also stamp the ticket's first
response and first close as the product's acts do (solutions.services.common: the timeline
kinds, a colleague's message, an expert's answer); tests/solutions/test_ticket_milestones.py
checks that the acts themselves stamp them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Max

from accounts.models import Organization, Role, User
from billing.models import BillingAccount, Plan, UsageRecord
from reports.forms import ReportRange
from reports.models import SatisfactionSurvey
from solutions.models import (
    Claim,
    ExpertAnswer,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketSuggestion,
)
from solutions.services.common import CLOSED_KINDS, FIRST_RESPONSE_KINDS

RANGE = ReportRange(first=date(2026, 3, 1), last=date(2026, 3, 10))


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class History:
    org: Organization
    owner: User
    agent: User
    colleague: User
    expert: User
    tickets: dict[str, Ticket]


def ticket(org: Organization, author: User | None, created: datetime, **fields: Any) -> Ticket:
    number = (Ticket.objects.filter(organization=org).aggregate(n=Max("number"))["n"] or 0) + 1
    fields.setdefault("category", "network")
    fields.setdefault("priority", "high")
    return Ticket.objects.create(
        organization=org,
        author=author,
        number=number,
        title=fields.pop("title", f"Ticket {number}"),
        body="Something is broken.",
        created_at=created,
        **fields,
    )


def _stamp(t: Ticket, field: str, when: datetime) -> None:
    """The earliest of the stamps (the history is not written in time order everywhere)."""
    current = getattr(t, field)
    if current is None or when < current:
        Ticket.objects.filter(pk=t.pk).update(**{field: when})
        setattr(t, field, when)


def event(t: Ticket, kind: str, when: datetime, **details: Any) -> None:
    TicketEvent.objects.create(ticket=t, kind=kind, message=kind, details=details, created_at=when)
    if kind in FIRST_RESPONSE_KINDS or (kind == "triaged" and details.get("proposed")):
        _stamp(t, "first_response_at", when)
    if kind in CLOSED_KINDS:
        _stamp(t, "closed_at", when)


def suggestion(t: Ticket, *, proposed: bool) -> None:
    TicketSuggestion.objects.create(
        ticket=t, rank=1, source_kind="article", source_key="kb:1", title="Restart it",
        answer="Restart it.", score=0.9, probability=0.9, proposed=proposed,
    )  # fmt: skip


def claim(t: Ticket, expert: User, claimed: datetime, **fields: Any) -> Claim:
    return Claim.objects.create(
        ticket=t, expert=expert, claimed_at=claimed, due_at=claimed, **fields
    )


def answer(t: Ticket, c: Claim, when: datetime) -> ExpertAnswer:
    _stamp(t, "first_response_at", when)  # the expert_answered event's stamp
    return ExpertAnswer.objects.create(
        ticket=t, expert=c.expert, claim=c, body="Do this.", price_cents=8000, created_at=when
    )


def message(t: Ticket, author: User, side: str, when: datetime, kind: str = "message") -> None:
    TicketMessage.objects.create(
        ticket=t, author=author, side=side, kind=kind, body="…", created_at=when
    )
    # The expert's message (its event) or a colleague's (conversations) is a first response;
    # a note or the author's own message is not.
    if kind != "note" and (side == "expert" or author.pk != t.author_id):
        _stamp(t, "first_response_at", when)


def expert_usage(org: Organization, key: str, cents: int, when: datetime) -> None:
    UsageRecord.objects.create(
        organization=org, kind="expert_answer", unit_price_cents=cents,
        idempotency_key=key, occurred_at=when,
    )  # fmt: skip


def ai_usage(org: Organization, key: str, when: datetime) -> None:
    UsageRecord.objects.create(
        organization=org, kind="ai_answer", idempotency_key=key, occurred_at=when
    )


def survey(t: Ticket, *, sent: bool, score: int | None) -> SatisfactionSurvey:
    assert t.resolved_at is not None
    return SatisfactionSurvey.objects.create(
        organization=t.organization, ticket=t, recipient=t.author, email="r@example.test",
        resolver=t.resolution, created_at=t.resolved_at, sent_at=t.resolved_at if sent else None,
        score=score, rated_at=t.resolved_at if score else None,
    )  # fmt: skip


def build_history(make_org: Any, make_user: Any, add_member: Any, make_expert: Any) -> History:
    org = make_org(name="Report Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    agent, colleague = make_user(), make_user()
    add_member(org, agent, Role.AGENT)
    add_member(org, colleague, Role.AGENT)
    expert = make_expert()
    plan = Plan.objects.create(
        code="report-plan", name="Report plan", base_price_cents=31_000, included_ai_answers=0,
        ai_overage_cents=50, expert_price_cents={}, sla_hours={},
    )  # fmt: skip
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = plan
    account.save()
    done = Ticket.Status.RESOLVED
    t: dict[str, Ticket] = {}

    # Two answered by the AI: proposed at a confident triage, "this solved it".
    t["a1"] = ticket(org, agent, at(2, 10), status=done, resolution="ai", resolved_at=at(2, 11))
    suggestion(t["a1"], proposed=True)
    event(t["a1"], "triaged", at(2, 10, 0, 30), outcome="confident", proposed=True)
    t["a2"] = ticket(
        org, agent, at(3, 9), status=done, resolution="ai", resolved_at=at(3, 9, 31),
        channel="api", category="email", priority="low",
    )  # fmt: skip
    suggestion(t["a2"], proposed=True)
    event(t["a2"], "triaged", at(3, 9, 0, 10), outcome="abstained")  # not a proposal
    event(t["a2"], "triaged", at(3, 9, 1), outcome="confident", proposed=True)
    ai_usage(org, "ai-1", at(2, 11))
    ai_usage(org, "ai-2", at(3, 9, 31))
    ai_usage(org, "ai-3", at(20, 9))  # March, after the range

    # Two answered by experts.
    t["e1"] = ticket(org, agent, at(4, 8), status=done, resolution="expert", resolved_at=at(5, 8))
    suggestion(t["e1"], proposed=False)  # suggested, not proposed: no AI response
    event(t["e1"], "triaged", at(4, 8, 0, 5), outcome="confident")
    c1 = claim(t["e1"], expert, at(4, 8, 30), status="answered", ended_at=at(4, 10))
    message(t["e1"], expert, "expert", at(4, 9))
    answer(t["e1"], c1, at(4, 10))
    expert_usage(org, "ex-1", 8000, at(5, 8))

    t["e2"] = ticket(org, agent, at(6, 12), status=done, resolution="expert", resolved_at=at(6, 18))
    message(t["e2"], colleague, "customer", at(6, 12, 10), kind="note")  # a note: not a response
    message(t["e2"], agent, "customer", at(6, 12, 20))  # the author's own: not a response
    message(t["e2"], colleague, "customer", at(6, 12, 30))  # a colleague's: the first response
    claim(t["e2"], expert, at(6, 12, 15), status="expired", breached_at=at(6, 13))
    c2 = claim(t["e2"], expert, at(6, 13, 5), status="answered", ended_at=at(6, 14))
    answer(t["e2"], c2, at(6, 14))
    expert_usage(org, "ex-2", 6000, at(6, 18))

    # Closed by the organization's own people.
    t["i1"] = ticket(org, agent, at(7, 10), status=Ticket.Status.CLOSED)
    event(t["i1"], "closed", at(7, 12))
    # Merged into another: closed, but not a resolution.
    t["d1"] = ticket(org, agent, at(8, 10), status=Ticket.Status.CLOSED, duplicate_of=t["i1"])
    event(t["d1"], "closed", at(8, 11))
    # Created in the range, still open; came by e-mail.
    t["u1"] = ticket(org, None, at(9, 10), status=Ticket.Status.NEEDS_EXPERT, channel="email")
    # Resolved before the range (and created before it).
    t["old"] = ticket(
        org, agent, at(19, 10, month=2), status=done, resolution="expert",
        resolved_at=at(20, 10, month=2),
    )  # fmt: skip
    expert_usage(org, "ex-old", 9999, at(20, 10, month=2))
    # Closed after the range.
    t["late"] = ticket(org, agent, at(10, 10), status=Ticket.Status.CLOSED)
    event(t["late"], "closed", at(11, 9))

    survey(t["a1"], sent=True, score=5)
    survey(t["a2"], sent=True, score=3)
    survey(t["e1"], sent=True, score=None)
    survey(t["e2"], sent=False, score=None)
    survey(t["old"], sent=True, score=1)

    # Another organization's history in the same days: never in Report Corp's numbers.
    other = make_org(name="Other Corp")
    other_owner = other.memberships.get(role=Role.OWNER).user
    for i in range(3):
        x = ticket(
            other, other_owner, at(2 + i, 9), status=done, resolution="expert",
            resolved_at=at(2 + i, 10), category="secret-category",
        )  # fmt: skip
        survey(x, sent=True, score=1)
        expert_usage(other, f"other-{i}", 50_000, at(2 + i, 10))
        claim(x, expert, at(2 + i, 9, 10), status="expired", breached_at=at(2 + i, 9, 40))
    return History(org=org, owner=owner, agent=agent, colleague=colleague, expert=expert, tickets=t)
