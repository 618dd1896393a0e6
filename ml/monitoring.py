"""Model monitoring: how the champion does on live tickets, week by week, and the alert that
suggests retraining (docs/ml.md, "Monitoring").

The tickets live in the solutions app, which `ml` never imports (docs/architecture.md): like
the label and review sources, solutions registers a `MonitoringSource` at start-up whose
functions aggregate its tickets in the database (by TruncWeek) and tell the organization's
owners. What this module adds is the arithmetic on those aggregates (shares, measured
accuracy, drift against the training data) and the alert's decision.

The training side of the comparison is `training_reference(rows)`, stored in the version's
metrics at training (`metrics["monitoring"]`): the training labels' counts and the training
texts' vocabulary. Versions trained before it fall back to the held-out split's support per
class (the split is a fixed hash of the ticket, so its label distribution estimates the
training one), and have no lexical drift.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization

from .models import ModelAlert, ModelVersion

logger = logging.getLogger(__name__)

WEEKS_SHOWN = 12
VOCABULARY_SIZE = 5000
# Lexical drift reads at most this many tickets of a week: enough for a share to two digits,
# and a page view stays cheap however busy the organization is.
TEXTS_PER_WEEK = 300
_TOKEN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Words of two letters or more, lower-cased: digits (order numbers, dates) are not
    vocabulary and would read as drift."""
    return _TOKEN.findall(text.lower())


# ---------------------------------------------------------------- what solutions provides


@dataclass(frozen=True)
class ClassWeek:
    """One predicted category in one week (of the ticket's creation)."""

    week: date
    category: str
    total: int  # tickets triaged with this predicted category
    right: int  # measured right: confirmed, or resolved by an accepted answer, not corrected
    wrong: int  # measured wrong: the category was corrected
    abstained: int
    needs_detail: int
    low_confidence: int


@dataclass(frozen=True)
class MonitoringSource:
    # (organization, since, low-confidence threshold) -> per (week, predicted category) rows
    class_weeks: Callable[[Organization, datetime, float], list[ClassWeek]]
    # (organization, week start, limit) -> the texts (title + body) of that week's tickets
    week_texts: Callable[[Organization, datetime, int], list[str]]
    # (organization, subject, message, url) -> tells the organization's owners (in-app + mail)
    notify_owners: Callable[[Organization, str, str, str], int]


_source: MonitoringSource | None = None


def register_monitoring_source(source: MonitoringSource) -> None:
    global _source
    _source = source


def monitoring_source() -> MonitoringSource | None:
    return _source


# ---------------------------------------------------------------- the training reference


def training_reference(
    train: Sequence[tuple[str, str | None]], held_out: Sequence[tuple[str, str | None]] = ()
) -> dict[str, object]:
    """What monitoring compares live tickets with, from (text, category) pairs: the training
    labels' counts, the VOCABULARY_SIZE words found in most training texts, and the share of
    held-out words outside that vocabulary (the OOV share of tickets like the training ones,
    so that lexical drift is a rise over it, not the raw share)."""
    labels = Counter(category for _text, category in train if category)
    document_frequency: Counter[str] = Counter()
    for text, _category in train:
        document_frequency.update(set(tokens(text)))
    vocabulary = sorted(w for w, _n in document_frequency.most_common(VOCABULARY_SIZE))
    reference: dict[str, object] = {"label_counts": dict(labels), "vocabulary": vocabulary}
    if held_out:
        reference["baseline_oov"] = oov_share((t for t, _c in held_out), set(vocabulary))
    return reference


def reference_label_counts(version: ModelVersion) -> dict[str, int]:
    metrics = version.metrics if isinstance(version.metrics, dict) else {}
    stored = metrics.get("monitoring", {})
    counts = stored.get("label_counts") if isinstance(stored, dict) else None
    if isinstance(counts, dict) and counts:
        return {str(k): int(v) for k, v in counts.items() if isinstance(v, int | float)}
    per_class = metrics.get("per_class")
    if isinstance(per_class, dict):
        return {
            str(k): int(v.get("support", 0))
            for k, v in per_class.items()
            if isinstance(v, dict) and isinstance(v.get("support"), int | float)
        }
    return {}


