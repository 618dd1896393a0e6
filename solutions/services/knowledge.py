"""The knowledge base: articles written here, imported from CSV, or kept from accepted expert
answers. Published articles are retrievable answers (`ml`'s answer index); archived ones are
kept for the record but never suggested.

Bodies are stored sanitized (`body`, see solutions/markdown.py) beside the text as written
(`body_source`), on every path that writes one.

Each function is one transaction with an audit row; the index is updated after the commit, by a
task that reads the article's state at that moment (see `article_index_sync`)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import MANAGER_ROLES, Membership, Organization, User
from accounts.services import audit_log_record
from api.models import IdempotencyRecord
from api.services import idempotency_link
from ml import services as ml_services

from ..labels import article_label_row
from ..markdown import markdown_sanitize, markdown_text, storable
from ..models import KnowledgeArticle, Ticket

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 100_000
CATEGORY_MAX = 100
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 5_000
IMPORT_COLUMNS = ("title", "body", "category")
# Articles per indexing task: one encoder pass each, so a 5,000-row import neither runs as a
# single hour-long task nor as thousands of tiny ones.
INDEX_BATCH = 200

# The csv module refuses fields over 128 Ki characters by default; a body just over BODY_MAX
# must read as "body longer than 100,000 characters", not as an unreadable file.
csv.field_size_limit(max(csv.field_size_limit(), IMPORT_MAX_BYTES))


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0  # already in the knowledge base (same title and body)
    # "line 7: empty body" for each bad row, or the one reason the file can't be read.
    errors: list[str] = field(default_factory=list)
    invalid_rows: int = 0
    # False when nothing was written: an unreadable file, or bad rows without skip_invalid.
    applied: bool = False


@dataclass(frozen=True)
class _Problem:
    field: str
    message: str  # for a form field
    short: str  # for an import line: "line 7: empty body"


def _normalize(title: str, body: str, category: str) -> tuple[str, str, str]:
    return " ".join(title.split()), storable(body).strip(), " ".join(category.split())


def _problems(title: str, body: str, category: str) -> list[_Problem]:
    problems = []
    if len(title) < TITLE_MIN:
        problems.append(
            _Problem(
                "title",
                f"Give the article a title of at least {TITLE_MIN} characters.",
                "empty title" if not title else f"title shorter than {TITLE_MIN} characters",
            )
        )
    elif len(title) > TITLE_MAX:
        problems.append(
            _Problem(
                "title",
                f"Keep the title to {TITLE_MAX} characters or fewer (it has {len(title)}).",
                f"title longer than {TITLE_MAX} characters",
            )
        )
    if not body:
        problems.append(_Problem("body", "Write the article's text.", "empty body"))
    elif len(body) > BODY_MAX:
        problems.append(
            _Problem(
                "body",
                f"The text is limited to {BODY_MAX:,} characters (it has {len(body):,}).",
                f"body longer than {BODY_MAX:,} characters",
            )
        )
    if len(category) > CATEGORY_MAX:
        problems.append(
            _Problem(
                "category",
                f"Keep the category to {CATEGORY_MAX} characters or fewer.",
                f"category longer than {CATEGORY_MAX} characters",
            )
        )
    return problems


def _sanitized(body: str) -> tuple[str, _Problem | None]:
    """The body as it is stored and read (see solutions/markdown.py), or why it can't be."""
    clean = markdown_sanitize(body)
    if markdown_text(clean):
        return clean, None
    return "", _Problem(
        "body",
        "The text is only HTML, which is removed; write it in Markdown.",
        "body is only HTML, which is removed",
    )


def _validated(title: str, body: str, category: str) -> tuple[str, str, str, str]:
    """(title, the body as written, the body as stored, category), or a ValidationError."""
    title, body, category = _normalize(title, body, category)
    problems = _problems(title, body, category)
    clean = ""
    if not any(p.field == "body" for p in problems):
        clean, problem = _sanitized(body)
        problems.extend([problem] if problem else [])
    if problems:
        raise ValidationError({p.field: p.message for p in problems})
    return title, body, clean, category


def _require_manager(actor: User | None, organization: Organization) -> None:
    """Owners and admins write the knowledge base; `actor=None` is the system itself (the
    management command, the demo seed)."""
    if actor is None:
        return
    if not Membership.objects.filter(
        user=actor, organization=organization, role__in=MANAGER_ROLES
    ).exists():
        raise PermissionDenied("Only owners and admins can change the knowledge base.")


def article_external_id(title: str, body: str) -> str:
    """The import's de-duplication key: the same title and body are the same article, however
    often the file is imported."""
    return hashlib.sha256(f"{title}\x1f{body}".encode()).hexdigest()[:40]


def _schedule_index(article_ids: Sequence[int]) -> None:
    from ..tasks.knowledge import article_index_task, articles_index_task

    ids = list(article_ids)
    if len(ids) == 1:
        transaction.on_commit(partial(article_index_task.delay, ids[0]))
        return
    for start in range(0, len(ids), INDEX_BATCH):
        transaction.on_commit(partial(articles_index_task.delay, ids[start : start + INDEX_BATCH]))


