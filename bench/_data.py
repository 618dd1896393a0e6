"""Loading the shared benchmark datasets (read in place, never copied into the repository)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

from ml.engine.evaluation import LabelledTexts, read_labelled_csv

DATASETS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


@dataclass
class Split:
    name: str
    train: LabelledTexts
    test: LabelledTexts
    train_priorities: list[str] | None = None
    test_priorities: list[str] | None = None


def _subset(data: LabelledTexts, index: list[int]) -> LabelledTexts:
    return LabelledTexts(
        [data.texts[i] for i in index],
        [data.labels[i] for i in index],
        {k: [v[i] for i in index] for k, v in data.extra.items()},
    )


def load_split(name: str, datasets_dir: Path = DATASETS_DIR, min_class_rows: int = 10) -> Split:
    """Stratified 80/20, random_state=0, as in the datasets' README baselines."""
    if name == "helpdesk_qa":
        data = read_labelled_csv(
            datasets_dir / "helpdesk_qa.csv", "subject,body", "queue", extra_cols=["priority"]
        )
    elif name == "endava_tickets":
        data = read_labelled_csv(datasets_dir / "endava_tickets.csv", "title,body", "category")
    else:
        raise ValueError(f"unknown dataset {name}")
    counts = Counter(data.labels)
    keep = [i for i, label in enumerate(data.labels) if counts[label] >= min_class_rows]
    data = _subset(data, keep)
    train_idx, test_idx = train_test_split(
        list(range(len(data.labels))), test_size=0.2, stratify=data.labels, random_state=0
    )
    split = Split(name, _subset(data, train_idx), _subset(data, test_idx))
    if "priority" in data.extra:
        split.train_priorities = split.train.extra["priority"]
        split.test_priorities = split.test.extra["priority"]
    return split


def load_sampled_split(
    name: str,
    train_rows: int,
    test_rows: int,
    *,
    seed: int = 0,
    datasets_dir: Path = DATASETS_DIR,
    min_class_rows: int = 10,
) -> Split:
    """A stratified sample of `train_rows` training and `test_rows` test tickets (classes
    with at least `min_class_rows` rows): the fixed-size protocol of the quality targets
    ("3,000 training tickets, --time-budget 120")."""
    full = load_split(name, datasets_dir, min_class_rows)
    data = LabelledTexts(
        full.train.texts + full.test.texts,
        full.train.labels + full.test.labels,
        {k: full.train.extra[k] + full.test.extra[k] for k in full.train.extra},
    )
    index = list(range(len(data.labels)))
    train_idx, rest = train_test_split(
        index,
        train_size=min(train_rows, len(index) - 2 * len(set(data.labels))),
        stratify=data.labels,
        random_state=seed,
    )
    counts = Counter(data.labels[i] for i in rest)
    rest = [i for i in rest if counts[data.labels[i]] >= 2]
    test_idx, _ = (
        train_test_split(
            rest, train_size=test_rows, stratify=[data.labels[i] for i in rest], random_state=seed
        )
        if test_rows < len(rest)
        else (rest, [])
    )
    split = Split(name, _subset(data, train_idx), _subset(data, test_idx))
    if "priority" in data.extra:
        split.train_priorities = split.train.extra["priority"]
        split.test_priorities = split.test.extra["priority"]
    return split
