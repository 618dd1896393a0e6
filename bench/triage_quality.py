"""Product triage model vs TF-IDF(1–2 gram)+LinearSVC on the shared datasets.

    .venv/bin/python -m bench.triage_quality [--only helpdesk_qa] [--artifacts var/bench]

Stratified 80/20 split (random_state=0). helpdesk_qa trains one model for queue (category) and
priority; endava_tickets for category (classes with >= 10 rows). Prints a table per dataset and,
last, one JSON line with every number (docs/benchmarks.md records a run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

if __package__ in (None, ""):  # run as a script (`make bench`): the project root is not on path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import DATASETS_DIR, load_split  # noqa: E402
from ml.engine import ServeConfig, TrainConfig, TriagePredictions, top_k  # noqa: E402
from ml.engine.encoder import (  # noqa: E402
    base_model_path,
    l2_normalise,
    load_encoder,
    pooled_embeddings,
)
from ml.engine.evaluation import (  # noqa: E402
    evaluate_baseline,
    evaluate_model,
    evaluate_on_split,
    evaluate_predictions,
)

NEAR_DUPLICATE = 0.9


def near_duplicate_mask(train_texts: list[str], test_texts: list[str]) -> np.ndarray:
    """True for test tickets with a train ticket at cosine >= 0.9 (frozen base MiniLM)."""
    tokenizer, encoder = load_encoder(base_model_path())
    device = torch.device("cpu")

    def embed(texts: list[str]) -> np.ndarray:
        return l2_normalise(
            pooled_embeddings(
                tokenizer, encoder, texts, device=device, max_length=128, batch_size=64
            )
        )

    _, scores = top_k(embed(test_texts), embed(train_texts), 1)
    return scores[:, 0] >= NEAR_DUPLICATE


def _pick(report: dict[str, Any]) -> dict[str, Any]:
    return {k: round(report[k], 4) for k in ("macro_f1", "accuracy", "ece") if k in report}


def _rows(predictions: TriagePredictions, index: np.ndarray) -> TriagePredictions:
    """The predictions of the rows at `index`, to score a subset without predicting again."""
    return TriagePredictions(
        [predictions.categories[i] for i in index],
        [predictions.category_confidences[i] for i in index],
        [predictions.priorities[i] for i in index],
        [predictions.priority_confidences[i] for i in index],
        predictions.embeddings[index],
        {task: p[index] for task, p in predictions.probabilities.items()},
    )


def run_dataset(name: str, args: argparse.Namespace) -> dict[str, Any]:
    split = load_split(name, Path(args.datasets))
    budget = args.budget_helpdesk if name == "helpdesk_qa" else args.budget_endava
    config = TrainConfig(seed=0, epochs=args.epochs, time_budget_s=budget, num_threads=args.threads)
    print(
        f"\n== {name}: {len(split.train.texts)} train / {len(split.test.texts)} test, "
        f"budget {budget} s ==",
        flush=True,
    )
    result = evaluate_on_split(
        split.train,
        split.test,
        config=config,
        train_priorities=split.train_priorities,
        test_priorities=split.test_priorities,
        log=print,
    )
    model = result.model
    out: dict[str, Any] = {
        "dataset": name,
        "train_rows": len(split.train.texts),
        "test_rows": len(split.test.texts),
        "strategy": model.strategy,
        "train_seconds": round(result.train_seconds, 1),
        "fine_tune": {
            k: v
            for k, v in model.metadata["training"].get("fine_tune", {}).items()
            if k != "history"
        },
        "category": {
            "product": _pick(result.product),
            "baseline": _pick(result.baseline),
            "blend": model.metrics["category"]["blend"],
        },
    }
    if "priority" in result.product and "priority" in result.baseline:
        out["priority"] = {
            "product": _pick(result.product["priority"]),
            "baseline": _pick(result.baseline["priority"]),
            "blend": model.metrics["priority"]["blend"],
        }

    # Serving option: int8 dynamic quantization must stay within 0.5 macro-F1 points.
    int8 = model.with_serve_config(ServeConfig(quantization="dynamic_int8"))
    started = time.monotonic()
    int8_report = evaluate_model(int8, split.test.texts, split.test.labels, split.test_priorities)
    out["category"]["product_int8"] = _pick(int8_report)
    out["category"]["product_int8"]["predict_seconds"] = round(time.monotonic() - started, 1)
    if "priority" in out and "priority" in int8_report:
        out["priority"]["product_int8"] = _pick(int8_report["priority"])

    if name == "helpdesk_qa":
        duplicate = near_duplicate_mask(split.train.texts, split.test.texts)
        keep = np.flatnonzero(~duplicate)
        truth = [split.test.labels[i] for i in keep]
        out["without_near_duplicates"] = {
            "near_duplicate_share": round(float(duplicate.mean()), 4),
            "rows": len(keep),
            "product": _pick(evaluate_predictions(_rows(result.predictions, keep), truth)),
            "baseline": _pick(
                evaluate_baseline(
                    split.train.texts,
                    split.train.labels,
                    [split.test.texts[i] for i in keep],
                    truth,
                )
            ),
        }
    if args.artifacts:
        path = Path(args.artifacts) / name
        model.save(path)
        out["artifact"] = str(path)
    return out


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        "\n| data, label | product macro-F1 | TF-IDF+LinearSVC macro-F1 | product accuracy | "
        "baseline accuracy | product ECE | strategy / blend | train s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        label = "queue" if r["dataset"] == "helpdesk_qa" else "category"
        rows = [(label, r["category"])]
        if "priority" in r:
            rows.append(("priority", r["priority"]))
        for task, t in rows:
            print(
                f"| {r['dataset']}, {task} | {t['product']['macro_f1']:.3f} | "
                f"{t['baseline']['macro_f1']:.3f} | {t['product']['accuracy']:.3f} | "
                f"{t['baseline']['accuracy']:.3f} | {t['product']['ece']:.3f} | "
                f"{r['strategy']} / {t['blend']['choice']} w={t['blend']['encoder_weight']:.1f}"
                f" | {r['train_seconds']:.0f} |"
            )
        if "without_near_duplicates" in r:
            d = r["without_near_duplicates"]
            print(
                f"| {r['dataset']}, {label}, no near-duplicate in train ({d['rows']} rows) | "
                f"{d['product']['macro_f1']:.3f} | {d['baseline']['macro_f1']:.3f} | "
                f"{d['product']['accuracy']:.3f} | {d['baseline']['accuracy']:.3f} | "
                f"{d['product']['ece']:.3f} | | |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(DATASETS_DIR))
    parser.add_argument("--only", choices=["helpdesk_qa", "endava_tickets"], default=None)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--budget-helpdesk", type=float, default=900.0, help="seconds")
    parser.add_argument("--budget-endava", type=float, default=480.0, help="seconds")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--artifacts", default=None, help="save each trained model here")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    names = [args.only] if args.only else ["helpdesk_qa", "endava_tickets"]
    results = [run_dataset(name, args) for name in names]
    print_table(results)
    summary = {
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
        "threads": args.threads,
        "results": results,
    }
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