def article_create(
    *,
    organization: Organization,
    actor: User | None,
    title: str,
    body: str,
    category: str = "",
    source: str = KnowledgeArticle.Source.MANUAL,
    source_ticket: Ticket | None = None,
    external_id: str = "",
    idempotency_record: IdempotencyRecord | None = None,
) -> KnowledgeArticle:
    """A published article. Accepted expert answers arrive here from the ticket flow on behalf
    of whoever accepted (an agent may), so only hand-written and imported articles need a
    manager. `body` is the Markdown as written; the article stores it as `body_source` and
    its sanitized form as `body`, which is what every reader gets. `idempotency_record` (an
    API request's Idempotency-Key) is linked to the article in its transaction, as
    `tickets.ticket_submit` does."""
    if source not in KnowledgeArticle.Source.values:
        raise ValidationError({"source": "Unknown article source."})
    if source_ticket is not None and source_ticket.organization_id != organization.pk:
        raise ValidationError({"source_ticket": "The ticket belongs to another organization."})
    if source != KnowledgeArticle.Source.EXPERT_ANSWER:
        _require_manager(actor, organization)
    title, body_source, body, category = _validated(title, body, category)
    with transaction.atomic():
        try:
            # A savepoint of its own: a duplicate external_id must not poison the caller's
            # transaction (the ticket flow creates articles inside its own).
            with transaction.atomic():
                article = KnowledgeArticle.objects.create(
                    organization=organization,
                    title=title,
                    body=body,
                    body_source=body_source,
                    category=category,
                    source=source,
                    source_ticket=source_ticket,
                    external_id=external_id,
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"external_id": "An article with this external id already exists."}
            ) from exc
        audit_log_record(
            actor=actor,
            organization=organization,
            action="kb.article_created",
            target=article,
            details={
                "source": source,
                **({"ticket": source_ticket.number} if source_ticket else {}),
            },
        )
        if idempotency_record is not None:
            idempotency_link(record=idempotency_record, created=article)
        _schedule_index([article.pk])
    return article


def article_update(
    *, article: KnowledgeArticle, actor: User | None, title: str, body: str, category: str
) -> KnowledgeArticle:
    _require_manager(actor, article.organization)
    title, body_source, body, category = _validated(title, body, category)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        written = locked.body_source or locked.body
        changed = [
            name
            for name, old, new in (
                ("title", locked.title, title),
                ("body", written, body_source),
                ("category", locked.category, category),
            )
            if old != new
        ]
        if not changed:
            return locked
        locked.title, locked.category = title, category
        locked.body, locked.body_source = body, body_source
        fields = [
            f for name in changed for f in (("body", "body_source") if name == "body" else (name,))
        ]
        locked.save(update_fields=[*fields, "updated_at"])
        audit_log_record(
            actor=actor,
            organization=locked.organization,
            action="kb.article_updated",
            target=locked,
            details={"changed": changed},
        )
        _schedule_index([locked.pk])
    return locked


def _set_status(
    *, article: KnowledgeArticle, actor: User | None, status: str, action: str
) -> KnowledgeArticle:
    _require_manager(actor, article.organization)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        # A double-clicked button or a stale tab asks for the state the article already has.
        if locked.status == status:
            return locked
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        audit_log_record(
            actor=actor, organization=locked.organization, action=action, target=locked
        )
        _schedule_index([locked.pk])
    return locked


def article_archive(*, article: KnowledgeArticle, actor: User | None) -> KnowledgeArticle:
    """Takes the article out of search results and answer retrieval; it can be restored."""
    return _set_status(
        article=article,
        actor=actor,
        status=KnowledgeArticle.Status.ARCHIVED,
        action="kb.article_archived",
    )


def article_restore(*, article: KnowledgeArticle, actor: User | None) -> KnowledgeArticle:
    return _set_status(
        article=article,
        actor=actor,
        status=KnowledgeArticle.Status.PUBLISHED,
        action="kb.article_restored",
    )


def article_index_sync(*, article_ids: Iterable[int]) -> int:
    """Brings the answer index in line with the articles as they are now: published ones are
    (re-)embedded, archived ones removed. Reading the state here rather than when the change
    was scheduled means an archive and a quick restore can't be applied out of order.
    Returns how many index entries were written or removed."""
    touched = 0
    articles = KnowledgeArticle.objects.filter(pk__in=list(article_ids)).select_related(
        "organization"
    )
    by_org: dict[int, list[KnowledgeArticle]] = {}
    for article in articles:
        by_org.setdefault(article.organization_id, []).append(article)
    for group in by_org.values():
        organization = group[0].organization
        published = [a for a in group if a.status == KnowledgeArticle.Status.PUBLISHED]
        archived = [a for a in group if a.status != KnowledgeArticle.Status.PUBLISHED]
        if published:
            touched += ml_services.embedding_index_upsert(
                organization=organization, rows=[article_label_row(a) for a in published]
            )
        if archived:
            touched += ml_services.embedding_index_remove(
                organization=organization, source_keys=[f"article:{a.pk}" for a in archived]
            )
    return touched


