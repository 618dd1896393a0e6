"""What the offline evaluation commands (`triage_eval`, `answer_eval`) share: a TRAIN and a
TEST CSV with a text and a target column, a predictions file, a time budget, a device and a
seed; checked before any training starts, so a typo fails in a second, not after an hour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml.engine.evaluation import DatasetError, LabelledTexts, read_labelled_csv


class OfflineEvalCommand(BaseCommand):
    # The column whose values the command predicts: "label" (triage) or "answer" (answers).
    target: str
    requires_system_checks: list[str] = []  # offline evaluation: no database, no app checks

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, type=Path)
        parser.add_argument("--test", required=True, type=Path)
        parser.add_argument(
            "--text-col",
            required=True,
            help="column, or comma-separated columns joined into the text",
        )
        parser.add_argument(f"--{self.target}-col", required=True)
        parser.add_argument("--predictions-out", required=True, type=Path)
        parser.add_argument("--time-budget", type=float, default=None, help="seconds")
        parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        parser.add_argument("--seed", type=int, default=0)

    def read_split(
        self, opts: dict[str, Any], extra_cols: list[str] | None = None
    ) -> tuple[LabelledTexts, LabelledTexts]:
        """TRAIN and TEST, after the options every such command shares are checked."""
        if opts["time_budget"] is not None and opts["time_budget"] <= 0:
            raise CommandError("--time-budget must be a positive number of seconds.")
        out: Path = opts["predictions_out"]
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory for --predictions-out")
        target = opts[f"{self.target}_col"]
        extra = extra_cols or ()
        try:
            train = read_labelled_csv(opts["train"], opts["text_col"], target, extra_cols=extra)
            test = read_labelled_csv(opts["test"], opts["text_col"], target, extra_cols=extra)
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        return train, test
