"""Build the product's answer path from one CSV of solved tickets, suggest answers for another,
and score both the product and TF-IDF retrieval on the same split. Uses no database."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from ml.engine.evaluation import LabelledTexts
from ml.management.offline import OfflineEvalCommand


class Command(OfflineEvalCommand):
    help = (
        "Train the answer retriever on TRAIN (text + answer as an organization's solved "
        "history), suggest three answers per TEST row, write their TRAIN row indices and print "
        "answer-F1@1 and best-of-3 for the product and for TF-IDF retrieval."
    )
    target = "answer"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--language-col", default=None, help="report per language too")

    def handle(self, *args: Any, **opts: Any) -> None:
        out: Path = opts["predictions_out"]
        language_col = opts["language_col"]
        extra = [language_col] if language_col else []
        train, test = self.read_split(opts, extra)

        from ml.engine.answers import suggestion_scores, tfidf_top_k, train_retriever

        log = self.stdout.write if opts["verbosity"] >= 2 else None
        started = time.monotonic()
        retriever = train_retriever(
            train.texts,
            train.labels,
            time_budget_s=opts["time_budget"],
            device=opts["device"],
            seed=opts["seed"],
            log=log,
        )
        train_seconds = time.monotonic() - started
        hits = retriever.search(test.texts, k=3)
        product_top = [[hit.index for hit in row] for row in hits]
        tfidf_top = tfidf_top_k(train.texts, test.texts, k=3)

        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["row", "top1", "top2", "top3"])
            for i, row in enumerate(product_top):
                writer.writerow([i, *row, *[""] * (3 - len(row))])

        product = suggestion_scores(product_top, train.labels, test.labels)
        tfidf = suggestion_scores(tfidf_top, train.labels, test.labels)
        meta = retriever.metadata
        self.stdout.write(
            f"encoder: {retriever.encoder_source} ({meta['encoder_reason']}); fusion "
            f"{meta['weights']}; trained and indexed {len(train.texts)} answers in "
            f"{train_seconds:.1f} s"
        )
        self._report("product", product)
        self._report("TF-IDF", tfidf)
        if language_col:
            self._per_language(test, language_col, product, tfidf)
        self.stdout.write(f"predictions: {out} ({len(test.texts)} rows)")

    def _report(self, name: str, scores: dict[str, Any], prefix: str = "") -> None:
        self.stdout.write(
            f"{prefix}{name:<10} answer-F1@1 {scores['f1_at_1']:.4f}  "
            f"best-of-3 {scores['best_of_3']:.4f}"
        )

    def _per_language(
        self,
        test: LabelledTexts,
        language_col: str,
        product: dict[str, Any],
        tfidf: dict[str, Any],
    ) -> None:
        rows: dict[str, list[int]] = defaultdict(list)
        for i, language in enumerate(test.extra[language_col]):
            rows[language or "?"].append(i)
        for language, index in sorted(rows.items(), key=lambda item: -len(item[1])):
            self.stdout.write(f"{language} ({len(index)} tickets)")
            for name, scores in (("product", product), ("TF-IDF", tfidf)):
                subset = {
                    "f1_at_1": sum(scores["rows_f1_at_1"][i] for i in index) / len(index),
                    "best_of_3": sum(scores["rows_best_of_3"][i] for i in index) / len(index),
                }
                self._report(name, subset, prefix="  ")