# ---------------------------------------------------------------- CSV import


@dataclass(frozen=True)
class _Row:
    title: str
    body_source: str  # as in the file
    body: str  # as stored
    category: str


class _FileError(Exception):
    """The file as a whole can't be imported; the message says why."""


def _decode(content: bytes | str) -> str:
    """The file as text; 5 MB is measured in bytes either way."""
    raw = content.encode() if isinstance(content, str) else content
    if len(raw) > IMPORT_MAX_BYTES:
        raise _FileError(
            f"The file is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
            f"{IMPORT_MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError as exc:
        raise _FileError(
            f"The file is not UTF-8 text (byte {exc.start + 1} can't be read). "
            "Save it as “CSV UTF-8” and try again."
        ) from exc
    # Text columns can't hold NUL (PostgreSQL refuses it); a file with one is rarely a CSV.
    if "\x00" in text:
        raise _FileError(
            "The file contains NUL characters, so it is not a text CSV (a spreadsheet file?). "
            "Save it as “CSV UTF-8” and try again."
        )
    return text.removeprefix("\ufeff")


def _parse(text: str) -> tuple[list[_Row], list[str]]:
    """The valid rows and one message per bad row. Lines are counted as a text editor counts
    them: the header is line 1, and a quoted body spanning several lines counts them all."""
    # strict: a stray double quote is an error here, not the rest of the file silently
    # swallowed into one article's body.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            raise _FileError("The file is empty. The first line must name the columns title,body.")
        columns = [h.strip().lower() for h in header]
        missing = [c for c in ("title", "body") if c not in columns]
        if missing:
            raise _FileError(
                f"The header has no {' and no '.join(missing)} column. Name the columns "
                f"title, body and optionally category; the header has: {', '.join(header)}."
            )
        index = {name: columns.index(name) for name in IMPORT_COLUMNS if name in columns}
        rows: list[_Row] = []
        errors: list[str] = []
        while True:
            line = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                break
            if not any(v.strip() for v in values):
                continue
            if len(rows) + len(errors) >= IMPORT_MAX_ROWS:
                raise _FileError(
                    f"The file has more than {IMPORT_MAX_ROWS:,} articles. "
                    "Split it into smaller files."
                )
            if len(values) > len(header):
                errors.append(
                    f"line {line}: {len(values)} values but {len(header)} columns "
                    "(put text that contains commas in double quotes)"
                )
                continue
            cells = [
                values[i] if i is not None and i < len(values) else ""
                for i in (index.get(name) for name in IMPORT_COLUMNS)
            ]
            title, body, category = _normalize(*cells)
            problems = _problems(title, body, category)
            clean = ""
            if not problems:
                clean, problem = _sanitized(body)
                problems.extend([problem] if problem else [])
            if problems:
                errors.append(f"line {line}: {', '.join(p.short for p in problems)}")
                continue
            rows.append(_Row(title, body, clean, category))
    except csv.Error as exc:
        raise _FileError(
            f"The file is not valid CSV: line {line}: {exc}. Check its double quotes."
        ) from exc
    if not rows and not errors:
        raise _FileError("The file has a header but no articles.")
    return rows, errors


def articles_import_csv(
    *,
    organization: Organization,
    actor: User | None,
    content: bytes | str,
    skip_invalid: bool = False,
) -> ImportResult:
    """Imports articles from CSV (columns title, body, optional category; UTF-8, a BOM is
    fine). An article whose title and body were imported before is skipped, even if it was
    edited or archived since, so importing a file twice changes nothing. With a bad row the
    whole file is refused unless `skip_invalid`, and every bad row is listed."""
    _require_manager(actor, organization)
    try:
        rows, errors = _parse(_decode(content))
    except _FileError as exc:
        return ImportResult(errors=[str(exc)])
    result = ImportResult(errors=errors, invalid_rows=len(errors))
    if errors and not skip_invalid:
        return result
    with transaction.atomic():
        # Serializes imports per organization: two uploads of the same file at once would
        # otherwise both see an external_id as new and one would fail on the unique constraint.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        existing = set(
            KnowledgeArticle.objects.filter(organization=organization)
            .exclude(external_id="")
            .values_list("external_id", flat=True)
        )
        new: list[KnowledgeArticle] = []
        for row in rows:
            external_id = article_external_id(row.title, row.body_source)
            if external_id in existing:
                result.skipped += 1
                continue
            existing.add(external_id)
            new.append(
                KnowledgeArticle(
                    organization=organization,
                    title=row.title,
                    body=row.body,
                    body_source=row.body_source,
                    category=row.category,
                    source=KnowledgeArticle.Source.IMPORT,
                    external_id=external_id,
                    created_by=actor,
                )
            )
        created = KnowledgeArticle.objects.bulk_create(new, batch_size=500)
        result.created = len(created)
        result.applied = True
        audit_log_record(
            actor=actor,
            organization=organization,
            action="kb.articles_imported",
            details={
                "created": result.created,
                "skipped": result.skipped,
                "invalid": result.invalid_rows,
            },
        )
        if created:
            _schedule_index([a.pk for a in created])
    return result
