"""Training and serving configuration: plain dataclasses whose `help` metadata doubles as the
documentation shown by command-line front ends (`config_help`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Device = Literal["auto", "cpu", "cuda"]
Strategy = Literal["auto", "fine_tune", "frozen"]
Quantization = Literal["none", "dynamic_int8", "onnx", "onnx_int8"]

DEFAULT_PRIORITY_LEVELS = ("low", "medium", "high", "critical")
# Triage only where the validation predictions of the class reach this precision (an
# organization sets its own; see docs/ml.md, "Knowing when it doesn't know").
DEFAULT_PRECISION_TARGET = 0.95


@dataclass
class TrainConfig:
    seed: int = field(
        default=0, metadata={"help": "Seed for splits, initialisation and shuffling."}
    )
    strategy: Strategy = field(
        default="auto",
        metadata={
            "help": "auto: fine-tune when there is enough data, otherwise a frozen-embedding "
            "classifier (cold start); or force fine_tune / frozen."
        },
    )
    min_rows_for_fine_tune: int = field(
        default=200, metadata={"help": "Cold start below this many labelled rows."}
    )
    min_class_rows_for_fine_tune: int = field(
        default=10, metadata={"help": "Cold start when any category has fewer rows than this."}
    )
    validation_fraction: float = field(
        default=0.15,
        metadata={
            "help": "Share of the training rows held out for early stopping, calibration "
            "and the choice of the mixing weight."
        },
    )
    min_fine_tune_epochs: float = field(
        default=1.0,
        metadata={
            "help": "Fine-tune only when the time budget, after the passes every strategy "
            "needs, affords at least this many epochs at the measured speed; otherwise train "
            "the frozen-encoder strategy, which converges in one pass."
        },
    )
    validation_probe_rows: int = field(
        default=200,
        metadata={
            "help": "Validation rows scored at each fine-tuning checkpoint (the whole "
            "validation split is scored once, at the end)."
        },
    )
    embedding_max_length: int = field(
        default=96,
        metadata={
            "help": "Tokens per ticket for the embedding passes after training (the "
            "reference set, the embedding head, the blend's validation logits): the serving "
            "length, so what is fitted is what is served."
        },
    )
    epochs: float = field(default=3.0, metadata={"help": "Upper bound on fine-tuning epochs."})
    batch_size: int = field(default=16, metadata={"help": "Fine-tuning batch size."})
    lr: float = field(default=5e-5, metadata={"help": "Learning rate of the encoder."})
    head_lr: float = field(default=1e-3, metadata={"help": "Learning rate of the linear heads."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    warmup_fraction: float = field(
        default=0.06, metadata={"help": "Share of the planned steps spent warming the lr up."}
    )
    max_length: int = field(default=128, metadata={"help": "Tokens per ticket while training."})
    class_weighting: bool = field(
        default=True,
        metadata={
            "help": "Weight the loss by inverse class frequency (macro-F1 rewards rare "
            "classes as much as common ones)."
        },
    )
    evals_per_epoch: int = field(
        default=2, metadata={"help": "Validation passes per epoch (early stopping checkpoints)."}
    )
    patience: int = field(
        default=3, metadata={"help": "Stop after this many validations without improvement."}
    )
    time_budget_s: float | None = field(
        default=None,
        metadata={
            "help": "Wall-clock budget for the whole training; fine-tuning stops early "
            "enough to finish within it and keeps the best checkpoint."
        },
    )
    device: Device = field(default="auto", metadata={"help": "auto | cpu | cuda."})
    num_threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads; None leaves torch's default."}
    )
    lexical_char_ngrams: bool = field(
        default=True,
        metadata={
            "help": "Add character 2–5-grams to the lexical model (robust to typos, "
            "compounds and languages the encoder barely knows)."
        },
    )
    lexical_c: float = field(default=1.0, metadata={"help": "LinearSVC regularisation C."})
    frozen_c: float = field(
        default=10.0, metadata={"help": "Logistic-regression C on frozen embeddings."}
    )
    mixing_grid: int = field(
        default=10, metadata={"help": "The encoder weight is searched over 0, 1/N, …, 1."}
    )
    refit_lexical_on_all: bool = field(
        default=True,
        metadata={
            "help": "Refit the lexical model on train+validation after the choices are "
            "made (it is cheap and gains from the extra rows)."
        },
    )
    priority_levels: tuple[str, ...] = field(
        default=DEFAULT_PRIORITY_LEVELS,
        metadata={
            "help": "The organization's priority levels, lowest first; levels seen in the "
            "data but not listed here are appended."
        },
    )
    console_progress: bool = field(
        default=True, metadata={"help": "Show a tqdm bar on the console while fine-tuning."}
    )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["priority_levels"] = list(self.priority_levels)
        return data


@dataclass
class ServeConfig:
    quantization: Quantization = field(
        default="onnx_int8",
        metadata={
            "help": "none: torch fp32 eager; dynamic_int8: torch int8 dynamic quantization of "
            "the encoder's Linear layers; onnx / onnx_int8: ONNX Runtime fp32 / int8 (needs "
            "onnxruntime). All but none apply on CPU only; CUDA always serves torch (bf16)."
        },
    )
    max_length: int = field(
        default=96,
        metadata={
            "help": "Tokens per ticket at inference (longer is truncated; the lexical "
            "model still reads the whole text)."
        },
    )
    batch_size: int = field(default=32, metadata={"help": "Encoder batch size for predict()."})
    device: Device = field(default="auto", metadata={"help": "auto | cpu | cuda."})
    num_threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads; None leaves torch's default."}
    )
    onnx_cache_dir: str | None = field(
        default=None,
        metadata={
            "help": "Keep exported ONNX graphs here, keyed by the artifact's content, so a new "
            "process loads a model in a second instead of re-exporting it (~10 s)."
        },
    )


def config_help(config_cls: type[Any]) -> dict[str, str]:
    return {f.name: str(f.metadata.get("help", "")) for f in fields(config_cls)}
