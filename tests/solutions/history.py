"""An expert's past, built row by row for the reputation, routing and commission tests: each
call is one finished claim (and usually its answer) on a ticket of one category, with exactly
the outcome the test needs (accepted with a rating, automatically, reopened, refunded, lost or
won in a dispute, breached, released). Built directly, not through the services, so a test
states its numbers plainly and the history costs a few inserts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, User
from solutions.models import Claim, Dispute, ExpertAnswer, Rating, Ticket

ANSWER_BODY = "Renew the DHCP lease, then restart the VPN client."


def _ticket(organization: Organization, category: str, status: str) -> Ticket:
    number = (
        Ticket.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    return Ticket.objects.create(
        organization=organization,
        number=number,
        title=f"Past ticket {number}",
        body="Something broke.",
        status=status,
        category=category,
        priority="medium",
        masked_title=f"Past ticket {number}",
        masked_body="Something broke.",
        expert_price_cents=5000,
        expert_net_cents=4000,
        escalated_at=timezone.now() - timedelta(days=30),
    )


def past_answer(
    organization: Organization,
    expert: User,
    category: str = "network",
    *,
    status: str = ExpertAnswer.Status.ACCEPTED,
    score: int | None = 5,
    auto: bool = False,
    dispute: str | None = None,
) -> ExpertAnswer:
    """A claim answered in time, its answer in `status`, rated `score` (none when `auto` or
    not accepted), with a dispute decided `dispute` (refunded, split, upheld, open) if given."""
    ticket = _ticket(organization, category, Ticket.Status.RESOLVED)
    claimed_at = timezone.now() - timedelta(days=20)
    claim = Claim.objects.create(
        ticket=ticket,
        expert=expert,
        status=Claim.Status.ANSWERED,
        claimed_at=claimed_at,
        due_at=claimed_at + timedelta(hours=24),
        ended_at=claimed_at + timedelta(hours=2),
    )
    answer = ExpertAnswer.objects.create(
        ticket=ticket,
        expert=expert,
        claim=claim,
        body=ANSWER_BODY,
        status=status,
        price_cents=5000,
        auto_accepted=auto,
        accepted_at=claimed_at if status == ExpertAnswer.Status.ACCEPTED else None,
    )
    if score is not None and not auto and status == ExpertAnswer.Status.ACCEPTED:
        Rating.objects.create(answer=answer, score=score)
    if dispute is not None:
        Dispute.objects.create(
            organization=organization,
            ticket=ticket,
            answer=answer,
            reason="It did not work.",
            status=dispute,
            decided_at=None if dispute == Dispute.Status.OPEN else timezone.now(),
        )
    return answer


def past_claim(
    organization: Organization, expert: User, category: str = "network", *, breached: bool
) -> Claim:
    """A claim that ended without an answer: expired past its deadline (an SLA breach), or
    released in time (neither kept nor breached)."""
    # Closed since, so that it is not in anyone's queue.
    ticket = _ticket(organization, category, Ticket.Status.CLOSED)
    claimed_at = timezone.now() - timedelta(days=10)
    due_at = claimed_at + timedelta(hours=4)
    return Claim.objects.create(
        ticket=ticket,
        expert=expert,
        status=Claim.Status.EXPIRED if breached else Claim.Status.RELEASED,
        claimed_at=claimed_at,
        due_at=due_at,
        ended_at=due_at if breached else claimed_at + timedelta(hours=1),
        breached_at=due_at if breached else None,
    )


def reliable_history(
    organization: Organization, expert: User, category: str = "network", answers: int = 10
) -> None:
    """Enough well-rated, on-time answers in `category` to pass the default reliable bar."""
    for _ in range(answers):
        past_answer(organization, expert, category, score=5)


def seed_plans_with_tiers() -> None:
    """The plans as the data migrations leave them (0003 seeds them, 0008 gives them their
    reliable tier). A transactional test's flush removes them for the tests after it, so the
    tests that need the tier put them back."""
    import importlib

    from django.apps import apps

    importlib.import_module("billing.migrations.0003_seed_plans").seed(apps, None)
    importlib.import_module("billing.migrations.0008_reliable_commission_tier").add_tiers(
        apps, None
    )
