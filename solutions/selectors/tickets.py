"""Reads of tickets that carry a rule: the list's filters, the triage panel and summary, the
review queue, and which suggestions are shown (with the solve calibration behind them).
Always inside one organization; pages and the API share them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.models import Organization, User
from common.converters import id_or_none
from ml.engine.solve_calibration import SolveCalibration, fit_solve_calibration

from ..evidence import highlight_html, highlight_text, shared_words
from ..labels import CATEGORY_DECIDING
from ..markdown import render_markdown
from ..models import Feedback, KnowledgeArticle, Ticket, TicketSuggestion

# A ticket is open while it still needs someone: the requester (to try the proposed answer,
# add detail, accept an expert's answer), the model (a first triage), or an expert (to claim
# or answer it). Resolved and closed tickets need nobody. The list's "Open" filter, the API's
# `status=open` and the dashboard's count all mean this.
TICKET_SETTLED_STATUSES = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
TICKET_OPEN_STATUSES = tuple(s for s in Ticket.Status if s not in TICKET_SETTLED_STATUSES)


def tickets_open(organization: Organization) -> QuerySet[Ticket]:
    return Ticket.objects.filter(organization=organization, status__in=TICKET_OPEN_STATUSES)


@dataclass(frozen=True)
class TicketStatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class TicketCounts:
    """The organization's open tickets: how many, and how many in each open status that has
    any (in the order a ticket moves through them), each one of the list's status filters."""

    open: int
    by_status: list[TicketStatusCount]


def ticket_counts(organization: Organization) -> TicketCounts:
    counted = dict(
        tickets_open(organization).values_list("status").annotate(n=Count("pk")).order_by()
    )
    by_status = [
        TicketStatusCount(status=s.value, label=s.label, count=counted[s])
        for s in TICKET_OPEN_STATUSES
        if counted.get(s)
    ]
    return TicketCounts(open=sum(c.count for c in by_status), by_status=by_status)


def tickets_awaiting_triage(organization: Organization) -> QuerySet[Ticket]:
    """Tickets no model could read when they arrived (none trained yet, still training, an
    artifact that would not load), whatever happened to them since: the next champion reads
    them (`tickets_retriage_pending`)."""
    return Ticket.objects.filter(organization=organization).exclude(triage_unavailable_reason="")


def tickets_filtered(organization: Organization, params: Any) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(organization=organization).select_related("author", "assignee")
    status = params.get("status", "")
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    elif status == "open":
        tickets = tickets.filter(status__in=TICKET_OPEN_STATUSES)
    if category := params.get("category", ""):
        tickets = tickets.filter(category__iexact=category)
    if priority := params.get("priority", ""):
        tickets = tickets.filter(priority=priority)
    assignee = params.get("assignee", "")
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        # An id no user can have (negative, not a number, beyond the database's integers)
        # is assigned no ticket, rather than an error or a filter silently dropped.
        assignee_id = id_or_none(assignee)
        tickets = tickets.filter(assignee_id=assignee_id) if assignee_id else tickets.none()
    if q := (params.get("q") or "").strip()[:200]:
        match = Q(title__icontains=q) | Q(body__icontains=q)
        if (number := id_or_none(q.lstrip("#"))) is not None:
            match |= Q(number=number)
        tickets = tickets.filter(match)
    return tickets


def ticket_assignees(organization: Organization) -> QuerySet[User]:
    """The members tickets of the organization are assigned to: the list's assignee filter."""
    return (
        User.objects.filter(assigned_tickets__organization=organization)
        .distinct()
        .order_by("email")
    )


