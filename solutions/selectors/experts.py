"""What an expert may see: their profile, their queue (escalated tickets matching their
skills, most urgent first) and the tickets whose masked copy they may read. The expert
pages, the expert API and the services share these, through `ExpertScopedMixin`
(`accounts.tenancy`) where a view is involved."""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

from accounts.models import User

from ..models import PRIORITY_RANK, Claim, ExpertProfile, Ticket


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
    Empty for anyone who is not a vetted, available expert."""
    profile = expert_profile_of(expert)
    if profile is None or not profile.vetted or not profile.available or not profile.skills:
        return Ticket.objects.none()
    # Skills are stored lower-case; categories keep the organization's spelling ("Network").
    return (
        Ticket.objects.filter(status=Ticket.Status.ESCALATED)
        .annotate(category_key=Lower("category"), priority_rank=priority_rank())
        .filter(category_key__in=profile.skills)
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
