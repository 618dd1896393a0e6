"""The answer index at 1k, 10k and 100k indexed answers on PostgreSQL + pgvector: HNSW recall@10
against exact search (with and without a second organization in the table), the latency of the
dense query, the index build / insert time, and the product's hybrid search
(`ml.serving.search_answers`) on the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_scale \\
        .venv/bin/python bench/answer_index_scale.py [--sizes 1000,10000,100000] \\
        [--queries 200] [--shared-size 100000] [--maintained-sample 10000] [--skip-product]

The database is dropped and recreated, then migrated (its name must contain "bench"). Needs
pgvector (0.8 for `hnsw.iterative_scan`). DJANGO_SETTINGS_MODULE defaults to
config.settings.local; DEBUG is forced off (Django would keep every bulk INSERT's SQL).

Vectors. Embedding 100k texts on 2 CPU cores takes about an hour, so 3,200 helpdesk_qa tickets
(subject + body; a seeded permutation of ../shared/datasets/helpdesk_qa.csv, read in place) are
embedded once with the frozen base encoder (all-MiniLM-L6-v2, mean pooling, max_length 128 as
the retriever serves it, L2-normalised) and cached in var/bench-cache/. The first 3,000 are the
"real pool", the other 200 are the queries (held out: no indexed row is made from them). Each
indexed answer is a convex mixture of 2 or 3 pool vectors: a primary with weight t ~ U(0.5, 1)
and one or two others sharing 1 - t (Dirichlet(1, 1) when two), plus Gaussian noise of norm
~0.15 (σ = 0.15 / √384 per dimension), re-normalised. Its text, title and answer are the primary
ticket's (so BM25 has real words), its one passage is the answer with the row's own vector. The
"realism" table compares the queries' nearest-neighbour cosines in the synthetic corpus with
those in the real pool.

Scenarios. Organization A grows 1k → 10k → 100k alone in the table (the rows up to the last
size are inserted by bulk_create(batch_size=2000) with the migration's HNSW index maintaining
itself; for the last size the index is dropped, the rows loaded by binary COPY and the index
recreated from its own `indexdef`, timed, with --maintenance-work-mem 1GB: the server's 64MB
holds the graph of ~30k rows, beyond which pgvector builds row by row from disk). Then (unless
--shared-size 0) organization B's 100k rows are inserted, the first --maintained-sample (10k)
by bulk_create with the index maintained (the per-row cost of a live index), the rest by COPY
with it dropped, and for each smaller size one more organization of that size; the index is
rebuilt over all of them (timed). Each organization is then measured again in the shared table,
where pgvector's HNSW scan is filtered by organization after the scan (post-filtering).

Measured per scenario, one query at a time, WARMUP (20) warm-up queries before each timed run:
- recall@10: the product's ORM query, `AnswerEmbedding.objects.filter(organization=org)
  .annotate(distance=CosineDistance("embedding", v)).order_by("distance")[:10]`, against exact
  top 10 by NumPy brute force over the same float32 vectors (the truth); the same query with
  `SET enable_indexscan = off` (PostgreSQL's exact answer) is checked against NumPy on the first
  --exact-check (10) queries. Where PostgreSQL plans an exact scan instead of the HNSW index
  (small organizations), recall is 1 by construction and not re-queried, and a setting whose
  exact plan is one already timed for that scenario reuses its latency (ef_search doesn't
  reach an exact scan). Settings:
  hnsw.ef_search 40 (pgvector's default), 100, the product's ML_ANSWER_HNSW_EF_SEARCH (set on
  each connection by ml.apps), and 40 and the product's with pgvector 0.8's
  hnsw.iterative_scan = relaxed_order.
  The plan column says whether PostgreSQL used the HNSW index.
- dense latency p50 / p95: the same query for N = 40 rows with the columns serving reads, and
  how many rows it returned (a post-filtered HNSW scan can return fewer than asked).
- product: `search_answers(org, [text], query_vectors=v, k=3)` p50 / p95 warm, the first call
  after `serving.reset_caches()` (the per-process BM25 copy built from all rows), and the first
  call after an index write (one row rewritten at a new index version: the delta path).

Results are printed as markdown tables; the last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from accounts.models import Organization

REAL = 3000
MAX_QUERIES = 200
WARMUP = 20
NOISE = 0.15
RECALL_K = 10
CANDIDATES = 40  # rows the latency query fetches, as serving fetches candidates
MAX_LENGTH = 128  # RetrieverConfig.max_length: what the retriever embeds texts with
CACHE = ROOT / "var" / "bench-cache" / "answer_index_scale-helpdesk_qa-frozen.npz"
HNSW_INDEX = "ml_answerembedding_hnsw"
GLOBAL_INDEXDEF = (
    f"CREATE INDEX {HNSW_INDEX} ON public.ml_answerembedding"
    " USING hnsw (embedding vector_cosine_ops)"
)
# The columns `ml.serving` reads for the candidates it rescores (its _SHOWN_FIELDS).
SHOWN_FIELDS = ("source_kind", "source_key", "title", "answer", "passages", "passage_vectors")


# --- vectors -------------------------------------------------------------------------------


def real_vectors(n: int) -> tuple[list[str], list[str], np.ndarray]:
    """`n` helpdesk_qa tickets (a seeded permutation): texts, answers, unit vectors from the
    frozen base encoder, cached under var/bench-cache/ keyed by the texts' digest."""
    from bench._data import DATASETS_DIR
    from ml.engine.evaluation import read_labelled_csv

    data = read_labelled_csv(DATASETS_DIR / "helpdesk_qa.csv", "subject,body", "answer")
    index = np.random.default_rng(0).permutation(len(data.texts))[:n]
    texts = [data.texts[i] for i in index]
    answers = [data.labels[i] for i in index]
    digest = hashlib.sha256(f"{MAX_LENGTH}\0".encode() + "\0".join(texts).encode()).hexdigest()
    if CACHE.is_file():
        cached = np.load(CACHE)
        if str(cached["digest"]) == digest:
            return texts, answers, cached["vectors"].astype(np.float32)
    from ml.engine.encoder import (
        base_model_path,
        l2_normalise,
        load_encoder,
        pooled_embeddings,
        resolve_device,
    )

    tokenizer, model = load_encoder(base_model_path())
    started = time.monotonic()
    vectors = l2_normalise(
        pooled_embeddings(
            tokenizer,
            model,
            texts,
            device=resolve_device("cpu"),
            max_length=MAX_LENGTH,
            batch_size=64,
        )
    )
    print(f"embedded {n} real tickets in {time.monotonic() - started:.0f} s", flush=True)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, vectors=vectors, digest=np.array(digest))
    return texts, answers, vectors


