from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml import services
from ml.models import TrainingRun

from ._common import get_org


class Command(BaseCommand):
    help = "Train a challenger for an organization now (in the foreground) and decide promotion."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--time-budget", type=int, default=None, help="seconds")
        parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        if opts["time_budget"] is not None and opts["time_budget"] <= 0:
            raise CommandError("--time-budget must be a positive number of seconds.")
        run = services.training_run_request(
            organization=org,
            trigger=TrainingRun.Trigger.MANUAL,
            time_budget_s=opts["time_budget"],
            device="" if opts["device"] == "auto" else opts["device"],
            schedule=False,
        )
        if run.status != TrainingRun.Status.QUEUED:
            raise CommandError(f"A training run is already {run.status} for {org.slug}.")
        version = services.training_run_execute(run_id=run.pk)
        run.refresh_from_db()
        if version is None:
            raise CommandError(run.message or "Training failed.")
        version.refresh_from_db()
        self.stdout.write(
            f"v{version.version} [{version.strategy}] macro-F1 {version.macro_f1:.3f} "
            f"(TF-IDF+LinearSVC {version.baseline_macro_f1 or 0:.3f}), accuracy "
            f"{version.accuracy or 0:.3f}, ECE {version.calibration_error or 0:.3f}"
        )
        self.stdout.write(version.decision)
