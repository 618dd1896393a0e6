"""Training the product model: strategy choice (fine-tune vs cold start), the lexical component,
the validation-chosen blend and its calibration, all recorded in the model's metadata."""

from __future__ import annotations

import logging
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .calibration import Blend, fit_blend
from .config import ServeConfig, TrainConfig
from .encoder import (
    EMBEDDING_DIM,
    base_model_path,
    l2_normalise,
    load_encoder,
    pooled_embeddings,
    resolve_device,
)
from .finetune import IGNORE, TaskLabels, TriageNet, fine_tune, seed_everything
from .lexical import LexicalClassifier
from .metrics import classification_report, macro_f1
from .model import TaskHead, TriageModel

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]
LogFn = Callable[[str], None]


class TrainingDataError(ValueError):
    """The labelled rows cannot train a model (too few, one class, mismatched lengths)."""


def _no_progress(fraction: float, message: str) -> None:
    return None


def priority_label_set(levels_seen: set[str], configured: Sequence[str]) -> list[str]:
    ordered = [level for level in configured if level in levels_seen]
    return ordered + sorted(levels_seen - set(ordered))


def choose_strategy(categories: Sequence[str], config: TrainConfig) -> tuple[str, str]:
    """('fine_tune' | 'frozen', why)."""
    counts = Counter(categories)
    smallest_label, smallest = min(counts.items(), key=lambda item: (item[1], item[0]))
    if config.strategy != "auto":
        return config.strategy, "forced by configuration"
    if len(categories) < config.min_rows_for_fine_tune:
        return "frozen", (
            f"cold start: {len(categories)} labelled rows < {config.min_rows_for_fine_tune}"
        )
    if smallest < config.min_class_rows_for_fine_tune:
        return "frozen", (
            f"cold start: category {smallest_label!r} has {smallest} rows < "
            f"{config.min_class_rows_for_fine_tune}"
        )
    return "fine_tune", (f"{len(categories)} labelled rows, smallest category {smallest} rows")


def _index(labels: list[str], values: Sequence[str | None]) -> np.ndarray:
    position = {label: i for i, label in enumerate(labels)}
    return np.array(
        [position[v] if v is not None and v in position else IGNORE for v in values], dtype=np.int64
    )


