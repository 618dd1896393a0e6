"""Synthetic tickets whose category and priority follow from their words, so a model that
learns anything at all scores far above chance on them."""

from __future__ import annotations

import random
from pathlib import Path

CATEGORY_WORDS = {
    "network": ["vpn", "wifi", "router", "dns", "firewall", "ethernet", "proxy"],
    "hardware": ["printer", "laptop", "monitor", "keyboard", "docking", "battery", "toner"],
    "access": ["password", "login", "account", "locked", "permission", "mfa", "token"],
    "software": ["excel", "install", "license", "update", "crash", "outlook", "plugin"],
}
PRIORITY_WORDS = {
    "low": ["whenever convenient", "no rush", "minor cosmetic"],
    "medium": ["this week please", "somewhat annoying", "needed soon"],
    "high": ["urgent outage", "blocking everyone", "production down asap"],
}
FILLER = ["hello", "team", "please", "help", "thanks", "issue", "since", "today", "my", "the"]


def tickets(n: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(seed)
    texts, categories, priorities = [], [], []
    cats, levels = sorted(CATEGORY_WORDS), sorted(PRIORITY_WORDS)
    for i in range(n):
        category, priority = cats[i % len(cats)], levels[(i // len(cats)) % len(levels)]
        words = rng.sample(CATEGORY_WORDS[category], 2) + rng.sample(FILLER, 4)
        rng.shuffle(words)
        texts.append(f"{' '.join(words)} {rng.choice(PRIORITY_WORDS[priority])}")
        categories.append(category)
        priorities.append(priority)
    return texts, categories, priorities


def tiny_model_save(path: Path, relabel: dict[str, str] | None = None) -> Path:
    """The tests' tiny triage model: trained on 120 synthetic tickets (seed 3), cold start,
    unquantized, saved at `path`. `relabel` renames categories (a challenger that answers
    differently). One recipe for the session fixture, the cross-process tests and the
    artifact bench."""
    from ml.engine import ServeConfig, TrainConfig, train_triage

    texts, categories, priorities = tickets(120, seed=3)
    if relabel:
        categories = [relabel[c] for c in categories]
    model = train_triage(
        texts,
        categories,
        priorities,
        config=TrainConfig(console_progress=False, num_threads=2),
        serve_config=ServeConfig(quantization="none"),
    )
    model.save(path)
    return path
