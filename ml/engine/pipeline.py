"""Training the product model: strategy choice (fine-tune vs cold start), the lexical component,
the validation-chosen blend and its calibration, all recorded in the model's metadata."""

from __future__ import annotations

import logging
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .calibration import Blend, fit_blend
from .confidence import (
    ConfidenceModel,
    confidence_features,
    fit_confidence,
    junk_texts,
    recalibrated,
    truncations,
    without_class,
)
from .config import ServeConfig, TrainConfig
from .encoder import (
    EMBEDDING_DIM,
    base_model_path,
    l2_normalise,
    load_encoder,
    pooled_embeddings,
    resolve_device,
)
from .evaluation import lexical_baseline_predict
from .finetune import IGNORE, TaskLabels, TriageNet, encode, fine_tune, seed_everything
from .lexical import LexicalClassifier
from .metrics import classification_report, macro_f1
from .model import TaskHead, TriageModel
from .reference import ReferenceSet, build_reference

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
    keys: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
) -> TriageModel:
    """Trains the product model on labelled tickets. `priorities` may hold None for rows
    without one; with fewer than two priority levels the model predicts no priority.
    `keys` and `titles` (one per row) name the labelled tickets the explanation cites as
    neighbours.

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
    for name, column in (("keys", keys), ("titles", titles)):
        if column is not None and len(column) != len(texts):
            raise TrainingDataError(f"{name} must have one entry per text")

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
    report(0.0, f"strategy: {strategy}")
    tokenizer, encoder = load_encoder(base_model_path())
    encoder.to(device)
    per_text = _forward_seconds_per_text(tokenizer, encoder, texts, config, device)
    if strategy == "fine_tune" and deadline is not None and config.strategy == "auto":
        affordable = _affordable_epochs(len(texts), per_text, deadline, config)
        if affordable < config.min_fine_tune_epochs:
            strategy, reason = (
                "frozen",
                (
                    f"time budget: about {affordable:.2f} epochs of fine-tuning fit after the "
                    f"frozen passes (< {config.min_fine_tune_epochs}), at "
                    f"{1 / per_text:.0f} tickets/s forward"
                ),
            )
    note(f"strategy {strategy} ({reason}) on {device.type}")
    context = _Context(texts, y, label_sets, config, device, deadline, report, note, per_text)

    if strategy == "fine_tune":
        heads, details, (rows, vectors) = _train_fine_tuned(context, tokenizer, encoder)
        encoder_source = "fine_tuned"
    else:
        heads, details, (rows, vectors) = _train_frozen(context, tokenizer, encoder)
        encoder_source = "base"
    reference = build_reference(
        vectors,
        y["category"][rows],
        category_labels,
        [keys[i] for i in rows] if keys is not None else None,
        [titles[i] for i in rows] if titles is not None else None,
    )
    details["forward_tickets_per_s"] = round(1 / per_text, 1)

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
        reference=reference,
    )


# ----------------------------------------------------------------------------- budget


def _forward_seconds_per_text(
    tokenizer: Any,
    encoder: torch.nn.Module,
    texts: Sequence[str],
    config: TrainConfig,
    device: torch.device,
) -> float:
    """Measured, not guessed: the encoder's forward time per ticket on a sample of these
    tickets at the embedding length (after one warm-up batch, which pays one-time costs)."""
    rng = np.random.default_rng(config.seed)
    sample = [texts[i] for i in rng.choice(len(texts), size=min(48, len(texts)), replace=False)]
    length = config.embedding_max_length
    pooled_embeddings(
        tokenizer, encoder, sample[:8], device=device, max_length=length, batch_size=16
    )
    t0 = time.monotonic()
    pooled_embeddings(tokenizer, encoder, sample, device=device, max_length=length, batch_size=16)
    return max((time.monotonic() - t0) / len(sample), 1e-4)


def _after_training_seconds(n_rows: int, per_text: float) -> float:
    """What follows fine-tuning: one pass over every row (reference set, embedding head,
    validation logits), the short vague/junk probes, blending and saving."""
    return n_rows * per_text * 1.25 + 10.0


def _affordable_epochs(n_rows: int, per_text: float, deadline: float, config: TrainConfig) -> float:
    # The lexical models take roughly a second per thousand rows per fit (three fits).
    left = deadline - time.monotonic() - _after_training_seconds(n_rows, per_text)
    left -= 3 * max(1.0, n_rows / 1000)
    train_rows = n_rows * (1 - config.validation_fraction)
    # A training step (forward + backward) costs about three forward passes.
    return max(0.0, left / (train_rows * per_text * 3))


# _affordable_subset samples with the training seed plus this, not the seed itself (see there).
SUBSET_SEED_OFFSET = 7919


def _affordable_subset(
    ctx: _Context, candidates: np.ndarray, labels: np.ndarray, fixed_rows: float
) -> np.ndarray:
    """The candidate rows that can still be embedded before the deadline, after `fixed_rows`
    that must be: all of them when the budget allows, else a stratified sample (never fewer
    than two per class, so every class keeps a presence)."""
    candidates = np.asarray(candidates)
    if ctx.deadline is None or len(candidates) == 0:
        return candidates
    left = ctx.deadline - time.monotonic() - 5.0
    affordable = int(left / (ctx.per_text * 1.25) - fixed_rows)
    if affordable >= len(candidates):
        return candidates
    classes = np.unique(labels[candidates])
    size = min(len(candidates), max(affordable, 2 * len(classes)))
    if size >= len(candidates):
        return candidates
    try:
        # Not the folds' seed: the same seed, labels and row count would make this the exact
        # complement of the held-out fold, leaving the blend no row with both members.
        chosen, _ = train_test_split(
            candidates,
            train_size=size,
            stratify=labels[candidates],
            random_state=ctx.config.seed + SUBSET_SEED_OFFSET,
        )
    except ValueError:  # a class too rare to stratify on
        chosen = np.random.default_rng(ctx.config.seed).choice(candidates, size, replace=False)
    ctx.note(
        f"time budget: embedding {size} of {len(candidates)} training rows "
        f"(at {1 / ctx.per_text:.0f} tickets/s)"
    )
    return np.sort(np.asarray(chosen))


_Embedded = tuple[np.ndarray, np.ndarray]  # (row indices, their normalised embeddings)


@dataclass
class _Context:
    texts: list[str]
    y: dict[str, np.ndarray]
    label_sets: dict[str, list[str]]
    config: TrainConfig
    device: torch.device
    deadline: float | None
    report: ProgressFn
    note: Callable[[str], None]
    per_text: float


# ----------------------------------------------------------------------------- components


def _fit_lexical(
    texts: Sequence[str], y: np.ndarray, n_classes: int, config: TrainConfig
) -> LexicalClassifier:
    mask = y != IGNORE
    return LexicalClassifier(
        n_classes, char_ngrams=config.lexical_char_ngrams, c=config.lexical_c
    ).fit([t for t, m in zip(texts, mask, strict=True) if m], y[mask])


def _reference_accuracy(
    train_texts: Sequence[str], y_train: np.ndarray, test_texts: Sequence[str], y_test: np.ndarray
) -> float | None:
    """Accuracy of the TF-IDF + LinearSVC reference (the one every product score is shown
    beside) on rows the product is chosen on: the bar the blend's accuracy must clear."""
    fit = y_train != IGNORE
    score = y_test != IGNORE
    if len(np.unique(y_train[fit])) < 2 or not score.any():
        return None
    try:
        predicted = lexical_baseline_predict(
            [t for t, m in zip(train_texts, fit, strict=True) if m],
            [str(v) for v in y_train[fit]],
            [t for t, m in zip(test_texts, score, strict=True) if m],
        )
    except ValueError:  # no usable token in the training texts
        return None
    return float(np.mean([p == str(t) for p, t in zip(predicted, y_test[score], strict=True)]))


