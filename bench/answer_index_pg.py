"""The served answer index at scale on PostgreSQL: pgvector HNSW recall@10 against exact search,
and the latency of the product's hybrid search (`ml.serving.search_answers`) next to the
dense-only query the product served before (pgvector top-k alone).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_pg \\
        .venv/bin/python bench/answer_index_pg.py [--sizes 1000,10000,100000] [--queries 200]

The database is dropped and recreated (it must not be one you keep). Needs pgvector.

Vectors: 100k real embeddings would take an hour on 2 CPU cores, so 3,000 helpdesk_qa tickets
are embedded with the frozen base encoder (cached under var/bench-cache/) and the corpus is made
from them: each indexed answer is a random convex mixture of two real ticket vectors plus
Gaussian noise (σ = 0.15 per vector, i.e. ~0.0077 per dimension), re-normalised; its text is
the first source ticket's text and its answer that ticket's answer. Queries are 200 other real
tickets, embedded the same way, with their own text (so BM25 has real words to match).

Measured per size, one query at a time after 20 warm-up queries:
- recall@10: HNSW's top 10 (the product's ORM query) against
  exact cosine top 10 (NumPy over the same vectors), with a second organization's rows of
  the same number in the table (the organization filter is applied after the HNSW scan);
- dense-only p50/p95: the pre-hybrid product query, pgvector top 12 (k = 3 × 4 duplicates);
- hybrid p50/p95: `search_answers` with the query vector given (triage's vector is reused
  when both serve the base encoder), warm per-process BM25 copy;
- the first search in a new process (its BM25 copy is built from all the rows), and the first
  search after an index write (the copy is brought up to date from the rows written since).
- `hnsw.ef_search` is what the product sets on each connection (ML_ANSWER_HNSW_EF_SEARCH).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

REAL = 3000
MAX_QUERIES = 200
NOISE = 0.15
CACHE = ROOT / "var" / "bench-cache" / "helpdesk_qa-frozen-3200.npz"


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def _real_vectors(n: int) -> tuple[list[str], list[str], np.ndarray]:
    from bench._data import DATASETS_DIR
    from ml.engine.evaluation import read_labelled_csv

    data = read_labelled_csv(DATASETS_DIR / "helpdesk_qa.csv", "subject,body", "answer")
    rng = np.random.default_rng(0)
    index = rng.permutation(len(data.texts))[:n]
    texts = [data.texts[i] for i in index]
    answers = [data.labels[i] for i in index]
    if CACHE.is_file():
        vectors = np.load(CACHE)["vectors"]
        if len(vectors) == n:
            return texts, answers, vectors
    from ml.engine.encoder import (
        base_model_path,
        l2_normalise,
        load_encoder,
        pooled_embeddings,
        resolve_device,
    )

    tokenizer, model = load_encoder(base_model_path())
    device = resolve_device("cpu")
    started = time.monotonic()
    vectors = l2_normalise(
        pooled_embeddings(tokenizer, model, texts, device=device, max_length=128, batch_size=64)
    ).astype(np.float32)
    print(f"embedded {n} real tickets in {time.monotonic() - started:.0f} s", flush=True)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, vectors=vectors)
    return texts, answers, vectors


def _synthetic(
    count: int, vectors: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    a = rng.integers(0, len(vectors), count)
    b = rng.integers(0, len(vectors), count)
    t = rng.uniform(0.5, 1.0, (count, 1)).astype(np.float32)
    mixed = t * vectors[a] + (1 - t) * vectors[b]
    mixed += rng.normal(scale=NOISE / np.sqrt(vectors.shape[1]), size=mixed.shape)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return mixed.astype(np.float32), a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database with pgvector (it is recreated)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import Organization
    from ml import services, serving
    from ml.models import AnswerEmbedding

    texts, answers, real = _real_vectors(REAL + MAX_QUERIES)
    corpus_vectors, corpus_texts, corpus_answers = real[:REAL], texts[:REAL], answers[:REAL]
    query_vectors = real[REAL : REAL + args.queries]
    query_texts = texts[REAL : REAL + args.queries]
    orgs = [Organization.objects.create(name=f"Bench {i}", slug=f"bench-{i}") for i in range(2)]
    rng = np.random.default_rng(1)
    stored: dict[int, list[np.ndarray]] = {o.pk: [] for o in orgs}
    print(f"load before: {os.getloadavg()}", flush=True)
    print(
        "| indexed answers | recall@10 (HNSW vs exact) | dense-only p50 / p95 | "
        "hybrid p50 / p95 | hybrid − dense p50 | first search in a new process | "
        "first search after a write | insert |"
    )
    print("|---|---|---|---|---|---|---|---|")
    have = 0
    for size in sizes:
        started = time.monotonic()
        for org in orgs:  # the same number of rows for a second organization in the table
            vectors, source = _synthetic(size - have, corpus_vectors, rng)
            rows = [
                AnswerEmbedding(
                    organization=org,
                    source_kind="import",
                    source_key=f"import:{have + i}",
                    title=corpus_texts[s][:300],
                    text=corpus_texts[s],
                    answer=corpus_answers[s],
                    embedding=v,
                    passages=[corpus_answers[s]],
                    passage_vectors=v.tobytes(),
                )
                for i, (v, s) in enumerate(zip(vectors, source, strict=True))
            ]
            AnswerEmbedding.objects.bulk_create(rows, batch_size=2000)
            stored[org.pk].append(vectors)
            services._answer_index_bump(org)
        insert_s = time.monotonic() - started
        have = size
        org = orgs[0]
        matrix = np.concatenate(stored[org.pk])
        ids = list(
            AnswerEmbedding.objects.filter(organization=org)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ml_answerembedding")

        hits = 0
        dense_ms: list[float] = []
        for q, vector in enumerate(query_vectors):
            exact = {ids[i] for i in np.argsort(-(matrix @ vector))[:10]}
            found = serving._pgvector_candidates(org, vector, 10)
            hits += len(exact & set(found))
            if q >= 20 or len(query_vectors) <= 20:
                t0 = time.perf_counter()
                serving._pgvector_candidates(org, vector, 12)
                dense_ms.append(1000 * (time.perf_counter() - t0))
        recall = hits / (10 * len(query_vectors))

        serving.reset_caches()
        t0 = time.perf_counter()
        serving.search_answers(org, [query_texts[0]], query_vectors=query_vectors[:1], k=3)
        first_s = time.perf_counter() - t0
        hybrid_ms: list[float] = []
        for q, (text, vector) in enumerate(zip(query_texts, query_vectors, strict=True)):
            t0 = time.perf_counter()
            serving.search_answers(org, [text], query_vectors=vector[None, :], k=3)
            if q >= 20:
                hybrid_ms.append(1000 * (time.perf_counter() - t0))
        # An index write (an edited answer, as embedding_index_upsert stamps it): the next
        # search brings the BM25 copy up to date from the rows written since it was built.
        written = services._answer_index_bump(org)
        AnswerEmbedding.objects.filter(pk=ids[0]).update(
            text="edited: the office printer prints blank pages", written_version=written
        )
        t0 = time.perf_counter()
        serving.search_answers(org, [query_texts[1]], query_vectors=query_vectors[1:2], k=3)
        after_write_ms = 1000 * (time.perf_counter() - t0)
        d50, d95 = _percentiles(dense_ms)
        h50, h95 = _percentiles(hybrid_ms)
        print(
            f"| {size:,} | {recall:.3f} | {d50:.1f} / {d95:.1f} ms | {h50:.1f} / {h95:.1f} ms | "
            f"+{h50 - d50:.1f} ms | {first_s:.1f} s | {after_write_ms:.0f} ms | "
            f"{insert_s:.0f} s (both orgs) |",
            flush=True,
        )
    print(f"load after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