def triage_neighbour_paths(organization_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The pages of the labelled rows an explanation cites, by their label-row key
    (solutions/labels.py): `ticket:<pk>` and `article:<pk>` of this organization (published
    articles only: an archived one is withdrawn advice). `import:<id>` rows, CSV history, have
    no page, and a row deleted since has none any more."""
    ticket_ids: set[int] = set()
    article_ids: set[int] = set()
    for key in keys:
        kind, _, raw = key.partition(":")
        pk = id_or_none(raw)
        if pk is None:
            continue
        if kind == "ticket":
            ticket_ids.add(pk)
        elif kind == "article":
            article_ids.add(pk)
    paths: dict[str, str] = {}
    if ticket_ids:
        for pk, number in Ticket.objects.filter(
            organization_id=organization_id, pk__in=ticket_ids
        ).values_list("pk", "number"):
            paths[f"ticket:{pk}"] = reverse("ticket_detail", args=[number])
    if article_ids:
        for pk in KnowledgeArticle.objects.filter(
            organization_id=organization_id,
            pk__in=article_ids,
            status=KnowledgeArticle.Status.PUBLISHED,
        ).values_list("pk", flat=True):
            paths[f"article:{pk}"] = reverse("kb_detail", args=[pk])
    return paths


def ticket_triage_summary(
    ticket: Ticket, *, absolute_url: Callable[[str], str], explanation: bool = True
) -> dict[str, Any]:
    """The model's reading of the ticket as integrations see it (API responses, webhooks):
    the prediction with its model version, whether the model was sure, what it weighed and
    why, or why there is no prediction yet. `absolute_url` makes a path a full URL (the
    request's host in the API, SITE_URL in webhooks); `explanation=False` leaves the
    explanation out (its terms are words of the body, which webhooks never carry)."""
    if ticket.model_version_id is None:
        return {"unavailable": True, "reason": ticket.triage_unavailable_reason or "pending"}
    summary: dict[str, Any] = {
        "category": ticket.predicted_category,
        "priority": ticket.predicted_priority,
        "confidence": ticket.category_confidence,
        "priority_confidence": ticket.priority_confidence,
        "model_version": ticket.model_version.version if ticket.model_version else None,
        # Needing detail is the model's strongest way of not deciding: it abstains too.
        "abstained": ticket.triage_outcome
        in (Ticket.TriageOutcome.ABSTAINED, Ticket.TriageOutcome.NEEDS_DETAIL),
        "needs_detail": ticket.triage_outcome == Ticket.TriageOutcome.NEEDS_DETAIL,
        "follow_up_question": ticket.follow_up_question or None,
        "precision_target": ticket.triage_precision_target,
        "candidates": [
            {"category": label, "confidence": p} for label, p in ticket.triage_candidates
        ],
    }
    if explanation:
        stored = ticket.triage_explanation or {}
        neighbours = stored.get("neighbours") or []
        paths = triage_neighbour_paths(ticket.organization_id, (n["key"] for n in neighbours))
        summary["explanation"] = {
            "terms": [
                {"term": t["term"], "weight": t["weight"]} for t in stored.get("terms") or []
            ],
            "neighbours": [
                {
                    "key": n["key"],
                    "label": n["label"],
                    "similarity": n["similarity"],
                    "title": n["title"],
                    "url": absolute_url(paths[n["key"]]) if n["key"] in paths else None,
                }
                for n in neighbours
            ],
        }
    return summary


CANDIDATES_DIFFER_BY = 0.1


def ticket_triage_panel(ticket: Ticket) -> dict[str, Any]:
    """What the ticket page's triage panel shows beyond the prediction: the candidates, and
    "Why <category>?": the terms with their bars and the neighbours, linked where they have
    a page."""
    stored = ticket.triage_explanation or {}
    terms = stored.get("terms") or []
    strongest = max((abs(t["weight"]) for t in terms), default=0.0) or 1.0
    neighbours = stored.get("neighbours") or []
    paths = triage_neighbour_paths(ticket.organization_id, (n["key"] for n in neighbours))
    candidates = ticket.triage_candidates
    top = candidates[0][1] if candidates else None
    confidence = ticket.category_confidence
    return {
        "outcome": ticket.triage_outcome,
        # The candidates' probabilities are the classifier's; the final confidence also
        # weighs how familiar the text is, so the two can differ a lot ("it doesn't work":
        # hardware 100% as a ranking, 3% confident). The page says so when they do.
        "candidates_differ": top is not None
        and confidence is not None
        and abs(top - confidence) > CANDIDATES_DIFFER_BY,
        "candidates": [
            {"category": label, "confidence": p, "chosen": label == ticket.predicted_category}
            for label, p in ticket.triage_candidates
        ],
        "terms": [_term_bar(t["term"], t["weight"], strongest) for t in terms],
        "neighbours": [
            {**n, "path": paths.get(n["key"]), "agrees": n["label"] == ticket.predicted_category}
            for n in neighbours
        ],
    }


def _term_bar(term: str, weight: float, strongest: float) -> dict[str, Any]:
    """A term's bar on a centre line: right of it toward the category, left of it against,
    as long as the weight relative to the strongest term's (which fills its half). In percent
    of the bar, for an SVG rect's x and width (the CSP refuses style attributes)."""
    half = round(abs(weight) / strongest * 50, 1)
    toward = weight > 0
    return {
        "term": term,
        "weight": weight,
        "toward": toward,
        "bar_x": 50 if toward else round(50 - half, 1),
        "bar_width": half,
    }


def tickets_awaiting_category_review(organization: Organization) -> QuerySet[Ticket]:
    """Tickets the model triaged whose category no person has decided yet (see
    `labels.CATEGORY_DECIDING`), least confident first: the Review queue's candidates. A
    prediction alone is never a label, so these are exactly the tickets that teach the model
    nothing until someone looks at them."""
    decided = Feedback.objects.filter(ticket=OuterRef("pk"), kind__in=CATEGORY_DECIDING)
    return (
        Ticket.objects.filter(
            organization=organization,
            model_version__isnull=False,
            category_confidence__isnull=False,
            category_corrected=False,
        )
        .exclude(predicted_category="")
        .exclude(Exists(decided))
        .select_related("model_version")
        .order_by("category_confidence", "-created_at", "-pk")
    )


# ---------------------------------------------------------------- suggestions

# The newest clicks a calibration is fitted on: the retriever changes, old clicks age.
CALIBRATION_FEEDBACK_KEPT = 2000

_calibrations: dict[int, tuple[tuple[int, int], SolveCalibration]] = {}
_calibrations_lock = threading.Lock()


def suggestion_thresholds() -> tuple[float, float]:
    """(weak, hidden): below `SUGGESTION_WEAK_PROBABILITY` a suggestion is a weak match,
    shown collapsed; below `SUGGESTION_HIDDEN_PROBABILITY` it is not shown at all."""
    weak = float(settings.SUGGESTION_WEAK_PROBABILITY)
    hidden = float(settings.SUGGESTION_HIDDEN_PROBABILITY)
    return weak, min(hidden, weak)


def suggestion_solve_calibration(organization_id: int) -> SolveCalibration:
    """How likely a suggestion of this organization is to solve a ticket, given its score:
    fitted on the organization's own "This solved it" / "Not helpful" clicks
    (`ml.engine.solve_calibration`), the prior until there are enough of both.

    Refitted when the clicks change, in every process: the fit is cached per process under a
    fingerprint of the clicked suggestions (how many, the sum of their ids) that one aggregate
    query reads at each triage. A click, or a re-triage that drops clicked suggestions,
    changes it. Fitting a thousand clicks takes milliseconds, so no task or schedule is
    needed and no process can keep an old curve."""
    clicked = TicketSuggestion.objects.filter(ticket__organization_id=organization_id).exclude(
        feedback=TicketSuggestion.Feedback.NONE
    )
    totals = clicked.aggregate(n=Count("pk"), ids=Sum("pk"))
    fingerprint = (int(totals["n"] or 0), int(totals["ids"] or 0))
    with _calibrations_lock:
        cached = _calibrations.get(organization_id)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    newest = clicked.order_by("-pk").values_list("score", "feedback")
    rows = list(newest[:CALIBRATION_FEEDBACK_KEPT])
    calibration = fit_solve_calibration(
        [score for score, _ in rows],
        [feedback == TicketSuggestion.Feedback.SOLVED for _, feedback in rows],
    )
    with _calibrations_lock:
        _calibrations[organization_id] = (fingerprint, calibration)
    return calibration


def suggestion_calibrations_reset() -> None:
    with _calibrations_lock:
        _calibrations.clear()


SOURCE_LABELS = {
    "article": "knowledge article",
    "ticket": "solved ticket",
    "import": "solved ticket (imported history)",
}


@dataclass(frozen=True)
class SuggestionCard:
    """A suggestion as pages and the API show it: whether it is a weak match, where its
    evidence can be read, and the words it shares with the ticket."""

    suggestion: TicketSuggestion
    weak: bool
    source_path: str | None  # the source's page in the ticket's organization; None: no page
    shared: frozenset[str] = field(default_factory=frozenset)

    @property
    def source_label(self) -> str:
        kind = self.suggestion.source_kind
        label = SOURCE_LABELS.get(kind, kind.replace("_", " "))
        if self.source_path is None and kind in ("article", "ticket"):
            return f"{label} (no longer available)"
        return label

    @property
    def passage(self) -> str:
        """The matched passage: the stored one, or the answer itself."""
        return self.suggestion.passage or self.suggestion.answer

    @cached_property
    def title_html(self) -> SafeString:
        return highlight_text(self.suggestion.title, self.shared)

    @cached_property
    def answer_html(self) -> SafeString:
        return highlight_html(render_markdown(self.suggestion.answer), self.shared)

    @cached_property
    def passage_html(self) -> SafeString:
        return highlight_html(render_markdown(self.suggestion.passage), self.shared)


@dataclass(frozen=True)
class SuggestionsShown:
    strong: list[SuggestionCard]
    weak: list[SuggestionCard]
    hidden: int  # stored, but below the probability worth showing

    @property
    def all(self) -> list[SuggestionCard]:
        return self.strong + self.weak


def ticket_suggestions_shown(ticket: Ticket) -> SuggestionsShown:
    """The ticket's suggestions as people see them (page and API alike), best first: strong
    ones, then weak matches (below `SUGGESTION_WEAK_PROBABILITY`), with those below
    `SUGGESTION_HIDDEN_PROBABILITY` left out. The proposed resolution is never weak or hidden:
    the organization's threshold chose it. A suggestion stored before probabilities existed
    (null) is shown as it was. Sources link only to pages of the ticket's own organization
    (`triage_neighbour_paths`), so a stored key can never open another tenant's ticket."""
    weak_below, hidden_below = suggestion_thresholds()
    suggestions = list(ticket.suggestions.all())
    paths = triage_neighbour_paths(ticket.organization_id, (s.source_key for s in suggestions))
    strong: list[SuggestionCard] = []
    weak: list[SuggestionCard] = []
    hidden = 0
    for suggestion in sorted(suggestions, key=lambda s: s.rank):
        # Judged by its probability unless it is the proposed one or has none.
        p = 1.0 if suggestion.probability is None or suggestion.proposed else suggestion.probability
        if p < hidden_below:
            hidden += 1
            continue
        card = SuggestionCard(
            suggestion=suggestion,
            weak=p < weak_below,
            source_path=paths.get(suggestion.source_key),
            shared=shared_words(ticket.text, suggestion.title, suggestion.answer),
        )
        (weak if card.weak else strong).append(card)
    return SuggestionsShown(strong=strong, weak=weak, hidden=hidden)
