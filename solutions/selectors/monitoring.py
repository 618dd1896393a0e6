"""The solutions app's side of model monitoring (ml/monitoring.py): its triaged tickets
aggregated per week and predicted category in the database, a week's ticket texts for
lexical drift, and the owners' notification. Registered with `ml` at start-up (`register`),
because `ml` never imports solutions.

A ticket's measured outcome (docs/ml.md, "Monitoring"):
- wrong: its category was corrected (`Ticket.category_corrected`, or a `category_corrected`
  feedback row);
- right: not corrected, and either confirmed (a `category_confirmed` feedback row) or resolved
  by an accepted answer (`Ticket.resolution` set, or a `suggestion_accepted` /
  `expert_answer` feedback row): someone read the ticket under that category and it closed
  without anyone changing it;
- not measured otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek

from accounts.models import Organization, Role
from ml.monitoring import ClassWeek, MonitoringSource, register_monitoring_source

from ..models import Feedback, Ticket

_Kind = Feedback.Kind
_Outcome = Ticket.TriageOutcome


def _feedback(*kinds: str) -> Exists:
    return Exists(Feedback.objects.filter(ticket=OuterRef("pk"), kind__in=kinds))


def monitoring_class_weeks(
    organization: Organization, since: datetime, low_confidence: float
) -> list[ClassWeek]:
    """One row per (week of creation, predicted category) of the organization's tickets the
    model triaged since `since`: one grouped query."""
    corrected = Q(category_corrected=True) | Q(_feedback(_Kind.CATEGORY_CORRECTED))
    settled = Q(
        _feedback(_Kind.CATEGORY_CONFIRMED, _Kind.SUGGESTION_ACCEPTED, _Kind.EXPERT_ANSWER)
    ) | ~Q(resolution=Ticket.Resolution.NONE)
    rows = (
        Ticket.objects.filter(organization=organization, created_at__gte=since)
        .exclude(triage_outcome=_Outcome.NONE)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "predicted_category")
        .annotate(
            total=Count("pk"),
            wrong=Count("pk", filter=corrected),
            right=Count("pk", filter=settled & ~corrected),
            abstained=Count("pk", filter=Q(triage_outcome=_Outcome.ABSTAINED)),
            needs_detail=Count("pk", filter=Q(triage_outcome=_Outcome.NEEDS_DETAIL)),
            low_confidence=Count("pk", filter=Q(category_confidence__lt=low_confidence)),
        )
        .order_by("week", "predicted_category")
    )
    return [
        ClassWeek(
            # TruncWeek gives a datetime on PostgreSQL and SQLite alike (a DateTimeField).
            week=row["week"].date() if isinstance(row["week"], datetime) else row["week"],
            category=row["predicted_category"],
            total=row["total"],
            right=row["right"],
            wrong=row["wrong"],
            abstained=row["abstained"],
            needs_detail=row["needs_detail"],
            low_confidence=row["low_confidence"],
        )
        for row in rows
    ]


def monitoring_week_texts(organization: Organization, start: datetime, limit: int) -> list[str]:
    """The title and body of up to `limit` tickets the model triaged in the week from
    `start`, newest first."""
    rows = (
        Ticket.objects.filter(
            organization=organization,
            created_at__gte=start,
            created_at__lt=start + timedelta(weeks=1),
        )
        .exclude(triage_outcome=_Outcome.NONE)
        .order_by("-created_at")
        .values_list("title", "body")[:limit]
    )
    return [f"{title}\n{body}" for title, body in rows]


def monitoring_owners_notify(
    organization: Organization, subject: str, message: str, url: str
) -> int:
    """Tells every owner (in-app and by e-mail after commit); the number told."""
    from ..services.common import notification_send

    owners = [
        m.user for m in organization.memberships.filter(role=Role.OWNER).select_related("user")
    ]
    for user in owners:
        notification_send(
            user=user,
            kind="model_degraded",
            message=f"{subject}. {message}",
            url=url,
            organization=organization,
        )
    return len(owners)


def register() -> None:
    register_monitoring_source(
        MonitoringSource(
            class_weeks=monitoring_class_weeks,
            week_texts=monitoring_week_texts,
            notify_owners=monitoring_owners_notify,
        )
    )
