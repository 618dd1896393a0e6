from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from ml import artifact_store, pipeline, services
from ml.labels import collect_labels, is_held_out
from ml.models import ModelVersion

from ._common import ModelVersionCommand, get_org


class Command(ModelVersionCommand):
    help = "Evaluate the champion (or --version N) on the organization's frozen held-out split."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--version", type=int, default=None, help="default: the champion")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        if opts["version"] is not None:
            version = ModelVersion.objects.filter(organization=org, version=opts["version"]).first()
        else:
            version = services.champion_of(org)
        if version is None:
            raise CommandError("No such model version (train one with ml_train).")
        rows = [r for r in collect_labels(org) if r.category]
        held_out = [r for r in rows if is_held_out(org.pk, r.key)]
        train = [r for r in rows if not is_held_out(org.pk, r.key)]
        if not held_out:
            raise CommandError("The held-out split is empty.")
        try:
            model = pipeline.load(artifact_store.artifact_resolve(version))
        except pipeline.ArtifactError as exc:
            raise CommandError(f"v{version.version} can't be loaded: {exc}") from exc
        result = pipeline.evaluate(model, held_out)
        baseline = pipeline.baseline_macro_f1(train, held_out)
        self.stdout.write(f"{org.slug} v{version.version} on {len(held_out)} held-out tickets")
        self.stdout.write(
            f"  product   macro-F1 {result['macro_f1']:.4f}  accuracy {result['accuracy']:.4f}  "
            f"ECE {result['ece']:.4f}"
        )
        self.stdout.write(
            "  TF-IDF + LinearSVC macro-F1 "
            + (f"{baseline:.4f}" if baseline is not None else "not measured (one category)")
        )
        for label, stats in sorted(result.get("per_class", {}).items()):
            self.stdout.write(
                f"    {label:<24} P {stats['precision']:.3f} R {stats['recall']:.3f} "
                f"F1 {stats['f1']:.3f} n={stats['support']}"
            )
        priority = result.get("priority")
        if priority:
            self.stdout.write(
                f"  priority  macro-F1 {priority['macro_f1']:.4f}  "
                f"accuracy {priority['accuracy']:.4f}  ECE {priority['ece']:.4f}"
            )
