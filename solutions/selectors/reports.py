"""The ticket numbers of the Reports page (the `reports` app), computed in the database: one
grouped query per question, never a loop over tickets, so a range of 100k tickets costs a few
queries (bench/reports.py). Every definition is in docs/reports.md.

Each function takes the organization and the half-open range `[start, end)` (aware datetimes)
and, where it answers "over time", the bucket (`day` or `week`) to group by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import TruncDate, TruncWeek

from accounts.models import Organization

from ..models import Claim, Ticket

Bucket = Literal["day", "week"]

# Who resolved a ticket (docs/reports.md, "Who resolved it").
AI, EXPERT, INTERNAL = "ai", "expert", "internal"
RESOLVERS = (AI, EXPERT, INTERNAL)


def _truncate(expression: Any, bucket: Bucket) -> Any:
    # TruncDate keeps the bucket a date on both databases (TruncDay would be a datetime).
    if bucket == "week":
        return TruncDate(TruncWeek(expression, output_field=DateTimeField()))
    return TruncDate(expression)


def _as_date(value: Any) -> date:
    """SQLite hands truncated dates back as strings."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------- tickets created


@dataclass(frozen=True)
class CreatedGroup:
    bucket: date
    channel: str
    category: str
    priority: str
    tickets: int


def tickets_created_groups(
    *, organization: Organization, start: datetime, end: datetime, bucket: Bucket
) -> list[CreatedGroup]:
    """Tickets created in the range, counted per bucket, channel, category and priority (one
    grouped query; the page sums the groups by each dimension)."""
    rows = (
        Ticket.objects.filter(organization=organization, created_at__gte=start, created_at__lt=end)
        .annotate(bucket=_truncate(F("created_at"), bucket))
        .values("bucket", "channel", "category", "priority")
        .annotate(tickets=Count("pk"))
        .order_by()
    )
    return [
        CreatedGroup(
            bucket=_as_date(r["bucket"]),
            channel=r["channel"],
            category=r["category"],
            priority=r["priority"],
            tickets=r["tickets"],
        )
        for r in rows
    ]


# ---------------------------------------------------------------- resolutions


def _resolved_by_ai_or_expert(
    organization: Organization, start: datetime, end: datetime
) -> QuerySet[Ticket]:
    """Resolved by the AI or an expert: `resolution` set and `resolved_at` in the range."""
    return Ticket.objects.filter(
        organization=organization,
        resolution__in=(Ticket.Resolution.AI, Ticket.Resolution.EXPERT),
        resolved_at__gte=start,
        resolved_at__lt=end,
    ).annotate(
        resolver=F("resolution"),
        done_at=F("resolved_at"),
    )


def _resolved_internally(
    organization: Organization, start: datetime, end: datetime
) -> QuerySet[Ticket]:
    """Closed by the organization's own people with no resolution (no AI answer, no
    expert's) and not merged into another ticket, first closed (`Ticket.closed_at`) in the
    range."""
    return (
        Ticket.objects.filter(
            organization=organization,
            resolution=Ticket.Resolution.NONE,
            status=Ticket.Status.CLOSED,
            duplicate_of__isnull=True,
            created_at__lt=end,
        )
        .filter(closed_at__gte=start, closed_at__lt=end)
        .annotate(resolver=Value(INTERNAL, output_field=CharField()), done_at=F("closed_at"))
    )


def tickets_resolved(*, organization: Organization, start: datetime, end: datetime) -> list[Any]:
    """The two querysets of tickets resolved in the range (AI or expert; internal), each
    annotated with `resolver` and `done_at`. Two, not one with an OR: each keeps to its own
    index range, and the closed event is looked up for closed tickets only."""
    return [
        _resolved_by_ai_or_expert(organization, start, end),
        _resolved_internally(organization, start, end),
    ]


@dataclass(frozen=True)
class ResolvedGroup:
    """The tickets one kind of resolver resolved in one bucket, with their summed time to
    resolution (seconds), so that groups add up; averages are taken over their counts."""

    bucket: date
    resolver: str
    tickets: int
    resolution_seconds: float


