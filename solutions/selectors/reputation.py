"""An expert's reputation, computed from their history: per skill (the ticket's category,
compared lower-case) and overall.

* **answers** — answers given;
* **acceptance** — accepted / decided, where decided = accepted (by the customer or
  automatically) + reopened (a follow-up was needed) + refunded (a dispute before acceptance);
  answers still waiting for the customer are not decided yet;
* **rating** — the average of the customers' 1–5 ratings (automatic acceptances carry none);
* **disputes lost** — answers whose dispute ended `refunded` or `split`;
* **SLA compliance** — on time / (on time + breached): a claim answered without a breach is on
  time, a claim with `breached_at` set is breached; a released claim (handed back before its
  deadline) is neither.

Everything comes from two aggregate queries (answers, claims) grouped by expert and category,
for any number of experts at once: no query per claim or per answer.

**The routing score** ranks experts for first offers. Raw rates trust one lucky answer as much
as fifty, and a newcomer has no rates at all, so each rate is a Bayesian (smoothed) average:
the expert's counts plus a prior worth a few pseudo-observations,

    smoothed = (successes + prior × weight) / (observations + weight)

with acceptance 0.7 (weight 5 decided answers), rating 4.0 / 5 (weight 5 ratings), SLA
compliance 0.9 (weight 5 claims) and a dispute loss rate of 0.05 (weight 10 answers). The score
is the product of the four smoothed signals, each on a 0–1 scale:

    score = acceptance × (rating − 1) / 4 × sla × (1 − dispute loss)

A newcomer scores the priors' product (≈ 0.45), never zero; one perfect answer moves that a
little (≈ 0.52), fifty perfect answers a lot (≈ 0.93); fifty answers that all needed a
follow-up sink to ≈ 0.05. A product, not a sum, so a weak record in one respect (late answers,
lost disputes) can't be bought back by another.

**Reliable** (the lower commission tier of a plan's `reliable_commission_bps`) is judged per
category, on the raw record in the ticket's category: the expert is vetted and has at least
`EXPERT_RELIABLE_MIN_ANSWERS` answers there, SLA compliance ≥
`EXPERT_RELIABLE_MIN_SLA_COMPLIANCE`, an average rating ≥ `EXPERT_RELIABLE_MIN_RATING` and at
most `EXPERT_RELIABLE_MAX_DISPUTE_LOSS_RATE` of the answers lost in disputes. Per category,
because the commission is paid on a ticket of one category and a good record in networks says
little about e-mail; raw rather than smoothed, because the minimum number of answers already
does the smoothing's job there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower

from accounts.models import Organization, User
from billing import services as billing

from ..models import Claim, Dispute, ExpertAnswer, ExpertProfile, Ticket

# The priors of the routing score: (prior value, weight in pseudo-observations).
ACCEPTANCE_PRIOR = (0.7, 5)
RATING_PRIOR = (4.0, 5)
SLA_PRIOR = (0.9, 5)
DISPUTE_LOSS_PRIOR = (0.05, 10)
LOST_DISPUTE_STATUSES = (Dispute.Status.REFUNDED, Dispute.Status.SPLIT)


def _smoothed(successes: float, observations: int, prior: tuple[float, int]) -> float:
    value, weight = prior
    return (successes + value * weight) / (observations + weight)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _floor_percent(rate: float | None) -> int | None:
    return None if rate is None else math.floor(rate * 100 + 1e-9)


@dataclass
class SkillRecord:
    """The counts behind one expert's reputation in one category (or overall: `skill` "")."""

    skill: str = ""
    answers: int = 0
    accepted: int = 0
    reopened: int = 0
    refunded: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    disputes_lost: int = 0
    on_time: int = 0
    breached: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.reopened + self.refunded

    @property
    def acceptance_rate(self) -> float | None:
        return _rate(self.accepted, self.decided)

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def sla_compliance(self) -> float | None:
        return _rate(self.on_time, self.on_time + self.breached)

    @property
    def dispute_loss_rate(self) -> float | None:
        return _rate(self.disputes_lost, self.answers)

    # Whole percents for pages, rounded down (99.6 % of answers on time is not "100 %").
    @property
    def acceptance_percent(self) -> int | None:
        return _floor_percent(self.acceptance_rate)

    @property
    def sla_percent(self) -> int | None:
        return _floor_percent(self.sla_compliance)

    @property
    def is_new(self) -> bool:
        return not (self.answers or self.on_time or self.breached)

    @property
    def routing_score(self) -> float:
        acceptance = _smoothed(self.accepted, self.decided, ACCEPTANCE_PRIOR)
        rating = _smoothed(self.rating_sum, self.rating_count, RATING_PRIOR)
        sla = _smoothed(self.on_time, self.on_time + self.breached, SLA_PRIOR)
        lost = _smoothed(self.disputes_lost, self.answers, DISPUTE_LOSS_PRIOR)
        return acceptance * ((rating - 1) / 4) * sla * (1 - lost)

    def add(self, other: SkillRecord) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = (
    "answers",
    "accepted",
    "reopened",
    "refunded",
    "rating_sum",
    "rating_count",
    "disputes_lost",
    "on_time",
    "breached",
)