def _reference_vocabulary(version: ModelVersion) -> tuple[set[str], float] | None:
    metrics = version.metrics if isinstance(version.metrics, dict) else {}
    stored = metrics.get("monitoring", {})
    if not isinstance(stored, dict) or not isinstance(stored.get("vocabulary"), list):
        return None
    baseline = stored.get("baseline_oov")
    return set(stored["vocabulary"]), float(baseline) if isinstance(baseline, int | float) else 0.0


# ---------------------------------------------------------------- the numbers


def js_distance(p: Mapping[str, float], q: Mapping[str, float]) -> float | None:
    """The Jensen–Shannon distance (base 2: 0 = the same distribution, 1 = disjoint) between
    two count maps; None when either is empty. Bounded and defined for a category one side
    never saw, which the population stability index is not."""
    p_total, q_total = sum(p.values()), sum(q.values())
    if p_total <= 0 or q_total <= 0:
        return None
    divergence = 0.0
    for key in set(p) | set(q):
        pi, qi = p.get(key, 0) / p_total, q.get(key, 0) / q_total
        mi = (pi + qi) / 2
        if pi > 0:
            divergence += 0.5 * pi * math.log2(pi / mi)
        if qi > 0:
            divergence += 0.5 * qi * math.log2(qi / mi)
    return math.sqrt(max(0.0, min(1.0, divergence)))


def oov_share(texts: Iterable[str], vocabulary: set[str]) -> float | None:
    """The share of words (tokens) of `texts` not in `vocabulary`; None without a word."""
    total = outside = 0
    for text in texts:
        for token in tokens(text):
            total += 1
            outside += token not in vocabulary
    return outside / total if total else None


@dataclass
class Week:
    start: date
    total: int = 0
    abstained: int = 0
    needs_detail: int = 0
    low_confidence: int = 0
    right: int = 0
    wrong: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    per_class: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (right, wrong)
    label_drift: float | None = None
    oov: float | None = None
    lexical_drift: float | None = None  # oov minus the training baseline

    @property
    def measured(self) -> int:
        return self.right + self.wrong

    @property
    def accuracy(self) -> float | None:
        return self.right / self.measured if self.measured else None

    def share(self, count: int) -> float | None:
        return count / self.total if self.total else None

    @property
    def abstained_share(self) -> float | None:
        return self.share(self.abstained)

    @property
    def needs_detail_share(self) -> float | None:
        return self.share(self.needs_detail)

    @property
    def low_confidence_share(self) -> float | None:
        return self.share(self.low_confidence)


@dataclass
class Report:
    weeks: list[Week]
    champion: ModelVersion | None
    reference_labels: dict[str, int]
    has_vocabulary: bool
    baseline_oov: float | None = None

    @property
    def has_data(self) -> bool:
        return any(w.total for w in self.weeks)

    @property
    def classes(self) -> list[str]:
        seen = {label for w in self.weeks for label in w.per_class}
        return sorted(seen)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's week (TruncWeek's week in the UTC time zone)."""
    moment = moment.astimezone(UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def monitoring_report(
    organization: Organization,
    *,
    champion: ModelVersion | None,
    weeks: int = WEEKS_SHOWN,
    lexical: bool = True,
) -> Report:
    """The last `weeks` weeks (the current one last, partial) of the organization's triaged
    tickets, with drift against `champion`'s training data."""
    source = _source
    first = week_start(timezone.now()) - timedelta(weeks=weeks - 1)
    rows = (
        source.class_weeks(organization, first, float(settings.ML_MONITORING_LOW_CONFIDENCE))
        if source
        else []
    )
    by_week = {
        (first + timedelta(weeks=i)).date(): Week(start=(first + timedelta(weeks=i)).date())
        for i in range(weeks)
    }
    for row in rows:
        week = by_week.get(row.week)
        if week is None:
            continue
        week.total += row.total
        week.abstained += row.abstained
        week.needs_detail += row.needs_detail
        week.low_confidence += row.low_confidence
        week.right += row.right
        week.wrong += row.wrong
        if row.category:
            week.categories[row.category] = week.categories.get(row.category, 0) + row.total
        if row.right or row.wrong:
            week.per_class[row.category or "—"] = (row.right, row.wrong)
    reference = reference_labels = reference_label_counts(champion) if champion else {}
    vocabulary = _reference_vocabulary(champion) if champion else None
    for week in by_week.values():
        if reference and week.categories:
            week.label_drift = js_distance(
                {k: float(v) for k, v in week.categories.items()},
                {k: float(v) for k, v in reference.items()},
            )
        if lexical and vocabulary and source and week.total:
            start = datetime.combine(week.start, datetime.min.time(), tzinfo=first.tzinfo)
            week.oov = oov_share(
                source.week_texts(organization, start, TEXTS_PER_WEEK), vocabulary[0]
            )
            if week.oov is not None:
                week.lexical_drift = week.oov - vocabulary[1]
    return Report(
        weeks=list(by_week.values()),
        champion=champion,
        reference_labels=reference_labels,
        has_vocabulary=vocabulary is not None,
        baseline_oov=vocabulary[1] if vocabulary else None,
    )


