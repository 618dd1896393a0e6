"""Train the product triage pipeline on one CSV, score it on another beside TF-IDF + LinearSVC.
Uses no database, so it runs anywhere the engine does."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from ml.engine import TrainConfig, TrainingDataError
from ml.engine.config import DEFAULT_PRECISION_TARGET
from ml.engine.evaluation import evaluate_on_split
from ml.management.offline import OfflineEvalCommand


class Command(OfflineEvalCommand):
    help = (
        "Train the triage pipeline on TRAIN (its validation split comes from TRAIN), predict "
        "TEST, write per-row predictions and print macro-F1/accuracy for the product and for "
        "TF-IDF+LinearSVC on the same split."
    )
    target = "label"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--strategy", choices=["auto", "fine_tune", "frozen"], default="auto")
        parser.add_argument("--epochs", type=float, default=None)
        parser.add_argument(
            "--precision-target",
            type=float,
            default=DEFAULT_PRECISION_TARGET,
            help="abstain below the per-class threshold that reaches this precision",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 0.0 < opts["precision_target"] < 1.0:
            raise CommandError("--precision-target must be between 0 and 1 (e.g. 0.95).")
        train, test = self.read_split(opts)
        out: Path = opts["predictions_out"]

        config = TrainConfig(
            seed=opts["seed"],
            strategy=opts["strategy"],
            device=opts["device"],
            time_budget_s=opts["time_budget"],
            console_progress=opts["verbosity"] >= 2,
        )
        if opts["epochs"] is not None:
            config.epochs = opts["epochs"]
        log = self.stdout.write if opts["verbosity"] >= 1 else None
        try:
            result = evaluate_on_split(
                train, test, config=config, log=log, precision_target=opts["precision_target"]
            )
        except TrainingDataError as exc:
            raise CommandError(f"{opts['train']}: {exc}") from exc

        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            # `confidence` is the final confidence; `abstained` is 1 where it is below the
            # predicted class's threshold for the precision target (--precision-target).
            writer.writerow(["row", "label", "predicted", "confidence", "abstained"])
            for i, (label, predicted, confidence, abstained) in enumerate(
                zip(
                    test.labels,
                    result.predictions.categories,
                    result.predictions.category_confidences,
                    result.predictions.abstained,
                    strict=True,
                )
            ):
                writer.writerow([i, label, predicted, f"{confidence:.6f}", int(abstained)])

        product, baseline = result.product, result.baseline
        self.stdout.write(
            f"strategy: {result.model.strategy} ({result.model.metadata['strategy_reason']}); "
            f"trained in {result.train_seconds:.1f} s"
        )
        self.stdout.write(
            f"product            macro-F1 {product['macro_f1']:.4f}  "
            f"accuracy {product['accuracy']:.4f}  ECE {product['ece']:.4f}"
        )
        self.stdout.write(
            f"TF-IDF+LinearSVC   macro-F1 {baseline['macro_f1']:.4f}  "
            f"accuracy {baseline['accuracy']:.4f}"
        )
        selective = product.get("selective", {})
        if selective:
            self.stdout.write(
                f"abstention at precision target {opts['precision_target']:.2f}: triaged "
                f"{selective['coverage']:.1%} of the tickets, {selective['precision_kept']:.1%} "
                f"of them right; AURC {selective['aurc']:.4f}"
            )
        self.stdout.write(f"predictions: {out} ({len(test.labels)} rows)")