@dataclass
class ExpertReputation:
    overall: SkillRecord = field(default_factory=SkillRecord)
    skills: dict[str, SkillRecord] = field(default_factory=dict)

    def skill(self, name: str) -> SkillRecord:
        """The record in one category; an empty one where the expert has no history."""
        key = name.strip().lower()
        return self.skills.get(key) or SkillRecord(skill=key)

    def rows(self, skills: Iterable[str]) -> list[SkillRecord]:
        """The listed skills first (in their order), then other categories with history."""
        listed = [s.strip().lower() for s in skills]
        extra = sorted(k for k in self.skills if k not in listed)
        return [self.skill(s) for s in [*listed, *extra]]


def reputations_of(
    expert_ids: Sequence[int], *, category: str | None = None
) -> dict[int, ExpertReputation]:
    """Each expert's reputation (every id gets one, newcomers an empty one); with `category`,
    only that category's history is read. Two aggregate queries in all."""
    result = {pk: ExpertReputation() for pk in expert_ids}
    if not expert_ids:
        return result
    key = category.strip().lower() if category is not None else None

    def records(pk: int, skill: str) -> SkillRecord:
        rep = result[pk]
        return rep.skills.setdefault(skill, SkillRecord(skill=skill))

    answers = ExpertAnswer.objects.filter(expert_id__in=expert_ids).annotate(
        skill=Lower("ticket__category")
    )
    if key is not None:
        answers = answers.filter(skill=key)
    # `rating` and `dispute` are one-to-one with the answer: the joins add no rows.
    for row in (
        answers.values("expert_id", "skill")
        .annotate(
            answers=Count("pk"),
            accepted=Count("pk", filter=Q(status=ExpertAnswer.Status.ACCEPTED)),
            reopened=Count("pk", filter=Q(status=ExpertAnswer.Status.REOPENED)),
            refunded=Count("pk", filter=Q(status=ExpertAnswer.Status.REFUNDED)),
            rating_sum=Sum("rating__score"),
            rating_count=Count("rating"),
            disputes_lost=Count("dispute", filter=Q(dispute__status__in=LOST_DISPUTE_STATUSES)),
        )
        .order_by()
    ):
        record = records(row["expert_id"], row["skill"] or "")
        for name in ("answers", "accepted", "reopened", "refunded", "rating_count"):
            setattr(record, name, int(row[name] or 0))
        record.rating_sum = int(row["rating_sum"] or 0)
        record.disputes_lost = int(row["disputes_lost"] or 0)

    claims = Claim.objects.filter(expert_id__in=expert_ids).annotate(
        skill=Lower("ticket__category")
    )
    if key is not None:
        claims = claims.filter(skill=key)
    for claim_row in (
        claims.values("expert_id", "skill")
        .annotate(
            on_time=Count("pk", filter=Q(status=Claim.Status.ANSWERED, breached_at__isnull=True)),
            breached=Count("pk", filter=Q(breached_at__isnull=False)),
        )
        .order_by()
    ):
        record = records(claim_row["expert_id"], claim_row["skill"] or "")
        record.on_time = int(claim_row["on_time"] or 0)
        record.breached = int(claim_row["breached"] or 0)

    for rep in result.values():
        for record in rep.skills.values():
            rep.overall.add(record)
    return result


def expert_reputation(expert: User, *, category: str | None = None) -> ExpertReputation:
    return reputations_of([expert.pk], category=category)[expert.pk]


