"""The answer index's approximate-nearest-neighbour indexes on PostgreSQL: one partial HNSW
index per organization with many answers (`ml_ae_hnsw_org_<id>`, `WHERE organization_id =
<id>`), none for the others, whose dense queries are exact scans of their own rows.

Why per organization: a single HNSW graph over every tenant's rows, filtered to one tenant after
the graph walk, gave tenants holding 1-2% of a 1M-row table 56-142 ms p50 and recall@10 down to
0.93; each tenant's own graph gave recall >= 0.996 and p50 <= 18 ms, and an exact scan of fewer
than ~1,000 rows costs about as much as the index (docs/benchmarks.md, "pgvector at 1M answers
across 1,000 organizations"). The planner uses a partial index only when the query's
`organization_id = <literal>` implies the index's predicate: Django's psycopg3 backend binds
parameters client-side (the default), so serving's `filter(organization=...)` arrives as a
literal; server-side binding or generic prepared plans would lose every partial index.

An index is built when the organization reaches ML_ANSWER_PARTIAL_INDEX_MIN_ROWS rows and
dropped only below ML_ANSWER_PARTIAL_INDEX_DROP_ROWS, so an organization near the threshold
doesn't build and drop an index with every article it adds and archives. Builds and drops are
CONCURRENTLY (the table stays writable), hence outside any transaction; a build that failed
half-way leaves an invalid index, which is dropped and built again. On SQLite the dense search
is NumPy (ml.serving) and there is nothing to keep: the sync says so and does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

TABLE = "ml_answerembedding"
PREFIX = "ml_ae_hnsw_org_"
# The parameters of the global index that migration 0002 created (pgvector's defaults, written
# out so a change of pgvector's defaults can't change new indexes silently): the benchmarks
# measured these.
USING = "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
# An HNSW build keeps its graph in maintenance_work_mem, about 2 kB a row at 384 dimensions;
# twice that leaves room. Not more than needed: pgvector's parallel build allocates all of it
# up front (a blanket 4GB cost 4.0 s against 0.4 s for a 1k-row index). The cap keeps a huge
# tenant's build from taking the database server's memory: past it the build goes on, slower,
# with the graph partly on disk.
BUILD_MEMORY_BYTES_PER_ROW = 4096
BUILD_MEMORY_MIN_MB = 64
BUILD_MEMORY_MAX_MB = 4096
# The first key of the two-key advisory lock (the second: the organization id), so these locks
# can't collide with another feature's.
LOCK_NAMESPACE = 0x4D4C4145  # "MLAE"

NOT_POSTGRES = (
    "not PostgreSQL: the dense answer search is NumPy over each process's copy of the index "
    "(ml.serving); there are no HNSW indexes to keep"
)


@dataclass
class PartialIndexSync:
    """What one sync did, by organization id. `busy`: another worker held the organization's
    lock (it is doing the same work). `skipped`: why nothing was looked at (not PostgreSQL)."""

    created: list[int] = field(default_factory=list)
    rebuilt: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)
    skipped: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.rebuilt or self.dropped)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "rebuilt": self.rebuilt,
            "dropped": self.dropped,
            "busy": self.busy,
            "skipped": self.skipped,
        }


def index_name(organization_id: int) -> str:
    # int() on purpose: the name and the predicate are written into SQL, so only an integer may
    # reach them.
    return f"{PREFIX}{int(organization_id)}"


def _marks() -> tuple[int, int]:
    """(build at, drop below); a drop mark above the build mark would build and drop the same
    index on every run, so it is held to the build mark."""
    build = int(settings.ML_ANSWER_PARTIAL_INDEX_MIN_ROWS)
    return build, min(int(settings.ML_ANSWER_PARTIAL_INDEX_DROP_ROWS), build)


def _action(rows: int, state: bool | None) -> str | None:
    """What an organization with `rows` rows and its index in `state` (None: none, False:
    invalid, True: valid) needs: "create", "rebuild", "drop" or nothing."""
    build, drop = _marks()
    if state is False:  # a failed concurrent build: useless to queries, still costs writes
        return "rebuild" if rows >= build else "drop"
    if state is None:
        return "create" if rows >= build else None
    return "drop" if rows < drop else None


def _index_states(cursor: Any, organization_id: int | None) -> dict[int, bool]:
    """{organization id: valid} for the partial indexes that exist."""
    sql = (
        "SELECT c.relname, i.indisvalid FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND c.relname LIKE %s"
    )
    params: list[Any] = [TABLE, PREFIX.replace("_", r"\_") + "%"]
    if organization_id is not None:
        sql += " AND c.relname = %s"
        params.append(index_name(organization_id))
    cursor.execute(sql, params)
    states = {}
    for name, valid in cursor.fetchall():
        suffix = name[len(PREFIX) :]
        if suffix.isdigit():  # an index someone else named like ours is left alone
            states[int(suffix)] = bool(valid)
    return states


def _row_counts(cursor: Any, organization_id: int | None) -> dict[int, int]:
    if organization_id is None:
        cursor.execute(f"SELECT organization_id, count(*) FROM {TABLE} GROUP BY organization_id")  # noqa: S608 - constant table name
    else:
        cursor.execute(
            f"SELECT organization_id, count(*) FROM {TABLE} WHERE organization_id = %s"  # noqa: S608 - constant table name
            " GROUP BY organization_id",
            [int(organization_id)],
        )
    return {int(org): int(n) for org, n in cursor.fetchall()}


@contextmanager
def _organization_lock(cursor: Any, organization_id: int) -> Iterator[bool]:
    """A session-level advisory lock (CONCURRENTLY runs outside transactions, so a transaction
    lock would end at once): two workers syncing one organization would otherwise both build,
    and the second's CONCURRENTLY wait on the first. Yields whether it was taken; ids past
    2^31 share a lock with another organization, which only serializes the two."""
    key = int(organization_id) % 2**31
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
    taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])


def _drop(cursor: Any, organization_id: int) -> None:
    cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index_name(organization_id)}")


def _build(cursor: Any, organization_id: int, rows: int) -> None:
    megabytes = min(
        BUILD_MEMORY_MAX_MB,
        max(BUILD_MEMORY_MIN_MB, rows * BUILD_MEMORY_BYTES_PER_ROW // (1024 * 1024)),
    )
    cursor.execute("SHOW maintenance_work_mem")
    before = str(cursor.fetchone()[0])
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [f"{megabytes}MB"])
    try:
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(organization_id)}"
            f" ON {TABLE} {USING} WHERE organization_id = {int(organization_id)}"
        )
    finally:
        # The connection is reused (CONN_MAX_AGE): later statements keep the server's setting.
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [before])


def answer_partial_indexes_sync(
    *, organization_id: int | None = None, using: str = DEFAULT_DB_ALIAS
) -> PartialIndexSync:
    """Brings the partial HNSW indexes in line with the row counts: of one organization, or of
    every organization that has rows or an index (a deleted organization's index is dropped).
    Must run outside a transaction (CONCURRENTLY); rerunning it changes nothing."""
    connection = connections[using]
    result = PartialIndexSync()
    if connection.vendor != "postgresql":
        result.skipped = NOT_POSTGRES
        return result
    if connection.in_atomic_block:
        raise RuntimeError(
            "answer_partial_indexes_sync runs CREATE/DROP INDEX CONCURRENTLY, which PostgreSQL "
            "refuses inside a transaction: call it outside transaction.atomic()"
        )
    with connection.cursor() as cursor:
        counts = _row_counts(cursor, organization_id)
        states = _index_states(cursor, organization_id)
        due = [
            org
            for org in sorted(set(counts) | set(states))
            if _action(counts.get(org, 0), states.get(org)) is not None
        ]
        for org in due:
            with _organization_lock(cursor, org) as taken:
                if not taken:
                    result.busy.append(org)
                    continue
                # Read again under the lock: another worker may have finished this one since.
                rows = _row_counts(cursor, org).get(org, 0)
                state = _index_states(cursor, org).get(org)
                action = _action(rows, state)
                started = time.monotonic()
                if action in ("drop", "rebuild"):
                    _drop(cursor, org)
                if action in ("create", "rebuild"):
                    _build(cursor, org, rows)
                if action == "create":
                    result.created.append(org)
                elif action == "rebuild":
                    result.rebuilt.append(org)
                elif action == "drop":
                    result.dropped.append(org)
                if action is not None:
                    logger.info(
                        "Answer index of org %s (%s rows): partial HNSW index %s in %.1f s",
                        org,
                        rows,
                        {"create": "built", "rebuild": "rebuilt", "drop": "dropped"}[action],
                        time.monotonic() - started,
                    )
    return result


def answer_partial_index_sync_schedule(organization_id: int) -> bool:
    """After a write to the organization's answer index, inside its transaction: queues the
    sync of this organization for after the commit when its row count crossed a mark (or its
    index is invalid). Cheap enough for every write: the count stops at the build mark, and the
    index's state is one catalog lookup. Returns whether it queued."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return False
    build, _ = _marks()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE organization_id = %s LIMIT %s) s",  # noqa: S608 - constant table name
            [int(organization_id), build],
        )
        rows = int(cursor.fetchone()[0])
        state = _index_states(cursor, organization_id).get(int(organization_id))
    if _action(rows, state) is None:
        return False
    from .tasks import answer_partial_indexes_sync_task

    transaction.on_commit(
        lambda: answer_partial_indexes_sync_task.delay(organization_id=int(organization_id))
    )
    return True