@dataclass(frozen=True)
class FirstResponses:
    """Of the tickets one kind of resolver resolved in the range: how many had a first
    response, and the summed time to it (seconds)."""

    resolver: str
    responded: int
    seconds: float


def _seconds(value: Any) -> float:
    """A summed duration: a timedelta on PostgreSQL, microseconds on SQLite, NULL for none."""
    if value is None:
        return 0.0
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())
    return float(value) / 1_000_000


def tickets_resolved_groups(
    *, organization: Organization, start: datetime, end: datetime, bucket: Bucket
) -> list[ResolvedGroup]:
    """Tickets resolved in the range, counted per bucket of `done_at` and resolver, with the
    summed time to resolution (`done_at - created_at`): one grouped query per kind."""
    to_resolution = ExpressionWrapper(F("done_at") - F("created_at"), output_field=DurationField())
    groups = []
    for queryset in tickets_resolved(organization=organization, start=start, end=end):
        rows = (
            queryset.annotate(bucket=_truncate(F("done_at"), bucket))
            .values("bucket", "resolver")
            .annotate(tickets=Count("pk"), resolution_total=Sum(to_resolution))
            .order_by()
        )
        groups += [
            ResolvedGroup(
                bucket=_as_date(r["bucket"]),
                resolver=r["resolver"],
                tickets=r["tickets"],
                resolution_seconds=_seconds(r["resolution_total"]),
            )
            for r in rows
        ]
    return groups


def tickets_first_responses(
    *, organization: Organization, start: datetime, end: datetime
) -> list[FirstResponses]:
    """Per resolver, the tickets resolved in the range that had a first response
    (`Ticket.first_response_at`, stamped from the timeline) and the summed time to it: one
    grouped query per kind, without buckets (the first response is reported per resolver,
    not over time)."""
    out = []
    for queryset in tickets_resolved(organization=organization, start=start, end=end):
        rows = (
            queryset.annotate(
                to_response=ExpressionWrapper(
                    F("first_response_at") - F("created_at"), output_field=DurationField()
                )
            )
            .filter(first_response_at__isnull=False)
            .values("resolver")
            .annotate(responded=Count("pk"), total=Sum("to_response"))
            .order_by()
        )
        out += [
            FirstResponses(
                resolver=r["resolver"], responded=r["responded"], seconds=_seconds(r["total"])
            )
            for r in rows
        ]
    return out


# ---------------------------------------------------------------- experts' SLA


@dataclass(frozen=True)
class SlaCompliance:
    on_time: int
    breached: int

    @property
    def total(self) -> int:
        return self.on_time + self.breached

    @property
    def rate(self) -> float | None:
        return self.on_time / self.total if self.total else None


def claims_sla_compliance(
    *, organization: Organization, start: datetime, end: datetime
) -> SlaCompliance:
    """Experts' claims on the organization's tickets whose SLA outcome fell in the range: on
    time (answered before the deadline: the claim ended in the range with no breach) or
    breached (`breached_at` in the range). The same rule as `expert_sla_record`."""
    counts = Claim.objects.filter(ticket__organization=organization).aggregate(
        on_time=Count(
            "pk",
            filter=Q(
                status=Claim.Status.ANSWERED,
                breached_at__isnull=True,
                ended_at__gte=start,
                ended_at__lt=end,
            ),
        ),
        breached=Count("pk", filter=Q(breached_at__gte=start, breached_at__lt=end)),
    )
    return SlaCompliance(on_time=counts["on_time"], breached=counts["breached"])


def tickets_resolved_for_survey(*, ticket_id: int) -> Ticket | None:
    """A resolved ticket (by the AI or an expert) with its requester and author, for the
    satisfaction survey; None for any other ticket."""
    return (
        Ticket.objects.select_related("author", "requester", "organization")
        .filter(pk=ticket_id, status=Ticket.Status.RESOLVED)
        .exclude(resolution=Ticket.Resolution.NONE)
        .first()
    )
