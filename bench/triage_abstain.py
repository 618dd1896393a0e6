"""Knowing when it doesn't know: selective classification and an out-of-scope probe.

    .venv/bin/python bench/triage_abstain.py [--only helpdesk_qa] [--budget 120] [--plot FILE]

For each shared dataset: train the product model on a stratified sample (3,000 training
tickets by default, `--budget` seconds), then on its test sample report

- the risk–coverage curve of the final confidence (and of the blend's probability alone, for
  comparison), its area (AURC, lower is better) and the coverage at 95 % precision, both as
  the product decides it (per-class thresholds fitted on validation, precision target 0.95)
  and as the best cut on the test set could (the oracle);
- an out-of-scope probe: the other dataset's tickets and vague one-liners, which the model
  must not be sure about (mean top confidence ≤ 0.5), plus junk strings.

The probe texts below are written for this benchmark; none of them are used in training
(training makes its own vague and junk rows from the validation split).
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

if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import DATASETS_DIR, load_sampled_split  # noqa: E402
from ml.engine import TrainConfig  # noqa: E402
from ml.engine.evaluation import evaluate_on_split  # noqa: E402
from ml.engine.metrics import risk_coverage  # noqa: E402

VAGUE = [
    "it doesn't work",
    "help",
    "problem",
    "not working",
    "urgent, please fix",
    "can you check this?",
    "hi",
    "see subject",
    "issue",
    "broken again",
    "question",
    "any update?",
    "please advise",
    "same problem as before",
    "error",
    "it's slow",
    "doesn't work since yesterday",
    "need help asap",
    "es funktioniert nicht",
    "no funciona",
    "ça ne marche pas",
    "não funciona",
    "Hilfe bitte",
    "tengo un problema",
]
JUNK = [
    "aaaaaaaaaa",
    "1234567890",
    "....",
    "qwertyuiop asdfghjkl",
    "lorem ipsum dolor sit amet",
    "xyz xyz xyz",
    "!!!???",
    "test test",
    "zzzz",
    "foo bar baz",
    "ok",
    "asd",
]
TARGET = 0.95
COVERAGE_POINTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def curve_report(confidence: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    coverage, risk = risk_coverage(confidence, correct)
    feasible = np.flatnonzero(1.0 - risk >= TARGET)
    return {
        "aurc": round(float(risk.mean()), 4),
        "oracle_coverage_at_95": round(float(coverage[feasible[-1]]) if len(feasible) else 0.0, 4),
        "risk_at": {
            f"{c:.1f}": round(float(risk[max(0, int(np.ceil(c * len(risk))) - 1)]), 4)
            for c in COVERAGE_POINTS
        },
    }


def run_dataset(name: str, other: str, args: argparse.Namespace) -> dict[str, Any]:
    datasets = Path(args.datasets)
    split = load_sampled_split(name, args.train_rows, args.test_rows, datasets_dir=datasets)
    print(
        f"\n== {name}: {len(split.train.texts)} train / {len(split.test.texts)} test, "
        f"budget {args.budget} s ==",
        flush=True,
    )
    config = TrainConfig(seed=0, time_budget_s=args.budget, num_threads=args.threads)
    result = evaluate_on_split(split.train, split.test, config=config, log=print)
    model = result.model
    started = time.monotonic()
    test = model.predict(split.test.texts, precision_target=TARGET)
    predict_s = time.monotonic() - started
    correct = np.asarray(
        [p == t for p, t in zip(test.categories, split.test.labels, strict=True)], dtype=bool
    )
    final = np.asarray(test.category_confidences)
    blend = np.asarray(test.blend_confidences)
    kept = ~np.asarray(test.abstained)
    out_of_scope = load_sampled_split(other, 10, args.probe_rows, datasets_dir=datasets)
    probes = {
        "other_dataset": out_of_scope.test.texts,
        "vague": VAGUE,
        "junk": JUNK,
    }
    probe_out: dict[str, Any] = {}
    for probe, texts in probes.items():
        p = model.predict(texts, precision_target=TARGET)
        probe_out[probe] = {
            "rows": len(texts),
            "mean_top_confidence": round(float(np.mean(p.category_confidences)), 4),
            "mean_blend_confidence": round(float(np.mean(p.blend_confidences)), 4),
            "abstained": round(float(np.mean(p.abstained)), 4),
            "needs_detail": round(float(np.mean(p.needs_detail)), 4),
        }
    scope = probes["other_dataset"] + probes["vague"]
    scope_pred = model.predict(scope, precision_target=TARGET)
    return {
        "dataset": name,
        "train_rows": len(split.train.texts),
        "test_rows": len(split.test.texts),
        "strategy": model.strategy,
        "train_seconds": round(result.train_seconds, 1),
        "predict_ms_per_ticket": round(predict_s / len(split.test.texts) * 1000, 2),
        "in_scope": {
            "accuracy": round(float(correct.mean()), 4),
            "macro_f1": round(result.product["macro_f1"], 4),
            "baseline_macro_f1": round(result.baseline["macro_f1"], 4),
            "mean_confidence": round(float(final.mean()), 4),
            "final": curve_report(final, correct),
            "blend_only": curve_report(blend, correct),
            "product_at_95": {
                "coverage": round(float(kept.mean()), 4),
                "precision": round(float(correct[kept].mean()) if kept.any() else 0.0, 4),
            },
        },
        "out_of_scope": {
            "rows": len(scope),
            "mean_top_confidence": round(float(np.mean(scope_pred.category_confidences)), 4),
            "mean_blend_confidence": round(float(np.mean(scope_pred.blend_confidences)), 4),
            "abstained": round(float(np.mean(scope_pred.abstained)), 4),
            "probes": probe_out,
        },
        "_curves": {
            "final": [c.tolist() for c in risk_coverage(final, correct)],
            "blend": [c.tolist() for c in risk_coverage(blend, correct)],
        },
    }


def plot(results: list[dict[str, Any]], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        for key, label in (("final", "final confidence"), ("blend", "blend probability")):
            coverage, risk = r["_curves"][key]
            ax.plot(coverage, risk, label=label)
        ax.axhline(1 - TARGET, color="grey", linestyle=":", label="5 % risk")
        ax.set_title(f"{r['dataset']}: risk–coverage")
        ax.set_xlabel("coverage")
        ax.set_ylabel("risk (error rate)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(DATASETS_DIR))
    parser.add_argument("--only", choices=["helpdesk_qa", "endava_tickets"], default=None)
    parser.add_argument("--train-rows", type=int, default=3000)
    parser.add_argument("--test-rows", type=int, default=1500)
    parser.add_argument("--probe-rows", type=int, default=300, help="other-dataset tickets")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of training")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--plot", default=None, help="write the risk–coverage curves here")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    pairs = [("helpdesk_qa", "endava_tickets"), ("endava_tickets", "helpdesk_qa")]
    results = [run_dataset(n, o, args) for n, o in pairs if args.only in (None, n)]
    if args.plot:
        plot(results, args.plot)
    for r in results:
        r.pop("_curves")
    summary = json.dumps({"target_precision": TARGET, "results": results}, indent=1)
    if args.json_out:
        Path(args.json_out).write_text(summary)
    print(summary)


if __name__ == "__main__":
    main()
