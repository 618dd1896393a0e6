"""The reference set: every labelled training ticket's embedding, label, key and title, saved
with the model. It answers two questions at serving time with one matrix product:
"which labelled tickets is this one like?" (the explanation's neighbours) and "how familiar is
this ticket?" (the in-distribution part of the confidence)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# The neighbours the explanation lists, and the neighbours the familiarity score averages.
NEIGHBOURS_SHOWN = 3
FAMILIARITY_K = 5


@dataclass
class Neighbour:
    key: str
    label: str
    similarity: float
    title: str

    def as_dict(self) -> dict[str, str | float]:
        return {
            "key": self.key,
            "label": self.label,
            "similarity": round(self.similarity, 4),
            "title": self.title,
        }


@dataclass
class ReferenceSet:
    embeddings: np.ndarray  # (n, d) float32, L2-normalised
    labels: np.ndarray  # (n,) category index
    label_names: list[str]
    keys: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.labels)
        self.keys = list(self.keys) or [""] * n
        self.titles = list(self.titles) or [""] * n
        if self.embeddings.shape[0] != n or len(self.keys) != n or len(self.titles) != n:
            raise ValueError("reference set: embeddings, labels, keys and titles differ in length")

    def __len__(self) -> int:
        return len(self.labels)

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        """(n_queries, n_reference) cosine similarities (both sides are normalised)."""
        if len(self) == 0:
            return np.zeros((len(queries), 0), dtype=np.float32)
        return np.asarray(queries, dtype=np.float32) @ self.embeddings.T

    def familiarity(
        self, sims: np.ndarray, predicted: np.ndarray, *, exclude_label: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per query: the mean similarity of its FAMILIARITY_K nearest reference tickets, and
        its similarity to the nearest one of the predicted class. `exclude_label[i]` hides one
        class from query i (training simulates tickets of a topic the model never saw)."""
        n = sims.shape[0]
        if sims.shape[1] == 0:
            return np.zeros(n), np.zeros(n)
        sims = sims.astype(np.float32, copy=True)
        if exclude_label is not None:
            sims[self.labels[None, :] == np.asarray(exclude_label)[:, None]] = -1.0
        k = min(FAMILIARITY_K, sims.shape[1])
        top = -np.partition(-sims, k - 1, axis=1)[:, :k]
        same = np.where(self.labels[None, :] == np.asarray(predicted)[:, None], sims, -1.0)
        return top.mean(axis=1).astype(np.float64), same.max(axis=1).astype(np.float64)

    def familiarity_of(
        self,
        queries: np.ndarray,
        predicted: np.ndarray,
        *,
        exclude_label: np.ndarray | None = None,
        self_rows: np.ndarray | None = None,
        chunk: int = 1024,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`familiarity` for any number of queries, a chunk at a time (the full similarity
        matrix of tens of thousands of tickets would not fit); `self_rows[i]` is query i's own
        row in the reference, hidden from it."""
        knn, same = np.zeros(len(queries)), np.zeros(len(queries))
        for start in range(0, len(queries), chunk):
            stop = min(start + chunk, len(queries))
            sims = self.similarities(queries[start:stop])
            if self_rows is not None and sims.shape[1]:
                sims[np.arange(stop - start), self_rows[start:stop]] = -1.0
            knn[start:stop], same[start:stop] = self.familiarity(
                sims,
                predicted[start:stop],
                exclude_label=None if exclude_label is None else exclude_label[start:stop],
            )
        return knn, same

    def nearest(self, query: np.ndarray, k: int = NEIGHBOURS_SHOWN) -> list[Neighbour]:
        """The k reference tickets most similar to one (normalised) query, best first."""
        if len(self) == 0:
            return []
        sims_row = self.similarities(np.asarray(query)[None, :])[0]
        k = min(k, len(self))
        top = np.argpartition(-sims_row, k - 1)[:k]
        top = top[np.argsort(-sims_row[top], kind="stable")]
        return [
            Neighbour(
                self.keys[i],
                self.label_names[int(self.labels[i])],
                float(sims_row[i]),
                self.titles[i],
            )
            for i in top
        ]

    def save(self, directory: Path) -> None:
        # float16 halves the artifact; cosine similarities move by ~1e-3, far below any
        # decision made on them.
        np.savez(
            directory / "reference.npz",
            embeddings=self.embeddings.astype(np.float16),
            labels=self.labels.astype(np.int32),
        )
        (directory / "reference.json").write_text(
            json.dumps(
                {"label_names": self.label_names, "keys": self.keys, "titles": self.titles},
                ensure_ascii=False,
            )
        )

    @classmethod
    def load(cls, directory: Path) -> ReferenceSet | None:
        if not (directory / "reference.npz").is_file():
            return None  # an artifact from before the reference set
        meta = json.loads((directory / "reference.json").read_text())
        with np.load(directory / "reference.npz", allow_pickle=False) as arrays:
            return cls(
                embeddings=arrays["embeddings"].astype(np.float32),
                labels=arrays["labels"].astype(np.int64),
                label_names=list(meta["label_names"]),
                keys=list(meta["keys"]),
                titles=list(meta["titles"]),
            )


def build_reference(
    embeddings: np.ndarray,
    labels: np.ndarray,
    label_names: Sequence[str],
    keys: Sequence[str] | None,
    titles: Sequence[str] | None,
) -> ReferenceSet:
    return ReferenceSet(
        embeddings=np.asarray(embeddings, dtype=np.float32),
        labels=np.asarray(labels, dtype=np.int64),
        label_names=list(label_names),
        keys=[str(k) for k in keys] if keys is not None else [],
        titles=[str(t)[:200] for t in titles] if titles is not None else [],
    )
