"""Label efficiency: labels chosen by the Review queue's rule vs labels chosen at random.

    .venv/bin/python bench/label_efficiency.py [--only helpdesk_qa] [--seeds 3] \
        [--learners lexical,embedding] [--plot docs/label_efficiency.png] [--json-out FILE]

A pool-based simulation on the shared datasets' stratified 80/20 split (bench/_data.py): the
training split is the unlabelled pool, whose true labels are revealed only for what a strategy
chooses. Each run starts from the same random seed set (2 % of the pool), then adds labels in
rounds of 2 % until 30 %:

- **review**: `ml.engine.active.select_for_review` — the function the Review queue calls — on
  the current model's probabilities and the frozen MiniLM embeddings of the pool;
- **random**: a uniform draw from what is still unlabelled.

After each round the learner is retrained from scratch on the labels so far and scored
(macro-F1) on the untouched test split; "full" is the same learner on 100 % of the pool. Two
learners, both parts of the product's model and fast enough to refit dozens of times on two
cores:

- **lexical**: the engine's `LexicalClassifier` (TF-IDF word 1–2-grams, class-balanced
  LinearSVC; character n-grams off, which would make one fit 15 s on helpdesk_qa);
  probabilities are the softmax of its margins;
- **embedding**: logistic regression (class-balanced) on frozen all-MiniLM-L6-v2 embeddings,
  the product's cold-start model.

Every score is also taken on the test tickets without a near-copy (cosine >= 0.9) in the pool,
since the full pool always labels a ticket's near-copy and a 30 % sample mostly does not.
Embeddings are computed once per dataset and cached under var/bench/label_efficiency/.
Prints a table per dataset and learner, then one JSON line with every number
(docs/benchmarks.md records a run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import DATASETS_DIR, Split, load_split  # noqa: E402
from ml.engine.active import (  # noqa: E402
    DEFAULT_DIVERSITY,
    DEFAULT_DUPLICATE_SIMILARITY,
    DEFAULT_POOL_FACTOR,
    select_for_review,
)
from ml.engine.metrics import macro_f1  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench" / "label_efficiency"
TARGET_RATIO = 0.95
NEAR_DUPLICATE = 0.9


@dataclass
class Config:
    seeds: int = field(default=3, metadata={"help": "seed sets (and random draws) per dataset"})
    seed_fraction: float = field(default=0.02, metadata={"help": "labelled at the start"})
    round_fraction: float = field(default=0.02, metadata={"help": "labels added per round"})
    budget_fraction: float = field(default=0.30, metadata={"help": "where the rounds stop"})
    diversity: float = DEFAULT_DIVERSITY
    pool_factor: float = DEFAULT_POOL_FACTOR
    duplicate_similarity: float = DEFAULT_DUPLICATE_SIMILARITY
    threads: int = 2

    def fractions(self) -> list[float]:
        steps = round((self.budget_fraction - self.seed_fraction) / self.round_fraction)
        return [round(self.seed_fraction + i * self.round_fraction, 4) for i in range(steps + 1)]


# ---------------------------------------------------------------- data and embeddings


def embed_cached(texts: list[str], threads: int) -> np.ndarray:
    """Frozen base MiniLM, mean-pooled and L2-normalised, as the cold-start model sees text."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"minilm-{digest}.npy"
    if path.exists():
        return np.load(path)
    import torch

    from ml.engine.encoder import base_model_path, l2_normalise, load_encoder, pooled_embeddings

    torch.set_num_threads(threads)
    tokenizer, encoder = load_encoder(base_model_path())
    vectors = l2_normalise(
        pooled_embeddings(
            tokenizer,
            encoder,
            texts,
            device=torch.device("cpu"),
            max_length=128,
            batch_size=64,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


@dataclass
class Data:
    name: str
    texts: list[str]  # the pool
    y: np.ndarray
    embeddings: np.ndarray
    test_texts: list[str]
    test_labels: list[str]
    test_embeddings: np.ndarray
    labels: list[str]
    # Test tickets with a pool ticket at cosine >= 0.9: the full pool labels their near-copy,
    # a 30 % sample mostly does not, so they are scored apart as well (bench/triage_quality.py).
    near_copy: np.ndarray


def prepare(split: Split, threads: int) -> Data:
    labels = sorted(set(split.train.labels))
    index = {label: i for i, label in enumerate(labels)}
    vectors = embed_cached(split.train.texts + split.test.texts, threads)
    n = len(split.train.texts)
    closest = np.max(vectors[n:] @ vectors[:n].T, axis=1)
    return Data(
        name=split.name,
        texts=split.train.texts,
        y=np.asarray([index[label] for label in split.train.labels]),
        embeddings=vectors[:n],
        test_texts=split.test.texts,
        test_labels=split.test.labels,
        test_embeddings=vectors[n:],
        labels=labels,
        near_copy=closest >= NEAR_DUPLICATE,
    )


# ---------------------------------------------------------------- learners


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Learner:
    """fit on labelled pool indices; probabilities over all classes for the pool and test."""

    name = ""

    def fit_predict(self, data: Data, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class LexicalLearner(Learner):
    name = "lexical"

    def fit_predict(self, data: Data, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from ml.engine.lexical import LexicalClassifier

        model = LexicalClassifier(len(data.labels), char_ngrams=False)
        model.fit([data.texts[i] for i in chosen], data.y[chosen])
        return _softmax(model.logits(data.texts)), _softmax(model.logits(data.test_texts))


class EmbeddingLearner(Learner):
    name = "embedding"

    def fit_predict(self, data: Data, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        n_classes = len(data.labels)
        present = np.unique(data.y[chosen])
        pool = np.zeros((len(data.texts), n_classes))
        test = np.zeros((len(data.test_texts), n_classes))
        if present.size == 1:
            pool[:, present[0]] = test[:, present[0]] = 1.0
            return pool, test
        model = LogisticRegression(C=10.0, max_iter=300, class_weight="balanced")
        model.fit(data.embeddings[chosen], data.y[chosen])
        # Classes the labels so far lack get probability 0, in the full class order.
        pool[:, model.classes_] = model.predict_proba(data.embeddings)
        test[:, model.classes_] = model.predict_proba(data.test_embeddings)
        return pool, test


LEARNERS: dict[str, type[Learner]] = {"lexical": LexicalLearner, "embedding": EmbeddingLearner}


# ---------------------------------------------------------------- the simulation


def score(data: Data, test_probabilities: np.ndarray) -> tuple[float, float]:
    """Test macro-F1 on every test ticket, and on those without a near-copy in the pool."""
    predicted = [data.labels[i] for i in test_probabilities.argmax(axis=1)]
    rest = np.flatnonzero(~data.near_copy)
    return macro_f1(data.test_labels, predicted), macro_f1(
        [data.test_labels[i] for i in rest], [predicted[i] for i in rest]
    )


def simulate(
    data: Data, learner: Learner, strategy: str, seed: int, config: Config
) -> list[tuple[float, float]]:
    """Macro-F1 (all test tickets, those without a near-copy) at each of config.fractions()
    of the pool labelled."""
    n = len(data.texts)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    targets = [max(1, round(f * n)) for f in config.fractions()]
    labelled = np.zeros(n, dtype=bool)
    labelled[order[: targets[0]]] = True
    scores: list[tuple[float, float]] = []
    for i in range(len(targets)):
        chosen = np.flatnonzero(labelled)
        pool_probabilities, test_probabilities = learner.fit_predict(data, chosen)
        scores.append(score(data, test_probabilities))
        if i + 1 == len(targets):
            break
        batch = targets[i + 1] - int(labelled.sum())
        if strategy == "review":
            picked = select_for_review(
                pool_probabilities,
                data.embeddings,
                batch,
                exclude=chosen.tolist(),
                diversity=config.diversity,
                pool_factor=config.pool_factor,
                duplicate_similarity=config.duplicate_similarity,
            )
        else:
            picked = rng.permutation(np.flatnonzero(~labelled))[:batch].tolist()
        labelled[picked] = True
    return scores


def run(data: Data, learner: Learner, config: Config) -> dict[str, Any]:
    started = time.monotonic()
    full, full_rest = score(data, learner.fit_predict(data, np.arange(len(data.texts)))[1])
    curves: dict[str, list[list[tuple[float, float]]]] = {"review": [], "random": []}
    for seed in range(config.seeds):
        for strategy in curves:
            curves[strategy].append(simulate(data, learner, strategy, seed, config))
            print(
                f"  {data.name} / {learner.name} / {strategy} seed {seed}: "
                + " ".join(f"{s:.3f}" for s, _ in curves[strategy][-1]),
                flush=True,
            )
    result: dict[str, Any] = {
        "dataset": data.name,
        "learner": learner.name,
        "pool_rows": len(data.texts),
        "test_rows": len(data.test_texts),
        "test_rows_without_near_copy": int((~data.near_copy).sum()),
        "fractions": config.fractions(),
        "full_macro_f1": round(full, 4),
        "full_macro_f1_without_near_copy": round(full_rest, 4),
        "seconds": round(time.monotonic() - started, 1),
    }
    for strategy, runs in curves.items():
        values = np.asarray(runs)  # (seeds, fractions, 2)
        mean, std = values.mean(axis=0), values.std(axis=0)
        result[strategy] = {
            "mean": [round(float(v), 4) for v in mean[:, 0]],
            "std": [round(float(v), 4) for v in std[:, 0]],
            "ratio_at_budget": round(float(mean[-1, 0]) / full, 4) if full else None,
            "mean_without_near_copy": [round(float(v), 4) for v in mean[:, 1]],
            "ratio_at_budget_without_near_copy": (
                round(float(mean[-1, 1]) / full_rest, 4) if full_rest else None
            ),
        }
    return result


# ---------------------------------------------------------------- output


def print_table(result: dict[str, Any]) -> None:
    full = result["full_macro_f1"]
    print(
        f"\n{result['dataset']} / {result['learner']}: full data ({result['pool_rows']} labels) "
        f"macro-F1 {full:.3f}; {result['seconds']:.0f} s"
    )
    print("| labelled | random macro-F1 | review macro-F1 |")
    print("|---|---|---|")
    for i, f in enumerate(result["fractions"]):
        r, q = result["random"], result["review"]
        print(
            f"| {f:.0%} | {r['mean'][i]:.3f} ± {r['std'][i]:.3f} | "
            f"{q['mean'][i]:.3f} ± {q['std'][i]:.3f} |"
        )
    print(
        f"| 100% | {full:.3f} | {full:.3f} |\n"
        f"at {result['fractions'][-1]:.0%}: review {result['review']['ratio_at_budget']:.1%} of "
        f"full, random {result['random']['ratio_at_budget']:.1%} "
        f"(target {TARGET_RATIO:.0%}); on the {result['test_rows_without_near_copy']} test "
        "tickets without a near-copy in the pool "
        f"(full {result['full_macro_f1_without_near_copy']:.3f}): "
        f"review {result['review']['ratio_at_budget_without_near_copy']:.1%}, "
        f"random {result['random']['ratio_at_budget_without_near_copy']:.1%}"
    )


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: a file is all we want
    import matplotlib.pyplot as plt

    datasets = sorted({r["dataset"] for r in results}, key=lambda d: d != "helpdesk_qa")
    learners = sorted({r["learner"] for r in results}, key=lambda x: x != "lexical")
    fig, axes = plt.subplots(
        len(learners), len(datasets), figsize=(5.2 * len(datasets), 3.8 * len(learners))
    )
    axes = np.atleast_2d(axes).reshape(len(learners), len(datasets))
    for r in results:
        ax = axes[learners.index(r["learner"]), datasets.index(r["dataset"])]
        x = np.asarray(r["fractions"]) * 100
        for strategy, colour, label in (
            ("review", "#2f5bd3", "Review queue (uncertainty + diversity)"),
            ("random", "#d0792f", "random"),
        ):
            mean, std = np.asarray(r[strategy]["mean"]), np.asarray(r[strategy]["std"])
            ax.plot(x, mean, marker="o", markersize=3, color=colour, label=label)
            ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
        full = r["full_macro_f1"]
        ax.axhline(full, color="#1d6b3a", linewidth=1, label=f"100 % of labels ({full:.3f})")
        ax.axhline(
            TARGET_RATIO * full, color="#1d6b3a", linewidth=1, linestyle="--", label="95 % of that"
        )
        ax.set_title(f"{r['dataset']} — {r['learner']}", fontsize=10)
        ax.set_xlabel("labelled share of the training pool (%)")
        ax.set_ylabel("test macro-F1")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Label efficiency: labels chosen by the Review queue vs at random", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(DATASETS_DIR))
    parser.add_argument("--only", choices=["helpdesk_qa", "endava_tickets"], default=None)
    parser.add_argument("--learners", default="lexical,embedding")
    parser.add_argument("--seeds", type=int, default=Config.seeds)
    parser.add_argument("--diversity", type=float, default=DEFAULT_DIVERSITY)
    parser.add_argument("--pool-factor", type=float, default=DEFAULT_POOL_FACTOR)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--plot", default=None, help="write the curves here (PNG)")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    config = Config(
        seeds=args.seeds,
        diversity=args.diversity,
        pool_factor=args.pool_factor,
        threads=args.threads,
    )
    names = [args.only] if args.only else ["helpdesk_qa", "endava_tickets"]
    results = []
    for name in names:
        data = prepare(load_split(name, Path(args.datasets)), args.threads)
        for learner_name in args.learners.split(","):
            results.append(run(data, LEARNERS[learner_name](), config))
            print_table(results[-1])
    if args.plot:
        plot(results, Path(args.plot))
    summary = {"config": config.__dict__, "results": results}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