def _log_prior(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y[y != IGNORE], minlength=n_classes).astype(np.float64) + 1.0
    return np.log(counts / counts.sum())


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


def _blend_report(
    name: str,
    labels: list[str],
    y_val: np.ndarray,
    members: dict[str, np.ndarray],
    prior: np.ndarray,
    reference_accuracy: float | None,
    config: TrainConfig,
    note: Callable[[str], None],
) -> tuple[Blend, dict[str, Any]]:
    mask = y_val != IGNORE
    masked = {k: v[mask] for k, v in members.items()}
    blend, candidates = fit_blend(
        masked,
        y_val[mask],
        labels,
        config.mixing_grid,
        log_prior=prior,
        reference_accuracy=reference_accuracy,
    )
    truth = [labels[i] for i in y_val[mask]]
    probabilities = blend.probabilities(masked)
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    metrics = classification_report(truth, predicted, probabilities.max(axis=1), labels=labels)
    metrics["components"] = {
        f"{member}_macro_f1": macro_f1(truth, [labels[i] for i in logits.argmax(axis=1)])
        for member, logits in masked.items()
    }
    metrics["reference_accuracy"] = reference_accuracy
    metrics["blend"] = blend.as_dict()
    metrics["blend_search"] = candidates
    parts = ", ".join(
        f"{k.removesuffix('_macro_f1')} {v:.3f}" for k, v in metrics["components"].items()
    )
    weights = ", ".join(f"{k} {v:.1f}" for k, v in blend.weights.items() if v)
    note(
        f"{name}: validation macro-F1 {parts}; chosen {blend.choice} ({weights}, prior "
        f"{blend.prior_weight:g}) macro-F1 {metrics['macro_f1']:.3f}, accuracy "
        f"{metrics['accuracy']:.3f}"
        + (f" (reference {reference_accuracy:.3f})" if reference_accuracy is not None else "")
        + f", ECE {metrics['ece']:.3f}"
    )
    return blend, metrics


