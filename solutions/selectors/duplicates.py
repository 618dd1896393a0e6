"""Open tickets that look like the same problem as a new one.

Lexical similarity, on purpose: a duplicate is the same report again (a forwarded e-mail, a
colleague hitting the same outage, a client retrying), so it shares most of its words; a
semantic match ("VPN drops" vs "tunnel disconnects") is a related ticket, which the suggested
answers already cover. Word uni- and bigrams catch reworded copies, character n-grams catch
typos and inflections; the score is their mean cosine over TF-IDF weights fitted on the
candidates themselves (scikit-learn, already a dependency of the engine), so the words every
open ticket shares ("please", the company name) weigh little. Terms are hashed (no vocabulary
to fit), so each text is tokenized once per process and its counts reused.

Candidates are bounded (the organization's most recent open tickets of the last weeks), so
the cost per submission stays a few milliseconds whatever the ticket history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organization, User

from ..models import Ticket
from .tickets import TICKET_OPEN_STATUSES

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    similarity: float


def _candidates(organization: Organization, *, exclude_id: int | None) -> QuerySet[Ticket]:
    since = timezone.now() - timedelta(days=int(settings.DUPLICATE_LOOKBACK_DAYS))
    tickets = Ticket.objects.filter(
        organization=organization,
        status__in=TICKET_OPEN_STATUSES,
        duplicate_of__isnull=True,
        created_at__gte=since,
    )
    if exclude_id is not None:
        tickets = tickets.exclude(pk=exclude_id)
    return tickets.order_by("-created_at", "-pk")[: int(settings.DUPLICATE_CANDIDATES_MAX)]


# Hashed term counts of a text, per view (stateless hashing: no vocabulary to fit, so a
# ticket's row can be kept between submissions). Kept for the most recent texts of the
# process: tokenizing the candidates is most of the cost, and they barely change from one
# submission to the next. ~20 KB a text (mostly the character view).
_VIEWS = (
    {"ngram_range": (1, 2), "lowercase": True},
    {"analyzer": "char_wb", "ngram_range": (3, 5), "lowercase": True},
)
_CACHED_TEXTS = 2048


@lru_cache(maxsize=1)
def _hashers() -> tuple[Any, ...]:
    # scikit-learn is imported on first use: web processes that never compare tickets (and
    # every management command) start without it (tests/ml/test_pipeline.py).
    from sklearn.feature_extraction.text import HashingVectorizer

    return tuple(
        HashingVectorizer(n_features=2**18, alternate_sign=False, norm=None, **view)
        for view in _VIEWS
    )


@lru_cache(maxsize=_CACHED_TEXTS)
def _counts(text: str) -> tuple[csr_matrix, ...]:
    return tuple(hasher.transform([text]) for hasher in _hashers())


def similarities(text: str, others: list[str]) -> list[float]:
    """Cosine similarity of `text` to each of `others`, 0..1: the mean over the word and the
    character view of TF-IDF vectors, the IDF taken from these texts themselves."""
    if not others or not text.strip():
        return [0.0] * len(others)
    import numpy as np
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import linear_kernel

    rows = [_counts(t) for t in [text, *others]]
    scores = np.zeros(len(others))
    for view in range(len(_VIEWS)):
        counts = vstack([r[view] for r in rows], format="csr")
        if counts[0].nnz == 0:
            continue  # nothing of this view in the text: it can't match on it
        weights = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        scores += linear_kernel(weights[0:1], weights[1:])[0] / len(_VIEWS)
    return [min(1.0, max(0.0, float(s))) for s in scores]


def similar_open_tickets(
    *,
    organization: Organization,
    title: str,
    body: str,
    exclude_id: int | None = None,
    minimum: float | None = None,
    limit: int = 5,
) -> list[SimilarTicket]:
    """The organization's open tickets at least `minimum` similar (DUPLICATE_SIMILARITY_MIN by
    default), most similar first."""
    floor = float(settings.DUPLICATE_SIMILARITY_MIN) if minimum is None else minimum
    candidates = list(_candidates(organization, exclude_id=exclude_id))
    scores = similarities(f"{title}\n{body}", [t.text for t in candidates])
    ranked = sorted(
        (SimilarTicket(t, round(s, 3)) for t, s in zip(candidates, scores, strict=True)),
        key=lambda m: (-m.similarity, -m.ticket.pk),
    )
    return [m for m in ranked if m.similarity >= floor][:limit]


def recent_identical_ticket(
    *, organization: Organization, author: User, title: str, body: str, now: datetime | None = None
) -> Ticket | None:
    """An open ticket the same requester submitted within DUPLICATE_WINDOW_MINUTES that is
    near-identical (DUPLICATE_IDENTICAL_MIN): a retry or a double submission, not a new
    problem. None otherwise."""
    since = (now or timezone.now()) - timedelta(minutes=int(settings.DUPLICATE_WINDOW_MINUTES))
    recent = list(
        Ticket.objects.filter(
            organization=organization,
            author=author,
            status__in=TICKET_OPEN_STATUSES,
            duplicate_of__isnull=True,
            created_at__gte=since,
        ).order_by("-created_at", "-pk")[:50]
    )
    scores = similarities(f"{title}\n{body}", [t.text for t in recent])
    best = max(zip(scores, recent, strict=True), default=None, key=lambda pair: pair[0])
    if best is None or best[0] < float(settings.DUPLICATE_IDENTICAL_MIN):
        return None
    return best[1]


@dataclass(frozen=True)
class DuplicatesPanel:
    # Found at submission and still open (number order as found: most similar first).
    similar: list[SimilarTicket]
    merged_into: Ticket | None
    merged_here: list[Ticket]
    can_merge: bool


def ticket_duplicates_panel(ticket: Ticket) -> DuplicatesPanel:
    """What the ticket page shows about duplicates: one query for the similar tickets found at
    submission that are still open, one for the tickets merged into this one."""
    from ..services.duplicates import NOT_MERGEABLE  # services import this module

    scores = {int(number): float(score) for number, score in ticket.similar_open or []}
    still_open = {
        t.number: t
        for t in Ticket.objects.filter(
            organization_id=ticket.organization_id,
            number__in=list(scores),
            status__in=TICKET_OPEN_STATUSES,
            duplicate_of__isnull=True,
        ).exclude(pk=ticket.pk)
    }
    similar = [SimilarTicket(still_open[n], s) for n, s in scores.items() if n in still_open]
    open_here = ticket.status in TICKET_OPEN_STATUSES and ticket.duplicate_of_id is None
    return DuplicatesPanel(
        similar=similar,
        merged_into=ticket.duplicate_of,
        merged_here=list(ticket.duplicates.order_by("number")),
        can_merge=open_here and ticket.status not in NOT_MERGEABLE,
    )
