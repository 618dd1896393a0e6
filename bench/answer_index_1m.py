"""pgvector at 1M indexed answers across 1,000 organizations (issue 18 §2): recall@10 against
exact NumPy truth and p50 / p95 of the product's dense query, per organization size band, for
two index layouts on the product's own (migrated) table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_1m \\
        .venv/bin/python bench/answer_index_1m.py [--rows 1000000] [--orgs 1000] \\
        [--zipf 0.9] [--per-band 4] [--queries 100] [--partial-min 1000] [--keep]

The database is dropped and recreated, then migrated (its name must contain "bench"); it is
dropped again at the end unless --keep. Needs pgvector 0.8 (`hnsw.iterative_scan`).

Organizations. Sizes follow a seeded Zipf-like law: organization i (1-based rank) gets a share
proportional to i^-zipf of --rows. With the defaults (1M rows, 1,000 organizations, 0.9) the
largest holds 95k rows, then 51k, 35k, 27k, 22k; 12 hold 10k or more, 145 hold 1k-10k and 843
hold fewer than 1k (the median about 360, the smallest 190). Size bands: small < 1,000 rows,
medium 1,000-9,999, large >= 10,000. --per-band organizations of each band are measured,
spread evenly over the band by rank (its largest and its smallest included). The organizations
are loaded in a seeded random order, so one organization's rows are not contiguous with its
neighbours' in rank.

Vectors are made as bench/answer_index_scale.py makes them (its functions are imported): each
row a convex mixture of 2-3 of 3,000 real helpdesk_qa ticket embeddings (frozen
all-MiniLM-L6-v2, cached in var/bench-cache/) plus noise of norm 0.15, re-normalised, with the
primary ticket's text and answer; 200 other real tickets are the queries (held out). Every
organization draws from the same pool, so organizations overlap in topic: a real tenant mix
with distinct topics would put one organization's nearest rows in its own region of the graph.
Rows go in by one binary COPY with the HNSW index dropped (timed), then ANALYZE.

Layouts (each built, timed and sized, then measured):
- global: the migration's single HNSW index (its own `indexdef`: m=16, ef_construction=64,
  vector_cosine_ops) over every organization; the organization filter runs after the graph
  scan (post-filtering).
- partial: no global index; one partial HNSW index (same parameters) `WHERE organization_id =
  <id>` for each organization with at least --partial-min rows; smaller organizations are
  scanned exactly through the organization_id b-tree. The plan of every measured query is read
  from EXPLAIN.
- both (only with --layouts both): the global index and the partial ones side by side, the
  state a migration to partial indexes passes through: which index does the planner pick?
Index builds run with maintenance_work_mem --maintenance-work-mem (4GB; a partial index gets
4 kB a row of it, at least 64MB: pgvector's parallel build first allocates all of it) and
max_parallel_maintenance_workers --parallel-workers (1: the machine has 2 shared cores).

Measured per layout, per sampled organization, per search setting (hnsw.ef_search 40 and 200,
each with hnsw.iterative_scan off and relaxed_order; the product runs 200 + relaxed_order, set
on every connection by ml.apps): the product's dense query, as ml.serving.search_answers issues
it, `AnswerEmbedding.objects.filter(organization=org).annotate(distance=CosineDistance(
"embedding", v)).only(<serving's shown fields>).order_by("distance")[:28]` (28 = k * 4 + 16 at
k = 3), one query at a time, --warmup untimed queries first, then --queries timed ones; p50 /
p95 ms, the rows it returned, and recall@10: the 10 nearest of the returned rows (by the
distance PostgreSQL computed; relaxed_order may return them slightly out of order and serving
rescores anyway) against the exact top 10 by NumPy over the organization's float32 vectors.
Where the plan is an exact scan (ef_search cannot reach it) the first setting's timing is
reused for the others with the same plan. Recall is computed from the returned rows for every
plan, so an exact plan's recall also checks PostgreSQL against NumPy.

Prints markdown tables, writes them with the run's settings to --results
(bench/results/answer_index_1m.md), and prints the report as JSON on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(ROOT))

from bench.answer_index_scale import (  # noqa: E402 - after the path fix above
    COPY_COLUMNS,
    GLOBAL_INDEXDEF,
    HNSW_INDEX,
    MAX_QUERIES,
    REAL,
    SHOWN_FIELDS,
    apply_settings,
    percentiles,
    real_vectors,
    recreate_database,
    sql,
    synthetic,
    top_k_ids,
)

RECALL_K = 10
PARTIAL_PREFIX = "ml_ae_hnsw_org_"
BANDS = (("small", 0, 1000), ("medium", 1000, 10000), ("large", 10000, None))
SETTINGS = [
    (f"ef_search={ef}{', relaxed_order' if relaxed else ''}", ef, relaxed)
    for ef in (40, 200)
    for relaxed in (False, True)
]
PRODUCT_SETTING = "ef_search=200, relaxed_order"
MIN_FREE_GB = 15  # table ~5 GB + indexes ~2-3 GB, twice over while one layout replaces another


@dataclass
class Org:
    pk: int
    rank: int
    size: int
    band: str = ""
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), dtype=np.float32))


def zipf_sizes(rows: int, orgs: int, exponent: float) -> list[int]:
    """Sizes by rank (largest first) summing to `rows`, each proportional to rank^-exponent."""
    weights = np.arange(1, orgs + 1, dtype=np.float64) ** -exponent
    sizes = np.maximum(1, np.floor(weights / weights.sum() * rows)).astype(int)
    sizes[0] += rows - int(sizes.sum())  # the rounding remainder to the largest
    return [int(s) for s in sizes]


def band_of(size: int) -> str:
    return next(name for name, low, high in BANDS if size >= low and (high is None or size < high))


def sample_orgs(orgs: list[Org], per_band: int) -> list[Org]:
    """`per_band` organizations of each band, evenly spread over it by rank."""
    chosen: list[Org] = []
    for name, _, _ in BANDS:
        members = [o for o in orgs if o.band == name]
        if not members:
            continue
        picks = np.unique(np.linspace(0, len(members) - 1, min(per_band, len(members))).round())
        chosen += [members[int(i)] for i in picks]
    return chosen


def create_orgs(sizes: list[int]) -> list[Org]:
    from accounts.models import Organization
    from ml.models import AnswerIndexVersion

    made = Organization.objects.bulk_create(
        [Organization(name=f"Bench {i}", slug=f"bench-{i}") for i in range(1, len(sizes) + 1)]
    )
    AnswerIndexVersion.objects.bulk_create(
        [AnswerIndexVersion(organization=o, version=1) for o in made]
    )
    return [
        Org(pk=int(o.pk), rank=i + 1, size=s, band=band_of(s))
        for i, (o, s) in enumerate(zip(made, sizes, strict=True))
    ]


def load(
    orgs: list[Org],
    measured: set[int],
    pool: np.ndarray,
    texts: list[str],
    answers: list[str],
    seed: int,
) -> dict[str, float]:
    """Every organization's rows by one binary COPY (pgvector's psycopg dumper), organizations
    in a seeded random order; keeps the measured organizations' vectors. Seconds spent making
    vectors and in COPY."""
    import psycopg
    from django.db import connection
    from pgvector.psycopg import register_vector
    from psycopg.types.json import Jsonb

    types = dict(
        sql(
            "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = 'ml_answerembedding'::regclass AND a.attnum > 0"
        )
    )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(orgs))
    making = 0.0
    started = time.monotonic()
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as conn:
        register_vector(conn)
        columns = ", ".join(COPY_COLUMNS)
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY ml_answerembedding ({columns}) FROM STDIN (FORMAT BINARY)") as out,
        ):
            out.set_types([types[c] for c in COPY_COLUMNS])
            for n, position in enumerate(order):
                org = orgs[int(position)]
                t0 = time.monotonic()
                vectors, primary = synthetic(org.size, pool, rng)
                making += time.monotonic() - t0
                if org.pk in measured:
                    org.vectors = vectors
                for i, (v, s) in enumerate(zip(vectors, primary, strict=True)):
                    out.write_row(
                        [
                            org.pk,
                            None,
                            "import",
                            f"import:{i}",
                            texts[s][:300],
                            texts[s],
                            answers[s],
                            v,
                            Jsonb([answers[s]]),
                            v.tobytes(),
                            1,
                        ]
                    )
                if (n + 1) % 100 == 0:
                    print(f"  loaded {n + 1} organizations", flush=True)
        conn.commit()
    total = time.monotonic() - started
    for org in orgs:
        if org.pk in measured:
            keys = dict(
                sql(
                    "SELECT source_key, id FROM ml_answerembedding WHERE organization_id = %s",
                    [org.pk],
                )
            )
            org.ids = np.array([int(keys[f"import:{i}"]) for i in range(org.size)])
    return {"seconds": total, "vector_making_s": making, "copy_s": total - making}


def build_settings(maintenance_work_mem: str, workers: int) -> None:
    apply_settings(
        {
            "maintenance_work_mem": maintenance_work_mem,
            "max_parallel_maintenance_workers": str(workers),
        }
    )


def index_sizes() -> dict[str, int]:
    return {
        str(name): int(size)
        for name, size in sql(
            "SELECT indexname, pg_relation_size(indexname::regclass) FROM pg_indexes"
            " WHERE tablename = 'ml_answerembedding'"
            " AND (indexname = %s OR indexname LIKE %s)",
            [HNSW_INDEX, PARTIAL_PREFIX + "%"],
        )
    }


def build_global(indexdef: str) -> dict[str, Any]:
    started = time.monotonic()
    sql(indexdef)
    seconds = time.monotonic() - started
    sizes = index_sizes()
    return {"seconds": seconds, "indexes": 1, "bytes": sum(sizes.values())}


def build_partial(
    orgs: list[Org], minimum: int, indexdef: str, maintenance_work_mem: str
) -> dict[str, Any]:
    """One partial HNSW index per organization of at least `minimum` rows, with the global
    index's method, operator class and parameters (read from its definition), each built with
    a memory budget sized to its rows (at most `maintenance_work_mem`)."""
    budget_mb = memory_mb(maintenance_work_mem)
    using = indexdef[indexdef.index(" USING ") :]
    big = [o for o in orgs if o.size >= minimum]
    per: list[tuple[int, float]] = []
    started = time.monotonic()
    for n, org in enumerate(big):
        # pgvector's parallel build allocates all of maintenance_work_mem as shared memory
        # first: 4GB cost ~3.6 s per index here even for 1,000 rows, so each index gets what
        # its graph needs (~2 kB a row, doubled) instead.
        megabytes = min(budget_mb, max(64, org.size * 4 // 1024))
        apply_settings({"maintenance_work_mem": f"{megabytes}MB"})
        t0 = time.monotonic()
        sql(
            f"CREATE INDEX {PARTIAL_PREFIX}{org.pk} ON public.ml_answerembedding{using}"
            f" WHERE organization_id = {int(org.pk)}"
        )
        per.append((org.size, time.monotonic() - t0))
        if (n + 1) % 25 == 0:
            print(f"  built {n + 1} of {len(big)} partial indexes", flush=True)
    seconds = time.monotonic() - started
    apply_settings({"maintenance_work_mem": maintenance_work_mem})
    sizes = index_sizes()
    largest = max(per) if per else (0, 0.0)
    return {
        "seconds": seconds,
        "indexes": len(big),
        "indexed_rows": sum(o.size for o in big),
        "bytes": sum(sizes.values()),
        "largest_org_rows": largest[0],
        "largest_org_build_s": largest[1],
        "smallest_org_build_s": min(s for _, s in per) if per else 0.0,
    }


def memory_mb(setting: str) -> int:
    """'4GB' / '512MB' as megabytes."""
    units = {"GB": 1024, "MB": 1}
    return int(setting[:-2]) * units[setting[-2:].upper()]


def planning_ms(org_pk: int, vector: np.ndarray, repeats: int = 5) -> float:
    """The median planning time of the query (EXPLAIN's summary): each partial index is one
    more predicate the planner tests against every query on the table."""
    found = []
    for _ in range(repeats):
        plan = str(dense_query(org_pk, vector).explain(summary=True))
        line = next(x for x in plan.splitlines() if x.strip().startswith("Planning Time"))
        found.append(float(line.split(":")[1].split()[0]))
    return float(np.median(found))


def dense_query(org_pk: int, vector: np.ndarray) -> Any:
    """The dense half of ml.serving.search_answers: its `_rows_with_cosine(...)
    .order_by("distance")[:wide]`, rebuilt here (serving's helper is private)."""
    from pgvector.django import CosineDistance

    from ml import serving
    from ml.models import AnswerEmbedding

    wide = 3 * serving.DUPLICATE_HEADROOM + serving.CANDIDATE_EXTRA
    return (
        AnswerEmbedding.objects.filter(organization_id=org_pk)
        .annotate(distance=CosineDistance("embedding", np.asarray(vector, dtype=np.float32)))
        .only(*SHOWN_FIELDS)
        .order_by("distance")[:wide]
    )


def plan_of(org_pk: int, vector: np.ndarray) -> str:
    plan = str(dense_query(org_pk, vector).explain())
    if f"{PARTIAL_PREFIX}{org_pk}" in plan:
        return "partial HNSW"
    if HNSW_INDEX in plan:
        return "global HNSW"
    if "Seq Scan" in plan:
        return "exact: seq scan + sort"
    return "exact: org index + sort"  # an index or bitmap scan on organization_id


def measure(layout: str, orgs: list[Org], queries: np.ndarray, warmup: int) -> list[dict[str, Any]]:
    out = []
    for org in orgs:
        truth = top_k_ids(queries, org.vectors, org.ids, RECALL_K)
        timed_plans: dict[str, dict[str, Any]] = {}
        planning = planning_ms(org.pk, queries[0])
        for name, ef, relaxed in SETTINGS:
            apply_settings(
                {
                    "hnsw.ef_search": str(ef),
                    "hnsw.iterative_scan": "relaxed_order" if relaxed else "off",
                }
            )
            plan = plan_of(org.pk, queries[0])  # the plan does not depend on the vector
            row: dict[str, Any] = {
                "layout": layout,
                "org_rank": org.rank,
                "org_rows": org.size,
                "band": org.band,
                "setting": name,
                "plan": plan,
                "planning_ms": planning,
            }
            if not plan.endswith("HNSW") and plan in timed_plans:
                out.append({**timed_plans[plan], **row, "timed_as": "same exact plan"})
                continue
            for v in queries[:warmup]:
                list(dense_query(org.pk, v))
            millis, hits, counts = [], [], []
            for q, v in enumerate(queries):
                t0 = time.perf_counter()
                rows = list(dense_query(org.pk, v))
                millis.append(1000 * (time.perf_counter() - t0))
                nearest = [r.pk for r in sorted(rows, key=lambda r: r.distance)[:RECALL_K]]
                hits.append(len(set(truth[q]) & set(nearest)))
                counts.append(len(rows))
            p50, p95 = percentiles(millis)
            row |= {
                "recall_at_10": sum(hits) / (RECALL_K * len(queries)),
                "min_recall": min(hits) / RECALL_K,
                "rows_returned": float(np.mean(counts)),
                "min_rows_returned": min(counts),
                "p50_ms": p50,
                "p95_ms": p95,
            }
            if not plan.endswith("HNSW"):
                timed_plans[plan] = row
            out.append(row)
            print(
                f"  {layout} | rank {org.rank} ({org.size:,} rows) | {name} | {plan} | recall "
                f"{row['recall_at_10']:.3f} (min {row['min_recall']:.1f}) | rows "
                f"{row['rows_returned']:.1f} (min {row['min_rows_returned']}) | "
                f"{p50:.1f} / {p95:.1f} ms",
                flush=True,
            )
    return out


def band_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per layout, setting and band: mean recall over the sampled organizations, the worst
    organization's recall, the worst query, the median of the organizations' p50s and the
    largest p95."""
    out = []
    keys = dict.fromkeys((r["layout"], r["setting"], r["band"]) for r in rows)
    for layout, setting, band in keys:
        group = [
            r for r in rows if (r["layout"], r["setting"], r["band"]) == (layout, setting, band)
        ]
        out.append(
            {
                "layout": layout,
                "setting": setting,
                "band": band,
                "orgs": len(group),
                "recall_at_10": float(np.mean([r["recall_at_10"] for r in group])),
                "worst_org_recall": min(r["recall_at_10"] for r in group),
                "worst_query_recall": min(r["min_recall"] for r in group),
                "min_rows_returned": min(r["min_rows_returned"] for r in group),
                "p50_ms": float(np.median([r["p50_ms"] for r in group])),
                "max_p95_ms": max(r["p95_ms"] for r in group),
                "plans": sorted({r["plan"] for r in group}),
            }
        )
    return out


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def tables(report: dict[str, Any]) -> str:
    load = report["load"]
    out = ["### Load and builds", "", "| what | rows | seconds | size |", "|---|---|---|---|"]
    out.append(
        f"| binary COPY, no HNSW index ({load['vector_making_s']:.0f} s of it making vectors) "
        f"| {report['rows']:,} | {load['seconds']:.0f} | table {mb(report['table_bytes'])} |"
    )
    for layout, build in report["builds"].items():
        what = (
            "global HNSW (the migration's indexdef)"
            if layout == "global"
            else ("global HNSW + " if layout == "both" else "")
            + f"{build['indexes']} partial HNSW indexes (orgs >= {report['partial_min']:,}"
            f" rows; {build['indexed_rows']:,} rows; largest org's {build['largest_org_rows']:,}"
            f" rows: {build['largest_org_build_s']:.0f} s)"
        )
        rows = report["rows"] if layout != "partial" else build["indexed_rows"]
        out.append(f"| {what} | {rows:,} | {build['seconds']:.0f} | {mb(build['bytes'])} |")
    out += [
        "",
        "### Per band: recall@10 mean (worst org, worst query) · p50 (median of orgs) / max p95"
        " ms · min rows returned of 28",
        "",
        "| layout | setting | " + " | ".join(name for name, _, _ in BANDS) + " |",
        "|---|---|" + "---|" * len(BANDS),
    ]
    summary = report["bands"]
    for layout in dict.fromkeys(s["layout"] for s in summary):
        for name, _, _ in SETTINGS:
            cells = []
            for band, _, _ in BANDS:
                s = next(
                    (
                        s
                        for s in summary
                        if (s["layout"], s["setting"], s["band"]) == (layout, name, band)
                    ),
                    None,
                )
                cells.append(
                    "-"
                    if s is None
                    else f"{s['recall_at_10']:.3f} ({s['worst_org_recall']:.3f}, "
                    f"{s['worst_query_recall']:.1f}) · {s['p50_ms']:.1f} / {s['max_p95_ms']:.1f}"
                    f" · {s['min_rows_returned']}"
                )
            mark = " (product)" if name == PRODUCT_SETTING else ""
            out.append(f"| {layout} | {name}{mark} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Per organization",
        "",
        "| layout | setting | org rank (rows) | plan | recall@10 (worst query) | rows returned"
        " (min) | p50 / p95 ms | planning ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["measured"]:
        reused = " ²" if r.get("timed_as") else ""
        out.append(
            f"| {r['layout']} | {r['setting']} | {r['org_rank']} ({r['org_rows']:,}) | "
            f"{r['plan']} | {r['recall_at_10']:.3f} ({r['min_recall']:.1f}) | "
            f"{r['rows_returned']:.1f} ({r['min_rows_returned']}) | {r['p50_ms']:.1f} / "
            f"{r['p95_ms']:.1f}{reused} | {r['planning_ms']:.2f} |"
        )
    out += ["", "² the same exact plan as a setting above: its timing, not re-run."]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--zipf", type=float, default=0.9, help="size exponent by rank")
    parser.add_argument("--per-band", type=int, default=4, help="organizations measured a band")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per setting")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--partial-min", type=int, default=1000, help="rows for a partial HNSW index"
    )
    parser.add_argument("--layouts", default="global,partial")
    parser.add_argument("--maintenance-work-mem", default="4GB")
    parser.add_argument("--parallel-workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", default=str(ROOT / "bench/results/answer_index_1m.md"))
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    layouts = [name for name in args.layouts.split(",") if name]
    queries_n = min(args.queries, MAX_QUERIES)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database with pgvector (it is recreated)")
    free_gb = shutil.disk_usage("/").free / 2**30
    print(f"free disk {free_gb:.0f} GB", flush=True)
    if free_gb < MIN_FREE_GB * args.rows / 1_000_000:
        sys.exit(f"only {free_gb:.0f} GB free: the run needs about {MIN_FREE_GB} GB per 1M rows")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "false"  # DEBUG keeps every query's SQL
    load_before = os.getloadavg()
    started = time.monotonic()
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    texts, answers, vectors = real_vectors(REAL + MAX_QUERIES)
    pool = vectors[:REAL]
    queries = vectors[REAL : REAL + queries_n]

    server = {
        name: sql(f"SHOW {name}")[0][0]
        for name in ("server_version", "shared_buffers", "work_mem", "effective_cache_size")
    }
    server["pgvector"] = sql("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0][0]
    print(f"cpus {os.cpu_count()}, load before {load_before}, server {server}", flush=True)

    sizes = zipf_sizes(args.rows, args.orgs, args.zipf)
    orgs = create_orgs(sizes)
    chosen = sample_orgs(orgs, args.per_band)
    print(
        "sizes: largest "
        + ", ".join(f"{s:,}" for s in sizes[:5])
        + f"; median {int(np.median(sizes)):,}; smallest {sizes[-1]:,}; per band "
        + ", ".join(f"{b}: {sum(o.band == b for o in orgs)}" for b, _, _ in BANDS)
        + "; measured ranks "
        + ", ".join(f"{o.rank} ({o.size:,})" for o in chosen),
        flush=True,
    )
    # Since ml migration 0007 the product keeps per-organization partial indexes instead
    # (ml.answer_indexes); the global layout is migration 0002's index.
    found = sql("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [HNSW_INDEX])
    indexdef = str(found[0][0]) if found else GLOBAL_INDEXDEF
    sql(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
    loaded = load(orgs, {o.pk for o in chosen}, pool, texts, answers, args.seed)
    print(f"loaded {args.rows:,} rows: {loaded}", flush=True)
    sql("ANALYZE ml_answerembedding")
    build_settings(args.maintenance_work_mem, args.parallel_workers)

    report: dict[str, Any] = {
        "rows": args.rows,
        "orgs": args.orgs,
        "zipf": args.zipf,
        "partial_min": args.partial_min,
        "largest_sizes": sizes[:5],
        "median_size": int(np.median(sizes)),
        "band_counts": {b: sum(o.band == b for o in orgs) for b, _, _ in BANDS},
        "server": server,
        "indexdef": indexdef,
        "maintenance_work_mem": args.maintenance_work_mem,
        "parallel_workers": args.parallel_workers,
        "load": loaded,
        "table_bytes": int(sql("SELECT pg_total_relation_size('ml_answerembedding')")[0][0]),
        "builds": {},
        "measured": [],
    }
    for layout in layouts:
        for name in index_sizes():  # the previous layout's indexes
            sql(f"DROP INDEX {name}")
        print(f"building {layout}", flush=True)
        if layout == "global":
            build = build_global(indexdef)
        elif layout == "partial":
            build = build_partial(orgs, args.partial_min, indexdef, args.maintenance_work_mem)
        elif layout == "both":  # what the planner sees while a migration adds partial indexes
            first = build_global(indexdef)
            build = build_partial(orgs, args.partial_min, indexdef, args.maintenance_work_mem)
            build["seconds"] += first["seconds"]
        else:
            sys.exit(f"unknown layout {layout!r}")
        report["builds"][layout] = build
        print(f"  {layout}: {build}", flush=True)
        sql("ANALYZE ml_answerembedding")
        report["measured"] += measure(layout, chosen, queries, args.warmup)
    apply_settings({"hnsw.ef_search": "200", "hnsw.iterative_scan": "relaxed_order"})
    for name in ("hnsw.max_scan_tuples", "hnsw.scan_mem_multiplier"):
        server[name] = sql("SELECT current_setting(%s, true)", [name])[0][0]
    report["bands"] = band_summary(report["measured"])
    report["cpus"] = os.cpu_count()
    report["load_before"] = load_before
    report["load_after"] = os.getloadavg()
    report["wall_s"] = time.monotonic() - started

    text = tables(report)
    print(text)
    head = [
        "# pgvector at 1M answers across 1,000 organizations (`bench/answer_index_1m.py`)",
        "",
        "Generated by the script; the notes after the tables are written by hand.",
        "",
        "```",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_1m \\",
        "    .venv/bin/python bench/answer_index_1m.py " + " ".join(sys.argv[1:]),
        "```",
        "",
        f"{args.rows:,} rows, {args.orgs:,} organizations, Zipf exponent {args.zipf}: largest "
        + ", ".join(f"{s:,}" for s in sizes[:5])
        + f"; median {report['median_size']:,}; per band {report['band_counts']}. Server "
        f"{server}; builds with maintenance_work_mem {args.maintenance_work_mem}, "
        f"max_parallel_maintenance_workers {args.parallel_workers}. {queries_n} queries per "
        f"setting after {args.warmup} warm-up. cpus {report['cpus']}, load before "
        f"{load_before}, after {report['load_after']}; {report['wall_s']:.0f} s in all.",
        "",
        "",
    ]
    Path(args.results).write_text("\n".join(head) + text + "\n")
    if not args.keep:
        from django.db import connection

        connection.close()
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