# ---------------------------------------------------------------- the reliable tier


@dataclass(frozen=True)
class ReliableBar:
    min_answers: int
    min_sla_compliance: float
    min_rating: float
    max_dispute_loss_rate: float

    @property
    def conditions(self) -> list[str]:
        """The bar in words, for pages."""
        return [
            "vetted",
            f"at least {self.min_answers} answers in the category",
            f"SLA kept on at least {self.min_sla_compliance:.0%} of claims",
            f"an average rating of at least {self.min_rating:g} / 5",
            f"at most {self.max_dispute_loss_rate:.0%} of answers lost in disputes",
        ]


def reliable_bar() -> ReliableBar:
    return ReliableBar(
        min_answers=int(settings.EXPERT_RELIABLE_MIN_ANSWERS),
        min_sla_compliance=float(settings.EXPERT_RELIABLE_MIN_SLA_COMPLIANCE),
        min_rating=float(settings.EXPERT_RELIABLE_MIN_RATING),
        max_dispute_loss_rate=float(settings.EXPERT_RELIABLE_MAX_DISPUTE_LOSS_RATE),
    )


@dataclass(frozen=True)
class Reliability:
    skill: str
    record: SkillRecord
    reliable: bool
    # What is missing to reach the reliable tier, in words; empty when reliable.
    missing: tuple[str, ...]


def reliability(
    *, vetted: bool, record: SkillRecord, bar: ReliableBar | None = None
) -> Reliability:
    bar = bar or reliable_bar()
    missing: list[str] = []
    if not vetted:
        missing.append("Get vetted by platform staff.")
    if record.answers < bar.min_answers:
        more = bar.min_answers - record.answers
        noun = "answer" if more == 1 else "answers"
        missing.append(f"{more} more {noun} (at least {bar.min_answers}).")
    compliance = record.sla_compliance
    if compliance is None or compliance < bar.min_sla_compliance:
        now = "none yet" if compliance is None else f"{_percent_floor(compliance)}"
        missing.append(f"SLA compliance of at least {bar.min_sla_compliance:.0%} (now {now}).")
    rating = record.rating_average
    if rating is None or rating < bar.min_rating:
        now = "no ratings yet" if rating is None else f"now {rating:.2f}"
        missing.append(f"An average rating of at least {bar.min_rating:g} ({now}).")
    loss = record.dispute_loss_rate
    if loss is not None and loss > bar.max_dispute_loss_rate:
        missing.append(
            f"At most {bar.max_dispute_loss_rate:.0%} of answers lost in disputes "
            f"(now {_percent_ceil(loss)})."
        )
    return Reliability(record.skill, record, not missing, tuple(missing))


def _percent_floor(rate: float) -> str:
    # Rounded down, so "89.6 %" is not shown as a 90 % that fails a 90 % bar.
    return f"{_floor_percent(rate)}%"


def _percent_ceil(rate: float) -> str:
    return f"{math.ceil(rate * 100)}%"


def expert_reliable_in(expert: User, category: str) -> bool:
    profile = ExpertProfile.objects.filter(user=expert).only("vetted").first()
    if profile is None or not profile.vetted or not category:
        return False
    record = expert_reputation(expert, category=category).skill(category)
    return reliability(vetted=True, record=record).reliable


@dataclass(frozen=True)
class ExpertStanding:
    """Where an expert stands against the reliable tier, skill by skill (the earnings page)."""

    vetted: bool
    skills: list[Reliability]
    bar: ReliableBar

    @property
    def reliable_skills(self) -> list[str]:
        return [s.skill for s in self.skills if s.reliable]


def expert_standing(expert: User) -> ExpertStanding:
    profile = ExpertProfile.objects.filter(user=expert).first()
    vetted = bool(profile and profile.vetted)
    bar = reliable_bar()
    rows = expert_reputation(expert).rows(profile.skills if profile else [])
    return ExpertStanding(
        vetted=vetted,
        skills=[reliability(vetted=vetted, record=r, bar=bar) for r in rows],
        bar=bar,
    )


# ---------------------------------------------------------------- what an expert is paid


