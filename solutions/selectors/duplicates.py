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


# A candidate's columns the comparison and its callers read (`Ticket.text` is title + body).
COMPARED_FIELDS = ("pk", "organization", "number", "title", "body", "created_at")


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    similarity: float


def _candidates(
    organization: Organization, *, exclude_id: int | None, before_id: int | None = None
) -> QuerySet[Ticket]:
    since = timezone.now() - timedelta(days=int(settings.DUPLICATE_LOOKBACK_DAYS))
    tickets = Ticket.objects.filter(
        organization=organization,
        status__in=TICKET_OPEN_STATUSES,
        duplicate_of__isnull=True,
        created_at__gte=since,
    )
    if exclude_id is not None:
        tickets = tickets.exclude(pk=exclude_id)
    if before_id is not None:
        tickets = tickets.filter(pk__lt=before_id)
    # What the comparison reads: whole rows (their JSON fields decoded) were most of its cost.
    tickets = tickets.only(*COMPARED_FIELDS)
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


@lru_cache(maxsize=_CACHED_TEXTS * len(_VIEWS))
def _counts(text: str, view: int) -> csr_matrix:
    return _hashers()[view].transform([text])


def _used_columns(counts: csr_matrix) -> csr_matrix:
    """The same rows over only the columns some row uses (of the hasher's 2**18). Document
    frequencies, IDF weights, row norms and dot products are the same on them — an unused
    column has no term in any row — while fitting over all 2**18 columns cost most of a
    comparison (an IDF diagonal that wide, multiplied by every row)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    used, compact = np.unique(counts.indices, return_inverse=True)
    return csr_matrix(
        (counts.data, compact.reshape(-1), counts.indptr), shape=(counts.shape[0], len(used))
    )


def similarities(text: str, others: list[str], *, views: tuple[int, ...] = (0, 1)) -> list[float]:
    """Cosine similarity of `text` to each of `others`, 0..1: the mean over the word and the
    character view of TF-IDF vectors, the IDF taken from these texts themselves. `views=(0,)`
    is the word view alone (a fifth of the work: character n-grams are most of the terms)."""
    if not others or not text.strip():
        return [0.0] * len(others)
    import numpy as np
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.metrics.pairwise import linear_kernel

    scores = np.zeros(len(others))
    for view in views:
        counts = vstack([_counts(t, view) for t in [text, *others]], format="csr")
        if counts[0].nnz == 0:
            continue  # nothing of this view in the text: it can't match on it
        weights = TfidfTransformer(sublinear_tf=True).fit_transform(_used_columns(counts))
        scores += linear_kernel(weights[0:1], weights[1:])[0] / len(views)
    return [min(1.0, max(0.0, float(s))) for s in scores]


def similar_open_tickets(
    *,
    organization: Organization,
    title: str,
    body: str,
    exclude_id: int | None = None,
    before_id: int | None = None,
    minimum: float | None = None,
    limit: int = 5,
) -> list[SimilarTicket]:
    """The organization's open tickets at least `minimum` similar (DUPLICATE_SIMILARITY_MIN by
    default), most similar first; with `before_id`, only those stored before that ticket."""
    floor = float(settings.DUPLICATE_SIMILARITY_MIN) if minimum is None else minimum
    candidates = list(_candidates(organization, exclude_id=exclude_id, before_id=before_id))
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
        )
        .only(*COMPARED_FIELDS)
        .order_by("-created_at", "-pk")[:50]
    )
    text, minimum = f"{title}\n{body}", float(settings.DUPLICATE_IDENTICAL_MIN)
    # The word view first, the character view only for what it leaves: the score is the mean
    # of two cosines of at most 1, so reaching `minimum` needs a word cosine of at least
    # 2·minimum − 1. Most submissions are like none of the requester's recent tickets, and
    # their check costs the word view alone (it runs before the response is sent).
    words = similarities(text, [t.text for t in recent], views=(0,))
    recent = [t for t, w in zip(recent, words, strict=True) if w >= 2 * minimum - 1]
    scores = similarities(text, [t.text for t in recent])
    best = max(zip(scores, recent, strict=True), default=None, key=lambda pair: pair[0])
    if best is None or best[0] < minimum:
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
