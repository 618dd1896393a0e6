"""`commit_without_waiting_for_disk`: relaxes only the outermost transaction it runs in, on
PostgreSQL (CI's database), and is a no-op elsewhere (SQLite has no such switch)."""

from __future__ import annotations

from django.db import connection, transaction

from common.db import commit_without_waiting_for_disk


def _synchronous_commit() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


def test_only_the_outermost_transaction_is_relaxed_and_only_until_it_ends(db):
    postgres = connection.vendor == "postgresql"
    before = _synchronous_commit()
    with transaction.atomic():
        with transaction.atomic():
            # Nested: relaxing here would relax the outer transaction's commit too.
            assert commit_without_waiting_for_disk() is False
            assert _synchronous_commit() == before
        assert commit_without_waiting_for_disk() is postgres
        assert _synchronous_commit() == ("off" if postgres else None)
    assert commit_without_waiting_for_disk() is False  # outside any transaction of ours


def test_the_setting_ends_with_the_transaction_it_relaxed(transactional_db):
    # No test transaction around this one: the atomic block below really commits.
    before = _synchronous_commit()
    with transaction.atomic():
        relaxed = commit_without_waiting_for_disk()
    assert relaxed is (connection.vendor == "postgresql")
    assert _synchronous_commit() == before  # "on" again on PostgreSQL: SET LOCAL ended