# ----------------------------------------------------------------------------- confidence


@dataclass
class _Probe:
    """Rows the final confidence is fitted on: category member logits, embeddings, texts, and
    whether the prediction counts as right (None: use the truth in `y`)."""

    members: dict[str, np.ndarray]
    normalised: np.ndarray
    texts: list[str]
    y: np.ndarray | None  # truth index per row; None for junk (always wrong)


# The weight of each made-up kind of row, as a share of the validation rows' weight.
UNSEEN_SHARE, VAGUE_SHARE, JUNK_SHARE = 0.3, 0.3, 0.15


def _fit_confidence(
    blend: Blend,
    lexical: LexicalClassifier,
    reference: ReferenceSet | None,
    validation: _Probe,
    vague: _Probe,
    junk: _Probe,
    self_rows: np.ndarray | None,
    seed: int,
    note: Callable[[str], None],
) -> tuple[ConfidenceModel, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    assert validation.y is not None  # noqa: S101 - programming error guard
    parts: list[tuple[np.ndarray, np.ndarray, float]] = []

    def add(
        probe: _Probe,
        probabilities: np.ndarray,
        correct: np.ndarray,
        share: float,
        **hide: Any,
    ) -> np.ndarray:
        predicted = probabilities.argmax(axis=1)
        if reference is None:
            # No embeddings to compare with (a budget too small to embed the rows): the
            # familiarity features are constant, so the fit gives them no weight.
            knn, same = np.zeros(len(predicted)), np.zeros(len(predicted))
        else:
            knn, same = reference.familiarity_of(probe.normalised, predicted, **hide)
        features = confidence_features(probabilities, knn, same, lexical.coverage(probe.texts))
        parts.append((features, correct, share))
        return features

    p_val = blend.probabilities(validation.members)
    correct_val = p_val.argmax(axis=1) == validation.y
    val_features = add(validation, p_val, correct_val, 1.0, self_rows=self_rows)
    # Unseen topic: half the validation rows, their own class hidden everywhere.
    half = rng.choice(len(validation.y), size=max(1, len(validation.y) // 2), replace=False)
    unseen = _Probe(
        {k: v[half] for k, v in validation.members.items()},
        validation.normalised[half],
        [validation.texts[i] for i in half],
        validation.y[half],
    )
    hidden = validation.y[half]
    add(
        unseen,
        without_class(blend.probabilities(unseen.members), hidden),
        np.zeros(len(half), dtype=bool),
        UNSEEN_SHARE,
        exclude_label=hidden,
        self_rows=None if self_rows is None else self_rows[half],
    )
    if len(vague.texts):
        assert vague.y is not None  # noqa: S101
        p_vague = blend.probabilities(vague.members)
        # A vague row's own full ticket is hidden from it like a validation row's.
        add(vague, p_vague, p_vague.argmax(axis=1) == vague.y, VAGUE_SHARE, self_rows=self_rows)
    if len(junk.texts):
        junk_p = blend.probabilities(junk.members)
        add(junk, junk_p, np.zeros(len(junk.texts), dtype=bool), JUNK_SHARE)
    features = np.vstack([f for f, _, _ in parts])
    correct = np.concatenate([c for _, c, _ in parts])
    # The validation rows keep most of the weight, so the confidence stays calibrated on
    # tickets like the organization's; each made-up kind weighs a fixed share of them.
    n_val = len(validation.y)
    weights = np.concatenate(
        [np.full(len(c), share * n_val / max(1, len(c))) for _, c, share in parts]
    )
    model = recalibrated(fit_confidence(features, correct, weights), val_features, correct_val)
    final_val = model.confidence(val_features)
    note(
        f"confidence: fitted on {len(correct)} rows ({len(validation.y)} validation, "
        f"{len(half)} unseen-topic, {len(vague.texts)} vague, {len(junk.texts)} junk); "
        f"validation mean confidence {final_val.mean():.3f} vs accuracy {correct_val.mean():.3f}"
    )
    record = {
        "predicted": p_val.argmax(axis=1).astype(int).tolist(),
        "confidence": [round(float(c), 5) for c in final_val],
        "correct": correct_val.astype(int).tolist(),
    }
    return model, record


def _probe_texts(
    texts: list[str], seed: int, confidence_rows: int | None = None
) -> tuple[list[str], list[str]]:
    """Vague versions of `texts`, and junk: a quarter as many rows as the confidence is
    fitted on (at least 40)."""
    rng = np.random.default_rng(seed + 1)
    rows = len(texts) if confidence_rows is None else confidence_rows
    return truncations(texts, rng), junk_texts(max(40, rows // 4), rng)


# ----------------------------------------------------------------------------- fine-tuning


def _train_fine_tuned(
    ctx: _Context, tokenizer: Any, encoder: torch.nn.Module
) -> tuple[dict[str, TaskHead], dict[str, Any], _Embedded]:
    config, texts, y, label_sets = ctx.config, ctx.texts, ctx.y, ctx.label_sets
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
    ctx.report(0.02, "fitting the lexical model")
    lexical_part: dict[str, LexicalClassifier] = {}
    final_lexical: dict[str, LexicalClassifier] = {}
    reference_accuracy: dict[str, float | None] = {}
    for name, labels in label_sets.items():
        lexical_part[name] = _fit_lexical(train_texts, y[name][train_idx], len(labels), config)
        final_lexical[name] = (
            _fit_lexical(texts, y[name], len(labels), config)
            if config.refit_lexical_on_all
            else lexical_part[name]
        )
        reference_accuracy[name] = _reference_accuracy(
            train_texts, y[name][train_idx], val_texts, y[name][val_idx]
        )
    ctx.report(0.1, "fine-tuning the encoder")

    tasks = {
        name: TaskLabels(len(labels), y[name][train_idx], y[name][val_idx])
        for name, labels in label_sets.items()
    }
    net = TriageNet(encoder, {name: len(labels) for name, labels in label_sets.items()})
    ft_deadline = (
        None
        if ctx.deadline is None
        else ctx.deadline - _after_training_seconds(len(texts), ctx.per_text)
    )
    result = fine_tune(
        net,
        tokenizer,
        train_texts,
        val_texts,
        tasks,
        config,
        ctx.device,
        deadline=ft_deadline,
        progress=lambda f, m: ctx.report(0.1 + 0.7 * f, m),
        forward_seconds_per_text=ctx.per_text,
    )
    ctx.note(
        f"fine-tuning stopped ({result.stopped}) after {result.steps} steps "
        f"({result.epochs:.2f} epochs, {result.seconds:.0f} s); best probe macro-F1 "
        f"{result.best_score:.3f} at step {result.best_step} ({result.probe_rows} rows)"
    )
    ctx.report(0.82, "embedding the tickets with the fine-tuned encoder")
    batch = config.batch_size * 2
    vague_texts, junk = _probe_texts(val_texts, config.seed)
    # Validation rows are always embedded (the blend and the confidence are chosen on them);
    # training rows as far as the budget allows (the embedding head and the reference set).
    embedded_train = _affordable_subset(
        ctx, train_idx, y["category"], len(val_idx) + 0.3 * (len(vague_texts) + len(junk))
    )
    embedded = np.concatenate([embedded_train, val_idx])
    pooled_some, logits_some = encode(
        net, tokenizer, [texts[i] for i in embedded], ctx.device, config.embedding_max_length, batch
    )
    normalised = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    normalised[embedded] = l2_normalise(pooled_some)
    head_logits = {}
    for name, logits in logits_some.items():
        head_logits[name] = np.zeros((len(texts), logits.shape[1]))
        head_logits[name][embedded] = logits
    pooled_vague, logits_vague = encode(
        net, tokenizer, vague_texts, ctx.device, config.embedding_max_length, batch
    )
    pooled_junk, logits_junk = encode(
        net, tokenizer, junk, ctx.device, config.embedding_max_length, batch
    )

    ctx.report(0.92, "calibrating")
    heads: dict[str, TaskHead] = {}
    metrics: dict[str, Any] = {"split": "validation (also used to choose the blend)"}
    confidence_details: dict[str, Any] = {}
    for name, labels in label_sets.items():
        rows = embedded_train[y[name][embedded_train] != IGNORE]
        emb_weight, emb_bias = _logistic_head(normalised[rows], y[name][rows], len(labels), config)

        def members(
            norm: np.ndarray,
            logits: np.ndarray,
            member_texts: list[str],
            lexical: LexicalClassifier = lexical_part[name],
            head: tuple[np.ndarray, np.ndarray] = (emb_weight, emb_bias),
        ) -> dict[str, np.ndarray]:
            return {
                "encoder": logits,
                "embedding": norm.astype(np.float64) @ head[0].T.astype(np.float64) + head[1],
                "lexical": lexical.logits(member_texts),
            }

        val_members = members(normalised[val_idx], head_logits[name][val_idx], val_texts)
        blend, metrics[name] = _blend_report(
            name,
            labels,
            y[name][val_idx],
            val_members,
            _log_prior(y[name][train_idx], len(labels)),
            reference_accuracy[name],
            config,
            ctx.note,
        )
        linear = cast(torch.nn.Linear, net.heads[name])
        head = TaskHead(
            labels=labels,
            weight=linear.weight.detach().float().cpu().numpy(),
            bias=linear.bias.detach().float().cpu().numpy(),
            lexical=final_lexical[name],
            blend=blend,
            head_input="pooled",
            embedding_weight=emb_weight,
            embedding_bias=emb_bias,
        )
        if name == "category":
            labelled_val = y[name][val_idx] != IGNORE
            fit_reference = ReferenceSet(
                normalised[embedded_train], y[name][embedded_train], labels
            )
            head.confidence, head.validation = _fit_confidence(
                blend,
                lexical_part[name],
                fit_reference,
                _Probe(
                    {k: v[labelled_val] for k, v in val_members.items()},
                    normalised[val_idx][labelled_val],
                    [t for t, m in zip(val_texts, labelled_val, strict=True) if m],
                    y[name][val_idx][labelled_val],
                ),
                _Probe(
                    members(l2_normalise(pooled_vague), logits_vague[name], vague_texts),
                    l2_normalise(pooled_vague),
                    vague_texts,
                    y[name][val_idx],
                ),
                _Probe(
                    members(l2_normalise(pooled_junk), logits_junk[name], junk),
                    l2_normalise(pooled_junk),
                    junk,
                    None,
                ),
                None,
                config.seed,
                ctx.note,
            )
            confidence_details = head.confidence.as_dict()
        heads[name] = head
    details = {
        "metrics": metrics,
        "fine_tune": {
            "steps": result.steps,
            "epochs": round(result.epochs, 3),
            "stopped": result.stopped,
            "best_step": result.best_step,
            "best_probe_macro_f1": result.best_score,
            "probe_rows": result.probe_rows,
            "seconds": round(result.seconds, 2),
            "history": result.history,
        },
        "confidence": confidence_details,
        "train_rows": len(train_idx),
        "validation_rows": len(val_idx),
    }
    details["embedded_train_rows"] = len(embedded_train)
    rows_embedded = np.sort(embedded)
    return heads, details, (rows_embedded, normalised[rows_embedded])


# ----------------------------------------------------------------------------- cold start


def _folds(
    y: np.ndarray, seed: int, holdout: float | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Five-fold cross-validation, or with `holdout` one stratified split holding out that
    share (enough rows for a validation split: five lexical fits would cost five times as
    much for little more certainty)."""
    counts = np.bincount(y)
    smallest = int(counts.min(initial=len(y), where=counts > 0))
    if holdout is not None and smallest >= 2:
        fit, held = train_test_split(
            np.arange(len(y)), test_size=holdout, stratify=y, random_state=seed
        )
        return [(np.sort(fit), np.sort(held))]
    if smallest >= 2:
        splitter: StratifiedKFold | KFold = StratifiedKFold(
            n_splits=min(5, smallest), shuffle=True, random_state=seed
        )
        return list(splitter.split(np.zeros(len(y)), y))
    return list(KFold(n_splits=min(5, len(y)), shuffle=True, random_state=seed).split(y))


# From this many labelled rows on, the cold-start strategy validates on one held-out split
# instead of five folds.
HOLDOUT_FROM_ROWS = 1000


# Below this many embedded rows the encoder member and the familiarity features are not fitted
# (cross-validating a classifier on a handful of rows says nothing).
MIN_ENCODER_ROWS = 60


def _train_frozen(
    ctx: _Context, tokenizer: Any, encoder: torch.nn.Module
) -> tuple[dict[str, TaskHead], dict[str, Any], _Embedded]:
    """Cold start (or a budget too small to fine-tune): logistic regression on frozen MiniLM
    embeddings and the lexical model, blended on out-of-fold logits. Rows are embedded as far
    as the budget allows; the lexical model always uses every row."""
    config, texts, y, label_sets = ctx.config, ctx.texts, ctx.y, ctx.label_sets
    ctx.report(0.05, "embedding the tickets with the frozen encoder")
    vague_texts = truncations(texts, np.random.default_rng(config.seed + 1))

    def embed(batch_texts: list[str]) -> np.ndarray:
        return l2_normalise(
            pooled_embeddings(
                tokenizer,
                encoder,
                batch_texts,
                device=ctx.device,
                max_length=config.embedding_max_length,
                batch_size=config.batch_size * 2,
            )
        )

    # The lexical fits of the cross-validation cost about as much as embedding the rows.
    lexical_seconds = 6 * max(1.0, len(texts) / 1000)
    embedded = _affordable_subset(
        ctx,
        np.arange(len(texts)),
        y["category"],
        0.4 * len(texts) + lexical_seconds / (ctx.per_text * 1.25),
    )
    if len(embedded) < MIN_ENCODER_ROWS:
        embedded = embedded[:0]
    embeddings = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    vague_embeddings = np.zeros_like(embeddings)
    done = 0
    # The plan above rests on the speed measured at the start; a machine that slows down
    # meanwhile (other jobs on the cores) must not push training past its budget. Embed in
    # chunks in a random order and stop where the measured pace says the next chunk would
    # eat the time the lexical fits need.
    order = np.random.default_rng(config.seed + SUBSET_SEED_OFFSET).permutation(embedded)
    chunk = 256
    while done < len(order):
        started = time.monotonic()
        rows_now = order[done : done + chunk]
        embeddings[rows_now] = embed([texts[i] for i in rows_now])
        vague_embeddings[rows_now] = embed([vague_texts[i] for i in rows_now])
        done += len(rows_now)
        pace = (time.monotonic() - started) / len(rows_now)
        if ctx.deadline is not None and done < len(order):
            left = ctx.deadline - time.monotonic() - lexical_seconds - 5.0
            if left < pace * min(chunk, len(order) - done):
                ctx.note(
                    f"time budget: the machine slowed to {1 / pace:.0f} rows/s; stopped "
                    f"embedding at {done} of {len(order)} planned rows"
                )
                break
    embedded = np.sort(order[:done]) if done >= MIN_ENCODER_ROWS else embedded[:0]
    is_embedded = np.zeros(len(texts), dtype=bool)
    is_embedded[embedded] = True
    ctx.report(0.5, "cross-validating the frozen and lexical classifiers")
    heads: dict[str, TaskHead] = {}
    metrics: dict[str, Any] = {"split": "out-of-fold (cross-validation on the training rows)"}
    confidence_details: dict[str, Any] = {}
    for name, labels in label_sets.items():
        k = len(labels)
        rows = np.flatnonzero(y[name] != IGNORE)
        y_task = y[name][rows]
        task_texts = [texts[i] for i in rows]
        # Out-of-fold logits stand in for a validation split, which few labels can't spare.
        oof_lexical = np.zeros((len(rows), k))
        oof_vague_lexical = np.zeros((len(rows), k))
        reference_hits = 0.0
        holdout = config.validation_fraction if len(rows) >= HOLDOUT_FROM_ROWS else None
        scored = np.zeros(len(rows), dtype=bool)
        x_all = embeddings[rows]
        emb = is_embedded[rows]
        use_encoder = int(emb.sum()) >= MIN_ENCODER_ROWS and len(np.unique(y_task[emb])) >= 2
        oof_encoder = np.zeros((len(rows), k))
        oof_vague_encoder = np.zeros((len(rows), k))
        for fit_idx, held_idx in _folds(y_task, config.seed, holdout):
            scored[held_idx] = True
            lexical = _fit_lexical([task_texts[i] for i in fit_idx], y_task[fit_idx], k, config)
            oof_lexical[held_idx] = lexical.logits([task_texts[i] for i in held_idx])
            if name == "category":
                oof_vague_lexical[held_idx] = lexical.logits(
                    [vague_texts[rows[i]] for i in held_idx]
                )
            hit = _reference_accuracy(
                [task_texts[i] for i in fit_idx],
                y_task[fit_idx],
                [task_texts[i] for i in held_idx],
                y_task[held_idx],
            )
            reference_hits += (hit or 0.0) * len(held_idx)
            # The encoder member on the same folds, over the rows that were embedded.
            fit_emb, held_emb = fit_idx[emb[fit_idx]], held_idx[emb[held_idx]]
            if use_encoder and len(np.unique(y_task[fit_emb])) >= 2:
                w, b = _logistic_head(x_all[fit_emb], y_task[fit_emb], k, config)
                oof_encoder[held_emb] = x_all[held_emb] @ w.T + b
                oof_vague_encoder[held_emb] = vague_embeddings[rows[held_emb]] @ w.T + b
        reference_accuracy = reference_hits / int(scored.sum()) if scored.any() else None
        # The blend needs both members on the same rows: held-out AND embedded.
        use_encoder = use_encoder and int((scored & emb).sum()) >= MIN_ENCODER_ROWS // 2
        if use_encoder:
            fit_rows = np.flatnonzero(scored & emb)
            weight, bias = _logistic_head(x_all[emb], y_task[emb], k, config)
            members = {"encoder": oof_encoder[fit_rows], "lexical": oof_lexical[fit_rows]}
            vague_members = {
                "encoder": oof_vague_encoder[fit_rows],
                "lexical": oof_vague_lexical[fit_rows],
            }
        else:
            weight = np.zeros((k, EMBEDDING_DIM), dtype=np.float32)
            bias = np.zeros(k, dtype=np.float32)
            fit_rows = np.flatnonzero(scored)
            members = {"lexical": oof_lexical[fit_rows]}
            vague_members = {"lexical": oof_vague_lexical[fit_rows]}
        blend, metrics[name] = _blend_report(
            name,
            labels,
            y_task[fit_rows],
            members,
            _log_prior(y_task, k),
            reference_accuracy,
            config,
            ctx.note,
        )
        final_lexical = _fit_lexical(task_texts, y_task, k, config)
        head = TaskHead(
            labels=labels,
            weight=weight,
            bias=bias,
            lexical=final_lexical,
            blend=blend,
            head_input="normalised",
        )
        if name == "category":
            fit_x = embeddings[rows[fit_rows]]
            # Familiarity is measured against every embedded row (as served), each scored row
            # hidden from itself.
            emb_rows = np.flatnonzero(emb)
            self_rows = np.searchsorted(emb_rows, fit_rows)
            _, junk = _probe_texts([], config.seed, len(fit_rows))
            junk_x = embed(junk) if use_encoder else np.zeros((len(junk), EMBEDDING_DIM))
            junk_members = {"lexical": final_lexical.logits(junk)}
            if use_encoder:
                junk_members["encoder"] = junk_x @ weight.T + bias
            head.confidence, head.validation = _fit_confidence(
                blend,
                final_lexical,
                ReferenceSet(x_all[emb_rows], y_task[emb_rows], labels) if use_encoder else None,
                _Probe(members, fit_x, [task_texts[i] for i in fit_rows], y_task[fit_rows]),
                _Probe(
                    vague_members,
                    vague_embeddings[rows[fit_rows]],
                    [vague_texts[rows[i]] for i in fit_rows],
                    y_task[fit_rows],
                ),
                _Probe(junk_members, junk_x, junk, None),
                self_rows,
                config.seed,
                ctx.note,
            )
            confidence_details = head.confidence.as_dict()
        heads[name] = head
    details = {
        "metrics": metrics,
        "confidence": confidence_details,
        "train_rows": len(texts),
        "validation_rows": 0,
        "embedded_rows": len(embedded),
    }
    return heads, details, (embedded, embeddings[embedded])
