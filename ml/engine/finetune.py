"""Multi-task fine-tuning: one shared MiniLM pass, one linear head per task (category,
priority), early stopping on validation macro-F1 inside a wall-clock budget."""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .config import TrainConfig
from .encoder import EMBEDDING_DIM, autocast, mean_pool, token_lengths, tokenize
from .metrics import macro_f1

IGNORE = -100
ProgressFn = Callable[[float, str], None]


class TriageNet(nn.Module):
    def __init__(self, encoder: nn.Module, head_sizes: dict[str, int], dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(EMBEDDING_DIM, size) for name, size in head_sizes.items()}
        )

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = mean_pool(hidden, attention_mask)
        dropped = self.dropout(pooled)
        return pooled, {name: head(dropped) for name, head in self.heads.items()}


@dataclass
class TaskLabels:
    n_classes: int
    train: np.ndarray  # class index per training row, IGNORE where unlabelled
    val: np.ndarray


@dataclass
class FineTuneResult:
    best_score: float
    best_step: int
    steps: int
    epochs: float
    stopped: str  # "epochs" | "early_stopping" | "time_budget"
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    probe_rows: int = 0  # validation rows scored at each checkpoint


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - third-party code may draw from the legacy global RNG
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def bucketed_epoch(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffle, sort inside windows of 50 batches by length, then shuffle the batches: little
    padding, yet each epoch still sees a different order and mix."""
    order = rng.permutation(len(lengths))
    window = batch_size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    labelled = y[y != IGNORE]
    counts = np.bincount(labelled, minlength=n_classes).astype(np.float64)
    weights = np.where(counts > 0, len(labelled) / (n_classes * np.maximum(counts, 1)), 0.0)
    return torch.tensor(weights, dtype=torch.float32)


def fine_tune(
    net: TriageNet,
    tokenizer: Any,
    train_texts: Sequence[str],
    val_texts: Sequence[str],
    tasks: dict[str, TaskLabels],
    config: TrainConfig,
    device: torch.device,
    *,
    deadline: float | None,
    progress: ProgressFn,
    forward_seconds_per_text: float,
) -> FineTuneResult:
    """Trains `net` in place and leaves it holding the best validation checkpoint.

    Checkpoints are scored on a fixed probe of at most `config.validation_probe_rows`
    validation rows, whose cost follows from the measured forward speed; the caller scores the
    whole validation split once, afterwards. A step is taken while it and the next due probe
    fit before `deadline`, judged by the median of the recent steps — never by the first,
    which pays for warm-up — so a slow start cannot end training at step 1."""
    started = time.monotonic()
    seed_everything(config.seed)
    rng = np.random.default_rng(config.seed)
    net.to(device)
    lengths = token_lengths(tokenizer, train_texts, config.max_length)
    steps_per_epoch = math.ceil(len(train_texts) / config.batch_size)
    planned_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    eval_every = max(1, steps_per_epoch // max(1, config.evals_per_epoch))

    encoder_params = [p for n, p in net.named_parameters() if not n.startswith("heads.")]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_params, "lr": config.lr},
            {"params": net.heads.parameters(), "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
    )
    schedule = {"total": planned_steps}
    warmup = max(1, int(config.warmup_fraction * planned_steps))

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (schedule["total"] - step) / max(1, schedule["total"] - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    losses = {
        name: nn.CrossEntropyLoss(
            weight=class_weights(t.train, t.n_classes).to(device)
            if config.class_weighting
            else None,
            ignore_index=IGNORE,
        )
        for name, t in tasks.items()
    }
    targets = {name: torch.tensor(t.train, dtype=torch.long) for name, t in tasks.items()}

    best_score, best_step, best_state = -1.0, 0, copy.deepcopy(net.state_dict())
    history: list[dict[str, float]] = []
    evals_without_gain = 0
    step, stopped = 0, "epochs"
    step_seconds: list[float] = []
    probe = _probe_rows(tasks, len(val_texts), config.validation_probe_rows, rng)
    probe_texts = [val_texts[i] for i in probe]
    # Measured forward speed × rows, with a margin for a noisy machine.
    probe_seconds = forward_seconds_per_text * len(probe) * 1.5
    # Until a few steps are timed: a training step costs about three forward passes.
    first_guess = forward_seconds_per_text * config.batch_size * 3

    def step_estimate() -> float:
        recent = step_seconds[1:][-8:]  # the first step pays for warm-up
        return float(np.median(recent)) if recent else first_guess

    def validate() -> None:
        nonlocal best_score, best_step, best_state, evals_without_gain, probe_seconds
        t0 = time.monotonic()
        _, logits = encode(
            net, tokenizer, probe_texts, device, config.max_length, config.batch_size * 2
        )
        probe_seconds = (time.monotonic() - t0) * 1.2
        scores = []
        for name, t in tasks.items():
            truth_all = t.val[probe]
            mask = truth_all != IGNORE
            if mask.any():
                scores.append(
                    macro_f1(truth_all[mask].tolist(), logits[name][mask].argmax(axis=1).tolist())
                )
        score = float(np.mean(scores)) if scores else 0.0
        history.append({"step": step, "epoch": step / steps_per_epoch, "val_macro_f1": score})
        if score > best_score:
            best_score, best_step = score, step
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            evals_without_gain = 0
        else:
            evals_without_gain += 1

    bar = tqdm(
        total=planned_steps, desc="fine-tune", disable=not config.console_progress, leave=False
    )
    epoch = 0
    done = False
    while not done:
        for index in bucketed_epoch(lengths, config.batch_size, rng):
            if step >= planned_steps:
                done = True
                break
            probe_due = probe_seconds if (step + 1) % eval_every == 0 else 0.0
            if deadline is not None and time.monotonic() + step_estimate() + probe_due > deadline:
                stopped, done = "time_budget", True
                break
            t0 = time.monotonic()
            net.train()
            batch = tokenize(tokenizer, [train_texts[i] for i in index], config.max_length, device)
            with autocast(device):
                _, logits = net(batch["input_ids"], batch["attention_mask"])
                loss = sum(
                    (
                        _masked_loss(
                            losses[name], logits[name].float(), targets[name][index].to(device)
                        )
                        for name in tasks
                    ),
                    start=torch.zeros((), device=device),
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            step_seconds.append(time.monotonic() - t0)
            if step == 10 and deadline is not None:
                # Shrink the lr schedule to what the budget affords, so the decay completes.
                per_step = step_estimate() + probe_seconds / eval_every
                affordable = int((deadline - time.monotonic()) / per_step)
                schedule["total"] = max(warmup + 1, min(planned_steps, step + affordable))
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", best=f"{max(best_score, 0):.3f}")
            progress(
                min(step / schedule["total"], 1.0),
                f"fine-tuning step {step}/{schedule['total']}, best val macro-F1 "
                f"{max(best_score, 0):.3f}",
            )
            if step % eval_every == 0:
                validate()
                if evals_without_gain >= config.patience:
                    stopped, done = "early_stopping", True
                    break
        epoch += 1
        if epoch > math.ceil(config.epochs):
            done = True
    bar.close()
    if step and (not history or history[-1]["step"] != step):
        # The last steps since the previous checkpoint; the caller's reserve covers this.
        validate()
    net.load_state_dict(best_state)
    return FineTuneResult(
        best_score=max(best_score, 0.0),
        best_step=best_step,
        steps=step,
        epochs=step / steps_per_epoch,
        stopped=stopped,
        history=history,
        seconds=time.monotonic() - started,
        probe_rows=len(probe),
    )


def _probe_rows(
    tasks: dict[str, TaskLabels], n_val: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """A fixed subset of the validation rows for checkpoints, stratified by category so a
    rare class is not left out of the probe by chance."""
    if n_val <= size:
        return np.arange(n_val)
    labels = next(iter(tasks.values())).val if "category" not in tasks else tasks["category"].val
    chosen: list[int] = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        take = max(1, round(size * len(rows) / n_val))
        chosen.extend(rng.choice(rows, size=min(take, len(rows)), replace=False).tolist())
    return np.sort(np.asarray(chosen[: max(size, len(np.unique(labels)))], dtype=np.int64))


def _masked_loss(loss_fn: nn.Module, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if bool((target == IGNORE).all()):
        return logits.sum() * 0.0  # keeps the graph intact when a batch has no label here
    return loss_fn(logits, target)


def encode(
    net: TriageNet,
    tokenizer: Any,
    texts: Sequence[str],
    device: torch.device,
    max_length: int,
    batch_size: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mean-pooled embeddings (n, 384) and every head's logits, in one forward pass."""
    out = {
        name: np.zeros((len(texts), cast(nn.Linear, head).out_features), dtype=np.float64)
        for name, head in net.heads.items()
    }
    pooled_out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return pooled_out, out
    lengths = token_lengths(tokenizer, texts, max_length)
    order = np.argsort(lengths, kind="stable")
    net.eval()
    with torch.inference_mode(), autocast(device):
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = tokenize(tokenizer, [texts[i] for i in index], max_length, device)
            pooled, logits = net(batch["input_ids"], batch["attention_mask"])
            pooled_out[index] = pooled.float().cpu().numpy()
            for name, value in logits.items():
                out[name][index] = value.float().cpu().numpy()
    return pooled_out, out
