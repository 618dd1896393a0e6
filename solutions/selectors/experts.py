"""What an expert may see: their profile, their queue (escalated tickets matching their
skills, most urgent first) and the tickets whose masked copy they may read. The expert
pages, the expert API and the services share these, through `ExpertScopedMixin`
(`accounts.tenancy`) where a view is involved."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User

from ..models import PRIORITY_RANK, Claim, ExpertProfile, Ticket, TicketOffer


def expert_profile_of(user: User | None) -> ExpertProfile | None:
    """The user's expert profile, vetted or not; None for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ExpertProfile.objects.filter(user=user).first()


def priority_rank() -> Case:
    """critical < high < medium < low; priorities outside the defaults sort last."""
    return Case(
        *[When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANK.items()],
        default=Value(len(PRIORITY_RANK)),
        output_field=IntegerField(),
    )


def expert_queue(*, expert: User | None) -> QuerySet[Ticket]:
    """Escalated tickets whose category is one of the expert's skills, most urgent first.
    Empty for anyone who is not a vetted, available expert. While a ticket is offered first
    to the best-matching experts (`offered_until` in the future, solutions.services.routing)
    only they see it; `offered_to_me` says which tickets are offered to this expert."""
    profile = expert_profile_of(expert)
    if profile is None or not profile.vetted or not profile.available or not profile.skills:
        return Ticket.objects.none()
    offered_to_me = Exists(TicketOffer.objects.filter(ticket=OuterRef("pk"), expert=expert))
    # Skills are stored lower-case; categories keep the organization's spelling ("Network").
    return (
        Ticket.objects.filter(status=Ticket.Status.ESCALATED)
        .annotate(
            category_key=Lower("category"),
            priority_rank=priority_rank(),
            offered_to_me=offered_to_me,
        )
        .filter(category_key__in=profile.skills)
        .filter(
            Q(offered_until__isnull=True)
            | Q(offered_until__lte=timezone.now())
            | Q(offered_to_me=True)
        )
        .select_related("organization")
        .order_by(
            "priority_rank",
            F("sla_due_at").asc(nulls_last=True),
            F("escalated_at").asc(nulls_last=True),
            "pk",
        )
    )


def expert_ticket_visible(*, expert: User, ticket_id: int) -> Ticket | None:
    """The ticket if the expert may read its masked copy: it is in their queue, or they hold
    or held a claim on it. None otherwise (the page answers 404)."""
    ticket = expert_queue(expert=expert).filter(pk=ticket_id).first()
    if ticket is None and Claim.objects.filter(ticket_id=ticket_id, expert=expert).exists():
        ticket = Ticket.objects.select_related("organization").filter(pk=ticket_id).first()
    return ticket


def expert_ticket_taken(*, expert: User, ticket_id: int) -> bool:
    """A ticket of the expert's skills that was escalated but has left their queue (another
    expert claimed it, or it was answered). A claim on it says it was taken, rather than a
    404 that reads like a wrong id; nothing of the ticket is shown, and tickets outside the
    expert's skills stay 404s."""
    profile = expert_profile_of(expert)
    if profile is None or not profile.skills:
        return False
    return (
        Ticket.objects.filter(pk=ticket_id, escalated_at__isnull=False)
        .annotate(category_key=Lower("category"))
        .filter(category_key__in=profile.skills)
        .exists()
    )


def experts_directory(*, skill: str = "") -> QuerySet[ExpertProfile]:
    """Vetted experts as organizations see them, busiest first; `skill` narrows to profiles
    whose skills contain it."""
    experts = (
        ExpertProfile.objects.filter(vetted=True)
        .select_related("user")
        .annotate(answers_count=Count("user__expert_answers"))
        .order_by("-answers_count", F("rating_count").desc(), "pk")
    )
    return experts.filter(skills__icontains=skill) if skill else experts


@dataclass(frozen=True)
class SlaRecord:
    """An expert's SLA history: claims answered in time vs. claims that lapsed (breaches).
    Released claims are neither: giving a ticket back in time is not a breach."""

    on_time: int
    breached: int

    @property
    def decided(self) -> int:
        return self.on_time + self.breached

    @property
    def compliance(self) -> float | None:
        return self.on_time / self.decided if self.decided else None

    @property
    def compliance_percent(self) -> int | None:
        share = self.compliance
        return None if share is None else round(100 * share)


def expert_sla_record(*, expert: User) -> SlaRecord:
    counts = Claim.objects.filter(expert=expert).aggregate(
        # The same rule as the reputation's per-skill record (selectors/reputation.py).
        on_time=Count("pk", filter=Q(status=Claim.Status.ANSWERED, breached_at__isnull=True)),
        breached=Count("pk", filter=Q(breached_at__isnull=False)),
    )
    return SlaRecord(on_time=counts["on_time"], breached=counts["breached"])
