"""Duplicate detection (solutions.selectors.duplicates.similarities): how often a resubmitted
problem is found among an organization's open tickets, how often an unrelated ticket is flagged,
and what the check costs per submission.

    .venv/bin/python bench/duplicates.py [--dataset helpdesk_qa] [--open 500] [--queries 300]

The open tickets are `--open` tickets of the dataset's train split. Queries:
- resubmissions: a ticket of the open set rewritten the way a second report of the same
  problem is (a random 15% of its words dropped, two neighbouring words swapped, one word with
  a typo, the subject kept) — should be found;
- other problems: test-split tickets with no near-copy (cosine < 0.9 on word TF-IDF against
  every open ticket; the datasets' README warns that 23% of helpdesk_qa has one) — should not.
Reported at the product's two thresholds (DUPLICATE_SIMILARITY_MIN 0.5 for "similar open
tickets", DUPLICATE_IDENTICAL_MIN 0.9 for the API's repeat) and as p50/p95 wall time per check.
The thresholds are the settings' defaults, not fitted here.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics.pairwise import linear_kernel  # noqa: E402

from bench._data import load_split  # noqa: E402
from solutions.selectors.duplicates import similarities  # noqa: E402


def resubmission(text: str, rng: random.Random) -> str:
    subject, _, body = text.partition("\n")
    words = body.split()
    if len(words) > 6:
        words = [w for w in words if rng.random() > 0.15]
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        j = rng.randrange(len(words))
        if len(words[j]) > 3:
            k = rng.randrange(1, len(words[j]) - 1)
            words[j] = words[j][:k] + words[j][k + 1 :]
    return f"{subject}\n{' '.join(words)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="helpdesk_qa")
    parser.add_argument("--open", type=int, default=500)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(0)
    split = load_split(args.dataset)
    open_texts = rng.sample(split.train.texts, args.open)
    words = TfidfVectorizer(sublinear_tf=True).fit(open_texts + split.test.texts)
    open_matrix = words.transform(open_texts)
    others = []
    for text in rng.sample(split.test.texts, min(len(split.test.texts), args.queries * 3)):
        if linear_kernel(words.transform([text]), open_matrix).max() < 0.9:
            others.append(text)
        if len(others) == args.queries:
            break
    sources = rng.sample(range(len(open_texts)), args.queries)
    rows = []
    timings = []
    for kind, queries in (
        ("resubmission", [(resubmission(open_texts[i], rng), i) for i in sources]),
        ("other problem", [(t, None) for t in others]),
    ):
        found05 = found09 = hit_source = 0
        for text, source in queries:
            start = time.perf_counter()
            scores = similarities(text, open_texts)
            timings.append(time.perf_counter() - start)
            best = max(range(len(scores)), key=scores.__getitem__)
            found05 += scores[best] >= 0.5
            found09 += scores[best] >= 0.9
            hit_source += source is not None and best == source and scores[best] >= 0.5
        rows.append((kind, len(queries), found05, found09, hit_source))
    print(f"dataset {args.dataset}, {args.open} open tickets, {args.queries} queries per kind")
    print("| queries | n | flagged at 0.5 | flagged at 0.9 | the right ticket first (0.5) |")
    print("|---|---|---|---|---|")
    for kind, n, f5, f9, hit in rows:
        right = f"{hit / n:.3f}" if kind == "resubmission" else "—"
        print(f"| {kind} | {n} | {f5 / n:.3f} | {f9 / n:.3f} | {right} |")
    ms = sorted(t * 1000 for t in timings)
    print(
        f"check per submission: p50 {statistics.median(ms):.1f} ms, "
        f"p95 {ms[int(0.95 * len(ms)) - 1]:.1f} ms over {len(ms)} checks"
    )


if __name__ == "__main__":
    main()
