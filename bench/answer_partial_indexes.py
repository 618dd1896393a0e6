"""What ml.answer_indexes costs (issue 18 §2): the first sync on a loaded answer table (what
migration 0007 runs on an existing deployment), the daily sync when nothing changed, the check
every index write makes, and which index the planner picks afterwards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_partial \\
        .venv/bin/python bench/answer_partial_indexes.py [--rows 200000] [--orgs 200]

The database is dropped and recreated, then migrated (its name must contain "bench"), and
dropped at the end. Organizations and rows are made and loaded as bench/answer_index_1m.py
makes them (its functions are imported: Zipf-like sizes, real helpdesk_qa embeddings mixed
with noise, one binary COPY). The marks are the product's (settings: 1,000 / 500 rows).

Measured: the first `answer_partial_indexes_sync()` (seconds, indexes built, rows indexed);
the second one (a no-op: one GROUP BY over the table and one catalog query); the median time of
`answer_partial_index_sync_schedule(org)` (the check inside each index write: a count that
stops at the build mark and one catalog lookup) for the largest and the smallest organization
over --checks calls; and the plan of serving's dense query for the largest organization and
for one just below the build mark. Prints one JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(ROOT))

from bench.answer_index_1m import (  # noqa: E402 - after the path fix above
    create_orgs,
    load,
    zipf_sizes,
)
from bench.answer_index_scale import (  # noqa: E402
    MAX_QUERIES,
    REAL,
    real_vectors,
    recreate_database,
    sql,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--zipf", type=float, default=0.9)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database with pgvector (it is recreated)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "false"
    load_before = os.getloadavg()
    recreate_database(url)

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Organization
    from ml import serving
    from ml.answer_indexes import (
        answer_partial_index_sync_schedule,
        answer_partial_indexes_sync,
        index_name,
    )

    try:
        call_command("migrate", verbosity=0)
        # The other answer-index benches' count: their cached embeddings serve (one cache file).
        texts, answers, vectors = real_vectors(REAL + MAX_QUERIES)
        sizes = zipf_sizes(args.rows, args.orgs, args.zipf)
        orgs = create_orgs(sizes)
        loaded = load(orgs, set(), vectors[:REAL], texts, answers, args.seed)
        sql("ANALYZE ml_answerembedding")

        started = time.monotonic()
        first = answer_partial_indexes_sync()
        first_s = time.monotonic() - started
        started = time.monotonic()
        second = answer_partial_indexes_sync()
        second_s = time.monotonic() - started

        largest, smallest = orgs[0], orgs[-1]
        below = next(o for o in orgs if o.size < 1000)

        def check_ms(org_pk: int) -> float:
            times = []
            for _ in range(args.checks):
                with transaction.atomic():
                    t0 = time.perf_counter()
                    queued = answer_partial_index_sync_schedule(org_pk)
                    times.append(time.perf_counter() - t0)
                    assert not queued  # steady state: nothing to do
            return statistics.median(times) * 1000

        query = np.asarray(vectors[REAL], dtype=np.float32)

        def plan(org_pk: int) -> str:
            wide = 3 * serving.DUPLICATE_HEADROOM + serving.CANDIDATE_EXTRA
            text = str(
                serving._rows_with_cosine(Organization.objects.get(pk=org_pk), query)
                .order_by("distance")[:wide]
                .explain()
            )
            return "partial HNSW" if index_name(org_pk) in text else "exact"

        report = {
            "machine": "2-core shared VM",
            "load_before": load_before,
            "rows": args.rows,
            "orgs": args.orgs,
            "largest_sizes": sizes[:3],
            "load_s": round(loaded["seconds"], 1),
            "first_sync_s": round(first_s, 1),
            "indexes_built": len(first.created),
            "rows_indexed": sum(o.size for o in orgs if o.pk in set(first.created)),
            "second_sync_s": round(second_s, 3),
            "second_sync_changed": second.changed,
            "check_ms_largest": round(check_ms(largest.pk), 3),
            "check_ms_smallest": round(check_ms(smallest.pk), 3),
            "plan_largest": plan(largest.pk),
            "plan_below_mark": f"{below.size} rows: {plan(below.pk)}",
            "load_after": os.getloadavg(),
        }
        print(json.dumps(report))
    finally:
        connection.close()
        import psycopg

        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