def expert_commission_bps(*, expert: User, ticket: Ticket) -> int | None:
    """The commission this expert's answer to the ticket is paid at, if they claim it now: the
    plan's reliable tier when the plan has one and the expert is reliable in the ticket's
    category (never more than the commission fixed at escalation), else the commission fixed
    at escalation (the spend hold's; None for a ticket escalated before holds, which keeps
    the plan's commission at acceptance)."""
    hold = billing.spend_hold_of(ticket_id=ticket.pk)
    standard = hold.commission_bps if hold is not None else None
    plan = billing.plan_of(ticket.organization)
    tier = plan.reliable_commission_bps if plan is not None else None
    if tier is None or not expert_reliable_in(expert, ticket.category):
        return standard
    base = standard if standard is not None else plan.commission_bps  # type: ignore[union-attr]
    return min(tier, base)


def expert_net_pay(*, expert: User, tickets: Sequence[Ticket]) -> dict[int, int | None]:
    """What an accepted answer to each ticket pays this expert: at the commission of their
    claim when they hold (or answered) it, else at their tier for the ticket's category.
    A few queries for any number of tickets (the queue's page)."""
    if not tickets:
        return {}
    claimed: dict[int, int] = dict(
        Claim.objects.filter(
            expert=expert,
            ticket__in=[t.pk for t in tickets],
            status__in=(Claim.Status.ACTIVE, Claim.Status.ANSWERED),
            commission_bps__isnull=False,
        )
        .order_by("claimed_at")
        .values_list("ticket_id", "commission_bps")  # type: ignore[arg-type]
    )
    profile = ExpertProfile.objects.filter(user=expert).only("vetted").first()
    vetted = bool(profile and profile.vetted)
    reputation = expert_reputation(expert) if vetted else ExpertReputation()
    bar = reliable_bar()
    tiers: dict[int, int | None] = {}

    def tier_of(organization: Organization) -> int | None:
        if organization.pk not in tiers:
            plan = billing.plan_of(organization)
            tiers[organization.pk] = plan.reliable_commission_bps if plan is not None else None
        return tiers[organization.pk]

    pay: dict[int, int | None] = {}
    for ticket in tickets:
        gross = ticket.expert_price_cents
        standard = ticket.expert_net_cents
        if gross is None:
            pay[ticket.pk] = standard
        elif ticket.pk in claimed:
            pay[ticket.pk] = billing.expert_pay(
                gross_cents=gross, commission_bps=claimed[ticket.pk]
            ).net_cents
        elif (
            vetted
            and (tier := tier_of(ticket.organization)) is not None
            and reliability(vetted=True, record=reputation.skill(ticket.category), bar=bar).reliable
        ):
            reliable = billing.expert_pay(gross_cents=gross, commission_bps=tier).net_cents
            # The tier never pays less than the commission fixed at escalation.
            pay[ticket.pk] = max(reliable, standard or 0)
        else:
            pay[ticket.pk] = standard
    return pay


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class OfferCandidate:
    expert: User
    score: float
    record: SkillRecord


def first_offer_candidates(*, ticket: Ticket, limit: int) -> list[OfferCandidate]:
    """The experts a ticket is offered to first: vetted, available, with the ticket's category
    among their skills, under their limit of concurrent claims, never expired on this ticket,
    with at least one answer in the category; best routing score first (ties: more answers,
    then the older account)."""
    skill = (ticket.category or "").strip().lower()
    if not skill or limit <= 0:
        return []
    expired_here = Claim.objects.filter(ticket=ticket, status=Claim.Status.EXPIRED).values(
        "expert_id"
    )
    profiles = (
        ExpertProfile.objects.filter(vetted=True, available=True, skills__icontains=skill)
        .exclude(user_id__in=expired_here)
        .annotate(active=Count("user__claims", filter=Q(user__claims__status=Claim.Status.ACTIVE)))
        .select_related("user")
    )
    # icontains on the JSON text narrows; the exact, lower-case skill match is made here.
    eligible = [p for p in profiles if skill in p.skills and p.active < p.max_concurrent_claims]
    reputations = reputations_of([p.user_id for p in eligible], category=skill)
    ranked = [
        OfferCandidate(
            p.user,
            reputations[p.user_id].skill(skill).routing_score,
            reputations[p.user_id].skill(skill),
        )
        for p in eligible
        if reputations[p.user_id].skill(skill).answers >= 1
    ]
    ranked.sort(key=lambda c: (-c.score, -c.record.answers, c.expert.pk))
    return ranked[:limit]
