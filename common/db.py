"""Database helpers that know no app."""

from __future__ import annotations

from django.db import connection


def commit_without_waiting_for_disk() -> bool:
    """Inside the outermost transaction: its COMMIT returns without waiting for PostgreSQL to
    flush the write-ahead log to disk (`SET LOCAL synchronous_commit = off`, this transaction
    only). A durable commit waits for an fsync — about 4 ms on a cloud disk, most of a fast
    request's database time — so writes that a crash may lose without harm skip it: an API
    call's usage count, an Idempotency-Key's claim or stored response. The data are never
    inconsistent: the WAL is flushed in order, so the next durable commit (the ticket the
    request stores) carries these with it, and an unflushed commit is at most
    `wal_writer_delay` × 3 old when the server dies (PostgreSQL's documentation,
    "Asynchronous Commit").

    Only the outermost transaction: inside an outer one, SET LOCAL would relax the outer
    transaction's commit too, which may hold writes that must not be lost. True when set.
    Other databases commit as they do (SQLite has no such switch)."""
    # A test case's own wrapping transaction doesn't count (as for Django's `durable`).
    own = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if connection.vendor != "postgresql" or len(own) != 1:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
    return True
