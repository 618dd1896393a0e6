"""The label source interface: how training data reaches `ml` without `ml` importing other apps.

Other apps register a function that yields `LabelRow`s for an organization (the solutions app
registers its tickets, feedback, expert answers and articles). `ml` registers its own source
for tickets imported from CSV. Rows are keyed by a stable `key`; when two sources give the same
key, the newest row wins, so a corrected category replaces the predicted one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from accounts.models import Organization

DEFAULT_PRIORITIES = ("low", "medium", "high", "critical")
HELD_OUT_PERCENT = 20


@dataclass(frozen=True)
class LabelRow:
    key: str  # stable id, e.g. "ticket:42" or "import:3f2a…"
    text: str  # title + body
    category: str | None
    priority: str | None
    answer: str | None  # a resolution text, when there is one: retrievable as a suggestion
    source_kind: str  # "import", "ticket", "correction", "expert_answer", "article", …
    created_at: datetime
    title: str = ""


LabelSource = Callable[[Organization], Iterable[LabelRow]]
_sources: dict[str, LabelSource] = {}


def register_label_source(name: str, source: LabelSource) -> None:
    _sources[name] = source


def label_sources() -> dict[str, LabelSource]:
    return dict(_sources)


def collect_labels(organization: Organization) -> list[LabelRow]:
    latest: dict[str, LabelRow] = {}
    for source in _sources.values():
        for row in source(organization):
            if not row.text.strip():
                continue
            current = latest.get(row.key)
            if current is None or row.created_at >= current.created_at:
                latest[row.key] = row
    return sorted(latest.values(), key=lambda r: (r.created_at, r.key))


def is_held_out(organization_id: int, key: str) -> bool:
    """The frozen evaluation split: a fixed hash of (organization, stable key), so a ticket is
    in the held-out set forever and every version is compared on the same tickets."""
    digest = hashlib.sha256(f"{organization_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def imported_ticket_source(organization: Organization) -> Iterable[LabelRow]:
    from .models import ImportedTicket

    for t in ImportedTicket.objects.filter(organization=organization).iterator():
        yield LabelRow(
            key=f"import:{t.external_id}",
            text=t.text,
            category=t.category or None,
            priority=t.priority or None,
            answer=t.answer or None,
            source_kind="import",
            created_at=t.created_at,
            title=t.title,
        )


register_label_source("ml.imported_tickets", imported_ticket_source)