def synthetic(
    count: int, pool: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`count` unit vectors, each a convex mixture of 2-3 pool vectors plus small noise (module
    docstring), and the index of each one's primary (whose text and answer it carries)."""
    primary = rng.integers(0, len(pool), count)
    others = rng.integers(0, len(pool), (count, 2))
    t = rng.uniform(0.5, 1.0, (count, 1))
    split = rng.dirichlet([1.0, 1.0], count)
    single = rng.random(count) < 0.5  # one other vector (2 in all) or two (3 in all)
    split[single] = [1.0, 0.0]
    mixed = t * pool[primary] + (1 - t) * (
        split[:, :1] * pool[others[:, 0]] + split[:, 1:] * pool[others[:, 1]]
    )
    mixed += rng.normal(scale=NOISE / np.sqrt(pool.shape[1]), size=mixed.shape)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return mixed.astype(np.float32), primary


def top_k_ids(queries: np.ndarray, matrix: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Exact cosine top k (unit vectors) per query, as row ids, best first."""
    scores = queries @ matrix.T
    k = min(k, matrix.shape[0])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.asarray(ids[np.take_along_axis(part, order, axis=1)])


def realism(queries: np.ndarray, pool: np.ndarray, corpus: np.ndarray) -> list[dict[str, Any]]:
    """The queries' top-1 / top-10 cosines and a random pair's cosine: real pool vs synthetic."""
    rng = np.random.default_rng(2)
    rows = []
    for name, matrix in (
        (f"real pool ({len(pool):,} tickets)", pool),
        (f"synthetic, {min(len(pool), len(corpus)):,} rows", corpus[: len(pool)]),
        (f"synthetic, {len(corpus):,} rows", corpus),
    ):
        scores = queries @ matrix.T
        top = -np.sort(np.partition(-scores, 9, axis=1)[:, :10], axis=1)
        a, b = rng.integers(0, len(matrix), (2, 20000))
        rows.append(
            {
                "corpus": name,
                "top1": float(top[:, 0].mean()),
                "top10": float(top[:, 9].mean()),
                "pair": float(np.einsum("ij,ij->i", matrix[a], matrix[b]).mean()),
            }
        )
    return rows


# --- the database --------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def sql(statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return list(cursor.fetchall()) if cursor.description else []


def apply_settings(values: dict[str, str]) -> None:
    for name, value in values.items():
        sql("SELECT set_config(%s, %s, false)", [name, value])


def product_settings() -> dict[str, str]:
    """What a product connection runs with (ml.apps sets hnsw.ef_search on connect)."""
    from django.conf import settings

    return {
        "hnsw.ef_search": str(int(getattr(settings, "ML_ANSWER_HNSW_EF_SEARCH", 40))),
        "hnsw.iterative_scan": "off",
        "enable_indexscan": "on",
    }


def search_settings() -> list[tuple[str, dict[str, str]]]:
    product = product_settings()["hnsw.ef_search"]
    efs = list(dict.fromkeys(["40", "100", product]))
    found = [
        (f"ef_search={ef}" + (" (product)" if ef == product else ""), {"hnsw.ef_search": ef})
        for ef in efs
    ]
    found += [
        (
            f"ef_search={ef}, iterative_scan=relaxed_order",
            {"hnsw.ef_search": ef, "hnsw.iterative_scan": "relaxed_order"},
        )
        for ef in dict.fromkeys(["40", product])
    ]
    return [(name, {**product_settings(), **values}) for name, values in found]


def bump_version(organization: Organization) -> int:
    """The organization's answer-index version raised by one (what every index write does)."""
    from django.db.models import F

    from ml.models import AnswerIndexVersion

    AnswerIndexVersion.objects.get_or_create(organization=organization)
    AnswerIndexVersion.objects.filter(organization=organization).update(version=F("version") + 1)
    return int(
        AnswerIndexVersion.objects.filter(organization=organization)
        .values_list("version", flat=True)
        .get()
    )


@dataclass
class Corpus:
    pool: np.ndarray
    texts: list[str]
    answers: list[str]
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(1))


@dataclass
class IndexedOrg:
    organization: Organization
    ids: list[int] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    def matrix(self) -> np.ndarray:
        return np.concatenate(self.vectors)


def create_org(slug: str) -> IndexedOrg:
    from accounts.models import Organization
    from ml.models import AnswerEmbedding, ModelVersion

    org = Organization.objects.create(name=f"Bench {slug}", slug=slug)
    indexed = IndexedOrg(org)
    if not AnswerEmbedding._meta.get_field("model_version").null:  # older schema: required
        indexed.extra["model_version"] = ModelVersion.objects.create(
            organization=org, version=1, status=ModelVersion.Status.RETIRED, artifact_path=""
        )
    return indexed


def insert(indexed: IndexedOrg, count: int, corpus: Corpus, *, copy: bool = False) -> float:
    """`count` more synthetic rows for the organization with an index-version bump (as the
    index services write); seconds taken. The ORM's bulk_create(batch_size=2000) in one
    transaction, or with `copy` a binary COPY on a connection of its own (for bulk loads while
    the index is dropped: bulk_create spends most of its time formatting vectors as text)."""
    from django.db import transaction

    from ml.models import AnswerEmbedding

    vectors, primary = synthetic(count, corpus.pool, corpus.rng)
    first = indexed.size
    started = time.monotonic()
    if copy:
        version = bump_version(indexed.organization)
        copy_rows(indexed, vectors, primary, corpus, version)
        seconds = time.monotonic() - started
        keys = dict(
            AnswerEmbedding.objects.filter(
                organization=indexed.organization, written_version=version
            ).values_list("source_key", "pk")
        )
        indexed.ids.extend(int(keys[f"import:{first + i}"]) for i in range(count))
    else:
        with transaction.atomic():
            version = bump_version(indexed.organization)
            rows = [
                AnswerEmbedding(
                    organization=indexed.organization,
                    source_kind="import",
                    source_key=f"import:{first + i}",
                    title=corpus.texts[s][:300],
                    text=corpus.texts[s],
                    answer=corpus.answers[s],
                    embedding=v,
                    passages=[corpus.answers[s]],
                    passage_vectors=v.tobytes(),
                    written_version=version,
                    **indexed.extra,
                )
                for i, (v, s) in enumerate(zip(vectors, primary, strict=True))
            ]
            AnswerEmbedding.objects.bulk_create(rows, batch_size=2000)
        seconds = time.monotonic() - started
        indexed.ids.extend(int(r.pk) for r in rows)
    indexed.vectors.append(vectors)
    return seconds


COPY_COLUMNS = (
    "organization_id",
    "model_version_id",
    "source_kind",
    "source_key",
    "title",
    "text",
    "answer",
    "embedding",
    "passages",
    "passage_vectors",
    "written_version",
)


def copy_rows(
    indexed: IndexedOrg, vectors: np.ndarray, primary: np.ndarray, corpus: Corpus, version: int
) -> None:
    """The same rows `insert` would bulk_create, by binary COPY (pgvector's psycopg dumper)."""
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
    model_version = indexed.extra.get("model_version")
    first = indexed.size
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as conn:
        register_vector(conn)
        columns = ", ".join(COPY_COLUMNS)
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY ml_answerembedding ({columns}) FROM STDIN (FORMAT BINARY)") as out,
        ):
            out.set_types([types[c] for c in COPY_COLUMNS])
            for i, (v, s) in enumerate(zip(vectors, primary, strict=True)):
                out.write_row(
                    [
                        indexed.organization.pk,
                        model_version.pk if model_version is not None else None,
                        "import",
                        f"import:{first + i}",
                        corpus.texts[s][:300],
                        corpus.texts[s],
                        corpus.answers[s],
                        v,
                        Jsonb([corpus.answers[s]]),
                        v.tobytes(),
                        version,
                    ]
                )
        conn.commit()