# ---------------------------------------------------------------- the alert


def degradation_reasons(week: Week) -> list[str]:
    """Why `week` (a complete one) says the model degraded; empty when it does not or when
    the week has too few tickets to say (ML_MONITORING_MIN_TICKETS measured or triaged)."""
    minimum = int(settings.ML_MONITORING_MIN_TICKETS)
    reasons = []
    accuracy = week.accuracy
    if week.measured >= minimum and accuracy is not None:
        if accuracy < float(settings.ML_MONITORING_MIN_ACCURACY):
            reasons.append(
                f"measured accuracy {accuracy:.0%} on {week.measured} tickets is below "
                f"{float(settings.ML_MONITORING_MIN_ACCURACY):.0%}"
            )
    if week.total >= minimum:
        if week.label_drift is not None and week.label_drift > float(
            settings.ML_MONITORING_MAX_LABEL_DRIFT
        ):
            reasons.append(
                f"the predicted categories drifted from the training labels "
                f"(Jensen–Shannon distance {week.label_drift:.2f} > "
                f"{float(settings.ML_MONITORING_MAX_LABEL_DRIFT):.2f})"
            )
        if week.lexical_drift is not None and week.lexical_drift > float(
            settings.ML_MONITORING_MAX_LEXICAL_DRIFT
        ):
            reasons.append(
                f"{week.oov:.0%} of the words are new to the training data, "
                f"{week.lexical_drift:.0%} more than at training"
            )
    return reasons


def model_degradation_check(*, organization: Organization) -> ModelAlert | None:
    """Alerts the organization's owners (and its `model.degraded` webhook) when last week,
    the latest complete one, degraded; at most once per week: the alert row is unique per
    (organization, week), so a second run, or a second worker, inserts nothing and sends
    nothing."""
    from webhooks.services import webhook_event_emit

    from .services import champion_of

    champion = champion_of(organization)
    source = _source
    if champion is None or source is None:
        return None
    report = monitoring_report(organization, champion=champion, weeks=2)
    last_week = report.weeks[0]
    reasons = degradation_reasons(last_week)
    if not reasons:
        return None
    week_dt = datetime.combine(last_week.start, datetime.min.time(), tzinfo=UTC)
    summary = "; ".join(reasons)
    try:
        with transaction.atomic():
            alert = ModelAlert.objects.create(
                organization=organization,
                week=last_week.start,
                model_version=champion,
                reasons=reasons,
                accuracy=last_week.accuracy,
                measured=last_week.measured,
                label_drift=last_week.label_drift,
                lexical_drift=last_week.lexical_drift,
            )
            webhook_event_emit(
                organization=organization,
                event="model.degraded",
                data={
                    "model_version": champion.version,
                    "week": last_week.start.isoformat(),
                    "reasons": reasons,
                    "accuracy": last_week.accuracy,
                    "measured": last_week.measured,
                    "triaged": last_week.total,
                    "label_drift": last_week.label_drift,
                    "lexical_drift": last_week.lexical_drift,
                    "suggestion": "retrain",
                },
            )
            source.notify_owners(
                organization,
                f"Model v{champion.version} may need retraining",
                f"Model v{champion.version}, week of {week_dt:%b %-d}: {summary}. "
                "Consider training a new version on the Model page.",
                reverse("ml_model"),
            )
    except IntegrityError:
        return None  # this week's alert was sent already
    logger.info("Model alert for %s: %s", organization.slug, summary)
    return alert