def train_triage(
    texts: Sequence[str],
    categories: Sequence[str],
    priorities: Sequence[str | None] | None = None,
    *,
    config: TrainConfig | None = None,
    progress: ProgressFn | None = None,
    log: LogFn | None = None,
    serve_config: ServeConfig | None = None,
) -> TriageModel:
    """Trains the product model on labelled tickets. `priorities` may hold None for rows
    without one; with fewer than two priority levels the model predicts no priority.

    `progress(fraction, message)` is called with a non-decreasing fraction in [0, 1];
    `log(message)` receives the decisions as they are made (strategy, blend weights, …).
    `serve_config` is how the returned model predicts (default: ServeConfig()).
    """
    config = config or TrainConfig()
    report = progress or _no_progress
    started = time.monotonic()
    deadline = started + config.time_budget_s if config.time_budget_s else None

    def note(message: str) -> None:
        # A caller that collects the messages shows them itself; logging them too would
        # print every line twice on a console.
        if log is not None:
            log(message)
        else:
            logger.info(message)

    texts = [str(t) for t in texts]
    categories = [str(c) for c in categories]
    if len(texts) != len(categories) or (priorities is not None and len(priorities) != len(texts)):
        raise TrainingDataError("texts, categories and priorities must have the same length")
    if len(set(categories)) < 2:
        raise TrainingDataError("training needs at least two categories")
    if len(texts) < 4:
        raise TrainingDataError("training needs at least four labelled rows")

    seed_everything(config.seed)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    device = resolve_device(config.device)
    category_labels = sorted(set(categories))
    label_sets = {"category": category_labels}
    y = {"category": _index(category_labels, categories)}
    if priorities is not None:
        seen = {str(p) for p in priorities if p not in (None, "")}
        if len(seen) >= 2:
            label_sets["priority"] = priority_label_set(seen, config.priority_levels)
            y["priority"] = _index(
                label_sets["priority"], [None if p in (None, "") else str(p) for p in priorities]
            )
        else:
            note(f"no priority head: {len(seen)} priority level(s) in the data")

    strategy, reason = choose_strategy(categories, config)
    note(f"strategy {strategy} ({reason}) on {device.type}")
    report(0.0, f"strategy: {strategy}")
    tokenizer, encoder = load_encoder(base_model_path())

    if strategy == "fine_tune":
        heads, details = _train_fine_tuned(
            texts, y, label_sets, tokenizer, encoder, config, device, deadline, report, note
        )
        encoder_source = "fine_tuned"
    else:
        heads, details = _train_frozen(
            texts, y, label_sets, tokenizer, encoder, config, device, report, note
        )
        encoder_source = "base"

    metadata = {
        "strategy": strategy,
        "strategy_reason": reason,
        "hyperparameters": config.as_dict(),
        "metrics": details.pop("metrics"),
        "training": {
            **details,
            "rows": len(texts),
            "seconds": round(time.monotonic() - started, 2),
            "device": device.type,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }
    report(1.0, "done")
    encoder.to("cpu")
    return TriageModel(
        tokenizer=tokenizer,
        encoder=encoder,
        heads=heads,
        strategy=strategy,
        encoder_source=encoder_source,
        metadata=metadata,
        serve_config=serve_config,
    )


def _fit_lexical(
    texts: Sequence[str], y: np.ndarray, n_classes: int, config: TrainConfig
) -> LexicalClassifier:
    mask = y != IGNORE
    return LexicalClassifier(
        n_classes, char_ngrams=config.lexical_char_ngrams, c=config.lexical_c
    ).fit([t for t, m in zip(texts, mask, strict=True) if m], y[mask])


def _blend_report(
    name: str,
    labels: list[str],
    y_val: np.ndarray,
    encoder_logits: np.ndarray,
    lexical_logits: np.ndarray,
    config: TrainConfig,
    note: Callable[[str], None],
) -> tuple[Blend, dict[str, Any]]:
    mask = y_val != IGNORE
    blend, candidates = fit_blend(
        encoder_logits[mask], lexical_logits[mask], y_val[mask], labels, config.mixing_grid
    )
    truth = [labels[i] for i in y_val[mask]]
    probabilities = blend.probabilities(encoder_logits[mask], lexical_logits[mask])
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    metrics = classification_report(truth, predicted, probabilities.max(axis=1), labels=labels)
    metrics["components"] = {
        "encoder_macro_f1": macro_f1(
            truth, [labels[i] for i in encoder_logits[mask].argmax(axis=1)]
        ),
        "lexical_macro_f1": macro_f1(
            truth, [labels[i] for i in lexical_logits[mask].argmax(axis=1)]
        ),
    }
    metrics["blend"] = blend.as_dict()
    metrics["blend_search"] = candidates
    note(
        f"{name}: validation macro-F1 encoder {metrics['components']['encoder_macro_f1']:.3f}, "
        f"lexical {metrics['components']['lexical_macro_f1']:.3f}, chosen {blend.choice} "
        f"(encoder weight {blend.encoder_weight:.1f}) {metrics['macro_f1']:.3f}, "
        f"ECE {metrics['ece']:.3f}"
    )
    return blend, metrics


def _train_fine_tuned(
    texts: list[str],
    y: dict[str, np.ndarray],
    label_sets: dict[str, list[str]],
    tokenizer: Any,
    encoder: torch.nn.Module,
    config: TrainConfig,
    device: torch.device,
    deadline: float | None,
    report: ProgressFn,
    note: Callable[[str], None],
) -> tuple[dict[str, TaskHead], dict[str, Any]]:
    indices = np.arange(len(texts))
    train_idx, val_idx = train_test_split(
        indices,
        test_size=config.validation_fraction,
        stratify=y["category"],
        random_state=config.seed,
    )
    train_texts = [texts[i] for i in train_idx]
    val_texts = [texts[i] for i in val_idx]

    # The lexical models go first: their cost is small and known, and whatever budget is left
    # afterwards belongs to fine-tuning.
    report(0.02, "fitting the lexical model")
    lexical_val_logits: dict[str, np.ndarray] = {}
    final_lexical: dict[str, LexicalClassifier] = {}
    for name, labels in label_sets.items():
        part = _fit_lexical(train_texts, y[name][train_idx], len(labels), config)
        lexical_val_logits[name] = part.logits(val_texts)
        final_lexical[name] = (
            _fit_lexical(texts, y[name], len(labels), config)
            if config.refit_lexical_on_all
            else part
        )
    report(0.1, "fine-tuning the encoder")

    tasks = {
        name: TaskLabels(len(labels), y[name][train_idx], y[name][val_idx])
        for name, labels in label_sets.items()
    }
    net = TriageNet(encoder, {name: len(labels) for name, labels in label_sets.items()})
    # Blending and saving need a few seconds after the last validation pass.
    ft_deadline = None if deadline is None else deadline - 5.0
    result = fine_tune(
        net,
        tokenizer,
        train_texts,
        val_texts,
        tasks,
        config,
        device,
        deadline=ft_deadline,
        progress=lambda f, m: report(0.1 + 0.85 * f, m),
    )
    note(
        f"fine-tuning stopped ({result.stopped}) after {result.steps} steps "
        f"({result.epochs:.2f} epochs, {result.seconds:.0f} s); best validation macro-F1 "
        f"{result.best_score:.3f} at step {result.best_step}"
    )
    report(0.96, "calibrating")
    heads: dict[str, TaskHead] = {}
    metrics: dict[str, Any] = {"split": "validation (also used to choose the blend)"}
    for name, labels in label_sets.items():
        blend, metrics[name] = _blend_report(
            name,
            labels,
            y[name][val_idx],
            result.val_logits[name],
            lexical_val_logits[name],
            config,
            note,
        )
        linear = cast(torch.nn.Linear, net.heads[name])
        heads[name] = TaskHead(
            labels=labels,
            weight=linear.weight.detach().float().cpu().numpy(),
            bias=linear.bias.detach().float().cpu().numpy(),
            lexical=final_lexical[name],
            blend=blend,
            head_input="pooled",
        )
    details = {
        "metrics": metrics,
        "fine_tune": {
            "steps": result.steps,
            "epochs": round(result.epochs, 3),
            "stopped": result.stopped,
            "best_step": result.best_step,
            "best_val_macro_f1": result.best_score,
            "seconds": round(result.seconds, 2),
            "history": result.history,
        },
        "train_rows": len(train_idx),
        "validation_rows": len(val_idx),
    }
    return heads, details


def _logistic_head(
    x: np.ndarray, y: np.ndarray, n_classes: int, config: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    weight = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
    bias = np.full(n_classes, -10.0, dtype=np.float32)
    present = np.unique(y)
    if len(present) == 1:
        bias[present[0]] = 0.0
        return weight, bias
    clf = LogisticRegression(C=config.frozen_c, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    coef, intercept = clf.coef_, clf.intercept_
    if len(present) == 2:
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    weight[present] = coef
    bias[present] = intercept
    return weight, bias


def _folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    smallest = int(np.bincount(y).min(initial=len(y), where=np.bincount(y) > 0))
    if smallest >= 2:
        splitter: StratifiedKFold | KFold = StratifiedKFold(
            n_splits=min(5, smallest), shuffle=True, random_state=seed
        )
        return list(splitter.split(np.zeros(len(y)), y))
    return list(KFold(n_splits=min(5, len(y)), shuffle=True, random_state=seed).split(y))


def _train_frozen(
    texts: list[str],
    y: dict[str, np.ndarray],
    label_sets: dict[str, list[str]],
    tokenizer: Any,
    encoder: torch.nn.Module,
    config: TrainConfig,
    device: torch.device,
    report: ProgressFn,
    note: Callable[[str], None],
) -> tuple[dict[str, TaskHead], dict[str, Any]]:
    report(0.05, "embedding the tickets with the frozen encoder")
    encoder.to(device)
    embeddings = l2_normalise(
        pooled_embeddings(
            tokenizer,
            encoder,
            texts,
            device=device,
            max_length=config.max_length,
            batch_size=config.batch_size * 2,
        )
    )
    assert embeddings.shape[1] == EMBEDDING_DIM  # noqa: S101 - programming error guard
    report(0.5, "cross-validating the frozen and lexical classifiers")
    heads: dict[str, TaskHead] = {}
    metrics: dict[str, Any] = {"split": "out-of-fold (cross-validation on the training rows)"}
    for name, labels in label_sets.items():
        rows = np.flatnonzero(y[name] != IGNORE)
        y_task = y[name][rows]
        task_texts = [texts[i] for i in rows]
        x = embeddings[rows]
        # Out-of-fold logits stand in for a validation split, which few labels can't spare.
        encoder_oof = np.zeros((len(rows), len(labels)))
        lexical_oof = np.zeros((len(rows), len(labels)))
        for fit_idx, held_idx in _folds(y_task, config.seed):
            weight, bias = _logistic_head(x[fit_idx], y_task[fit_idx], len(labels), config)
            encoder_oof[held_idx] = x[held_idx] @ weight.T + bias
            lexical = LexicalClassifier(
                len(labels), char_ngrams=config.lexical_char_ngrams, c=config.lexical_c
            )
            lexical.fit([task_texts[i] for i in fit_idx], y_task[fit_idx])
            lexical_oof[held_idx] = lexical.logits([task_texts[i] for i in held_idx])
        blend, metrics[name] = _blend_report(
            name, labels, y_task, encoder_oof, lexical_oof, config, note
        )
        weight, bias = _logistic_head(x, y_task, len(labels), config)
        heads[name] = TaskHead(
            labels=labels,
            weight=weight,
            bias=bias,
            lexical=_fit_lexical(task_texts, y_task, len(labels), config),
            blend=blend,
            head_input="normalised",
        )
    return heads, {"metrics": metrics, "train_rows": len(texts), "validation_rows": 0}