_saved_indexdef: list[str] = []


def drop_hnsw() -> None:
    """Drops the migration's HNSW index, keeping its definition for `rebuild_hnsw`."""
    found = sql("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [HNSW_INDEX])
    # Since ml migration 0007 the product keeps per-organization partial indexes instead
    # (ml.answer_indexes); this measures the global one as migration 0002 defined it.
    _saved_indexdef[:] = [str(found[0][0]) if found else GLOBAL_INDEXDEF]
    sql(f"DROP INDEX IF EXISTS {HNSW_INDEX}")


def rebuild_hnsw(maintenance_work_mem: str) -> float:
    """Recreates the index `drop_hnsw` dropped, from its own definition, with this session's
    maintenance_work_mem set to `maintenance_work_mem` ("" keeps the server's); seconds."""
    if maintenance_work_mem:
        apply_settings({"maintenance_work_mem": maintenance_work_mem})
    started = time.monotonic()
    sql(_saved_indexdef[0])
    return time.monotonic() - started


# --- measuring -----------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return float(np.median(ordered)), ordered[int(0.95 * (len(ordered) - 1))]


def dense_query(organization: Organization, vector: np.ndarray) -> Any:
    from pgvector.django import CosineDistance

    from ml.models import AnswerEmbedding

    return (
        AnswerEmbedding.objects.filter(organization=organization)
        .annotate(distance=CosineDistance("embedding", np.asarray(vector, dtype=np.float32)))
        .order_by("distance")
    )


def plan_of(organization: Organization, vector: np.ndarray) -> str:
    plan = str(dense_query(organization, vector).only(*SHOWN_FIELDS)[:CANDIDATES].explain())
    if HNSW_INDEX in plan:
        return "HNSW"
    if "Seq Scan" in plan:
        return "exact: seq scan + sort"
    return "exact: org index + sort"  # an index or bitmap scan on organization_id


def timed(calls: Sequence[Callable[[], Any]], warmup: int) -> tuple[list[float], list[Any]]:
    """Milliseconds per call (after `warmup` untimed calls) and what each call returned."""
    for call in calls[:warmup]:
        call()
    out, returned = [], []
    for call in calls:
        t0 = time.perf_counter()
        returned.append(call())
        out.append(1000 * (time.perf_counter() - t0))
    return out, returned


def measure_dense(
    label: str,
    indexed: IndexedOrg,
    queries: np.ndarray,
    table_rows: int,
    exact_check: int,
) -> dict[str, Any]:
    org = indexed.organization
    truth = top_k_ids(queries, indexed.matrix(), np.asarray(indexed.ids), RECALL_K)
    apply_settings({**product_settings(), "enable_indexscan": "off"})
    agree = [
        len(set(truth[q]) & set(dense_query(org, queries[q]).values_list("pk", flat=True)[:10]))
        / RECALL_K
        for q in range(min(exact_check, len(queries)))
    ]
    result: dict[str, Any] = {
        "scenario": label,
        "org_rows": indexed.size,
        "table_rows": table_rows,
        "exact_plan": plan_of(org, queries[0]),
        "pg_exact_vs_numpy": float(np.mean(agree)) if agree else None,
        "settings": {},
    }
    for name, values in search_settings():
        try:
            apply_settings(values)
        except Exception as exc:  # an older pgvector has no hnsw.iterative_scan
            result["settings"][name] = {"error": str(exc).splitlines()[0]}
            continue
        plan = plan_of(org, queries[0])  # the plan does not depend on the vector's value
        same = next((r for r in result["settings"].values() if r.get("plan") == plan), None)
        if plan != "HNSW" and same is not None:
            # The same exact scan as a setting already timed (ef_search doesn't reach it):
            # its numbers, not another ~200 full scans on a shared CPU.
            result["settings"][name] = {**same, "timed_as": "the same exact plan above"}
            continue
        if plan == "HNSW":
            hits = [
                len(set(truth[q]) & set(dense_query(org, v).values_list("pk", flat=True)[:10]))
                for q, v in enumerate(queries)
            ]
        else:  # PostgreSQL chose an exact scan: recall 1 (checked above against NumPy)
            hits = [RECALL_K] * len(queries)
        calls = [
            (lambda v=v: list(dense_query(org, v).only(*SHOWN_FIELDS)[:CANDIDATES]))
            for v in queries
        ]
        millis, rows = timed(calls, WARMUP)
        p50, p95 = percentiles(millis)
        result["settings"][name] = {
            "plan": plan,
            "recall_at_10": sum(hits) / (RECALL_K * len(queries)),
            "min_recall": min(hits) / RECALL_K,
            "rows_returned": float(np.mean([len(r) for r in rows])),
            "min_rows_returned": min(len(r) for r in rows),
            "p50_ms": p50,
            "p95_ms": p95,
        }
        print(f"  {label} | {name}: {result['settings'][name]}", flush=True)
    apply_settings(product_settings())
    return result


def product_search_available() -> bool:
    """Whether ml.serving has the hybrid `search_answers(organization, texts, *,
    query_vectors=None, k=3)` this benchmark times."""
    from ml import serving

    search = getattr(serving, "search_answers", None)
    if search is None:
        return False
    params = list(inspect.signature(search).parameters)
    return len(params) >= 2 and params[1] == "texts" and "query_vectors" in params


def time_product_search(
    indexed: IndexedOrg, texts: list[str], vectors: np.ndarray
) -> dict[str, Any] | None:
    """`ml.serving.search_answers` one ticket at a time with its query vector given: the first
    call after reset_caches() (BM25 copy built from every row), warm p50 / p95, and the first
    call after an index write (one row rewritten at a new index version). None when the
    product has no such function (see product_search_available)."""
    if not product_search_available():
        return None
    from ml import serving
    from ml.models import AnswerEmbedding

    org = indexed.organization
    apply_settings(product_settings())
    serving.reset_caches()
    t0 = time.perf_counter()
    first = serving.search_answers(org, [texts[0]], query_vectors=vectors[:1], k=3)
    cold_s = time.perf_counter() - t0
    calls = [
        (lambda t=t, v=v: serving.search_answers(org, [t], query_vectors=v[None, :], k=3))
        for t, v in zip(texts, vectors, strict=True)
    ]
    p50, p95 = percentiles(timed(calls, WARMUP)[0])
    version = bump_version(org)
    row = AnswerEmbedding.objects.get(pk=indexed.ids[0])
    AnswerEmbedding.objects.filter(pk=row.pk).update(
        text=f"{row.text} (edited)", written_version=version
    )
    t0 = time.perf_counter()
    serving.search_answers(org, [texts[1]], query_vectors=vectors[1:2], k=3)
    after_write_ms = 1000 * (time.perf_counter() - t0)
    return {
        "cold_first_s": cold_s,
        "p50_ms": p50,
        "p95_ms": p95,
        "after_write_ms": after_write_ms,
        "suggestions": len(first[0]) if first else 0,
    }


# --- output --------------------------------------------------------------------------------


def tables(report: dict[str, Any]) -> str:
    out = ["", "### Corpus realism (the 200 held-out real queries)", ""]
    out += ["| corpus | mean top-1 cosine | mean 10th cosine | mean random-pair cosine |"]
    out += ["|---|---|---|---|"]
    for r in report["realism"]:
        out.append(f"| {r['corpus']} | {r['top1']:.3f} | {r['top10']:.3f} | {r['pair']:.3f} |")
    names = [n for n, _ in search_settings()]
    out += [
        "",
        "### recall@10 against exact (NumPy): mean (worst query), or the exact plan chosen",
        "",
    ]
    out.append("| scenario | " + " | ".join(names) + " | PG exact vs NumPy |")
    out.append("|---|" + "---|" * (len(names) + 1))
    for s in report["dense"]:
        cells = []
        for n in names:
            r = s["settings"].get(n, {})
            if "recall_at_10" not in r:
                cells.append(r.get("error", "-"))
            elif r["plan"] == "HNSW":
                cells.append(f"{r['recall_at_10']:.3f} (min {r['min_recall']:.1f})")
            else:
                cells.append(f"1 ({r['plan']})")
        agree = s["pg_exact_vs_numpy"]
        out.append(
            f"| {s['scenario']} | " + " | ".join(cells) + f" | {agree:.3f} ({s['exact_plan']}) |"
        )
    out += [
        "",
        f"### Dense query latency, N = {CANDIDATES}: p50 / p95 ms (mean rows returned, min)",
        "",
    ]
    out.append("| scenario | " + " | ".join(names) + " |")
    out.append("|---|" + "---|" * len(names))
    for s in report["dense"]:
        cells = [
            f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} ({r['rows_returned']:.0f} rows, "
            f"min {r['min_rows_returned']})"
            if "p50_ms" in r
            else "-"
            for r in (s["settings"].get(n, {}) for n in names)
        ]
        out.append(f"| {s['scenario']} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Writes",
        "",
        "| what | rows | table rows after | seconds |",
        "|---|---|---|---|",
    ]
    for w in report["writes"]:
        out.append(f"| {w['what']} | {w['rows']:,} | {w['table_rows']:,} | {w['seconds']:.1f} |")
    out += ["", "### Product hybrid search (`ml.serving.search_answers`, k = 3)", ""]
    if not report["product"]:
        out.append("not run: ml.serving has no search_answers(organization, texts, ...)")
    else:
        out.append(
            "| scenario | first call after reset_caches() | warm p50 / p95 | "
            "first call after a write |"
        )
        out.append("|---|---|---|---|")
        for label, p in report["product"]:
            out.append(
                f"| {label} | {p['cold_first_s']:.2f} s | {p['p50_ms']:.1f} / "
                f"{p['p95_ms']:.1f} ms | {p['after_write_ms']:.1f} ms |"
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=MAX_QUERIES)
    parser.add_argument(
        "--shared-size",
        type=int,
        default=-1,
        help="rows of the second organization (default: the largest size; 0: skip)",
    )
    parser.add_argument("--exact-check", type=int, default=10, help="queries PG-exact checks")
    parser.add_argument(
        "--maintained-sample",
        type=int,
        default=10000,
        help="rows of the second organization inserted with the HNSW index maintained",
    )
    parser.add_argument(
        "--maintenance-work-mem",
        default="1GB",
        help="the index builds' maintenance_work_mem ('' keeps the server's): pgvector builds "
        "in memory only while the graph fits (~2 kB per 384-d row)",
    )
    parser.add_argument("--skip-product", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    shared = sizes[-1] if args.shared_size < 0 else args.shared_size
    queries_n = min(args.queries, MAX_QUERIES)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database with pgvector (it is recreated)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "false"  # DEBUG keeps every query's SQL: GBs of bulk INSERTs
    load_before = os.getloadavg()
    started = time.monotonic()
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    texts, answers, vectors = real_vectors(REAL + MAX_QUERIES)
    corpus = Corpus(vectors[:REAL], texts[:REAL], answers[:REAL])
    queries = vectors[REAL : REAL + queries_n]
    query_texts = texts[REAL : REAL + queries_n]
    run_product = not args.skip_product and product_search_available()

    server = {
        name: sql(f"SHOW {name}")[0][0]
        for name in ("server_version", "shared_buffers", "maintenance_work_mem", "work_mem")
    }
    server["max_parallel_maintenance_workers"] = sql("SHOW max_parallel_maintenance_workers")[0][0]
    server["pgvector"] = sql("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0][0]
    print(f"cpus {os.cpu_count()}, load before {load_before}, server {server}", flush=True)

    notices: list[str] = []
    connection.ensure_connection()
    raw: Any = connection.connection
    raw.add_notice_handler(lambda diag: notices.append(str(diag.message_primary)))

    report: dict[str, Any] = {"server": server, "dense": [], "writes": [], "product": []}
    table_rows = 0
    a = create_org("bench-a")
    for size in sizes:
        build = size == sizes[-1] and size > a.size
        if build:
            drop_hnsw()
        added = size - a.size
        seconds = insert(a, added, corpus, copy=build)
        table_rows = a.size
        report["writes"].append(
            {
                "what": "org A rows, "
                + ("no index (COPY)" if build else "HNSW index maintained (bulk_create)"),
                "rows": added,
                "table_rows": table_rows,
                "seconds": seconds,
            }
        )
        if build:
            notices.clear()
            build_s = rebuild_hnsw(args.maintenance_work_mem)
            report["writes"].append(
                {
                    "what": "CREATE INDEX (the migration's HNSW, m=16, ef_construction=64)"
                    + (f"; notice: {notices[0]}" if notices else ""),
                    "rows": table_rows,
                    "table_rows": table_rows,
                    "seconds": build_s,
                }
            )
        sql("ANALYZE ml_answerembedding")
        print(f"org A at {size:,}: {report['writes'][-1]}", flush=True)
        label = f"{size:,} (one org)"
        report["dense"].append(measure_dense(label, a, queries, table_rows, args.exact_check))
        if run_product:
            product = time_product_search(a, query_texts, queries)
            if product is not None:
                report["product"].append((label, product))
                print(f"  product {label}: {product}", flush=True)
    report["realism"] = realism(queries, corpus.pool, a.matrix())

    if shared > 0:
        # Index maintenance per row is measured on the first rows of organization B (into a
        # table that already holds A); the rest go in with the index dropped and rebuilt once,
        # which costs a fraction of maintaining it row by row.
        b = create_org("bench-b")
        sample = min(args.maintained_sample, shared)
        writes: list[tuple[IndexedOrg, int, str]] = [(b, sample, "org B rows")]
        writes += [(b, shared - sample, "org B rows")] if shared > sample else []
        small = [create_org(f"bench-{size}") for size in sizes[:-1]]
        writes += [
            (org, size, f"org of {size:,} rows")
            for org, size in zip(small, sizes[:-1], strict=True)
        ]
        for i, (org, count, what) in enumerate(writes):
            if i == 1:
                drop_hnsw()
            seconds = insert(org, count, corpus, copy=i > 0)
            table_rows += count
            maintained = "HNSW index maintained (bulk_create)" if i == 0 else "no index (COPY)"
            report["writes"].append(
                {
                    "what": f"{what}, {maintained}",
                    "rows": count,
                    "table_rows": table_rows,
                    "seconds": seconds,
                }
            )
            print(f"  {report['writes'][-1]}", flush=True)
        if len(writes) > 1:
            notices.clear()
            build_s = rebuild_hnsw(args.maintenance_work_mem)
            report["writes"].append(
                {
                    "what": "CREATE INDEX over every organization's rows"
                    + (f"; notice: {notices[0]}" if notices else ""),
                    "rows": table_rows,
                    "table_rows": table_rows,
                    "seconds": build_s,
                }
            )
            print(f"  {report['writes'][-1]}", flush=True)
        sql("ANALYZE ml_answerembedding")
        for org in [*small, a]:
            label = f"{org.size:,} (table of {table_rows:,}, {shared:,} of another org)"
            report["dense"].append(measure_dense(label, org, queries, table_rows, args.exact_check))
            if run_product:
                product = time_product_search(org, query_texts, queries)
                if product is not None:
                    report["product"].append((label, product))
                    print(f"  product {label}: {product}", flush=True)

    report["index_size"] = sql("SELECT pg_size_pretty(pg_relation_size(%s))", [HNSW_INDEX])[0][0]
    report["cpus"] = os.cpu_count()
    report["load_before"] = load_before
    report["load_after"] = os.getloadavg()
    report["wall_s"] = time.monotonic() - started
    report["product_measured"] = run_product
    print(tables(report))
    print(
        f"\nHNSW index size {report['index_size']}; cpus {report['cpus']}; load before "
        f"{load_before}, after {report['load_after']}; {report['wall_s']:.0f} s in all"
    )
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
