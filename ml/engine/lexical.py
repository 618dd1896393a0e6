"""The sparse lexical component: TF-IDF word 1–2-grams (+ character 2–5-grams) with a
class-balanced LinearSVC. Saved as JSON + .npz (no pickle), so loading an artifact never
executes code from it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

# Margins of classes the SVC never saw (a fold without them) sit far below any real margin.
_ABSENT_MARGIN = -10.0
# A word in more than this share of the training tickets says little about any one of them.
INFORMATIVE_DF_SHARE = 0.1
# Up to this many texts per call, features are computed without sklearn's transform().
_FAST_PATH_MAX_TEXTS = 8


def _vectorizer_params(kind: str, min_df: int) -> dict[str, Any]:
    if kind == "word":
        return {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1, "dtype": np.float32}
    return {
        "analyzer": "char_wb",
        "ngram_range": (2, 5),
        "sublinear_tf": True,
        "min_df": min_df,
        "dtype": np.float32,
    }


def _vocabulary(vectorizer: TfidfVectorizer) -> dict[str, int]:
    # A vectorizer rebuilt from a saved vocabulary only sets vocabulary_ on first use.
    return getattr(vectorizer, "vocabulary_", None) or vectorizer.vocabulary


class LexicalClassifier:
    def __init__(self, n_classes: int, *, char_ngrams: bool = True, c: float = 1.0) -> None:
        self.n_classes = n_classes
        self.char_ngrams = char_ngrams
        self.c = c
        self.vectorizers: dict[str, TfidfVectorizer] = {}
        self.coef = np.zeros((n_classes, 0), dtype=np.float32)
        self.intercept = np.full(n_classes, _ABSENT_MARGIN, dtype=np.float32)
        self._coef_t: np.ndarray | None = None
        self._analyzers: dict[str, Any] = {}
        self._terms: dict[str, list[str]] = {}
        self._informative_idf: float | None = None
        self._gram_cache: dict[str, np.ndarray] = {}

    def fit(self, texts: Sequence[str], y: np.ndarray) -> LexicalClassifier:
        kinds = ["word", "char"] if self.char_ngrams else ["word"]
        # Tiny cold-start sets would lose most character n-grams to min_df=2.
        min_df = 2 if len(texts) >= 200 else 1
        self.vectorizers = {}
        self._analyzers = {}
        self._terms = {}
        self._gram_cache = {}
        self._informative_idf = None
        blocks = []
        for kind in kinds:
            vectorizer = TfidfVectorizer(**_vectorizer_params(kind, min_df))
            try:
                blocks.append(vectorizer.fit_transform(texts))
            except ValueError:  # empty vocabulary: texts without any usable token
                continue
            self.vectorizers[kind] = vectorizer
        n_features = sum(b.shape[1] for b in blocks)
        self.coef = np.zeros((self.n_classes, n_features), dtype=np.float32)
        self.intercept = np.full(self.n_classes, _ABSENT_MARGIN, dtype=np.float32)
        self._coef_t = None
        present = np.unique(y)
        if len(present) == 1:
            self.intercept[present[0]] = 0.0
            return self
        if not blocks:
            self.intercept[present] = 0.0
            return self
        svc = LinearSVC(C=self.c, class_weight="balanced", random_state=0)
        svc.fit(sp.hstack(blocks).tocsr(), y)
        coef, intercept = svc.coef_, svc.intercept_
        if len(present) == 2:  # sklearn keeps one row for two classes: margin of the second
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef[present] = coef.astype(np.float32)
        self.intercept[present] = intercept.astype(np.float32)
        return self

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        if len(texts) <= _FAST_PATH_MAX_TEXTS:
            return self._features_small_batch(texts)
        return self._features_sklearn(texts)

    def _features_small_batch(self, texts: Sequence[str]) -> sp.csr_matrix:
        """sklearn's TF-IDF (counts -> 1 + log tf -> x idf -> l2 per vectorizer) without its
        per-call validation, which costs more than the arithmetic for a single ticket."""
        indptr, indices, values = [0], [], []
        for text in texts:
            offset, row_nnz = 0, 0
            for kind in ("word", "char"):
                vectorizer = self.vectorizers.get(kind)
                if vectorizer is None:
                    continue
                vocabulary = _vocabulary(vectorizer)
                analyze = self._analyzers.get(kind)
                if analyze is None:
                    analyze = self._analyzers[kind] = vectorizer.build_analyzer()
                counts: dict[int, int] = {}
                for term in analyze(text):
                    index = vocabulary.get(term)
                    if index is not None:
                        counts[index] = counts.get(index, 0) + 1
                if counts:
                    cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
                    weights = (np.log(tf) + 1.0) * vectorizer.idf_[cols]
                    weights /= max(float(np.sqrt(np.dot(weights, weights))), 1e-12)
                    indices.append(cols + offset)
                    values.append(weights.astype(np.float32))
                    row_nnz += len(cols)
                offset += len(vocabulary)
            indptr.append(indptr[-1] + row_nnz)
        n_features = sum(len(_vocabulary(v)) for v in self.vectorizers.values())
        return sp.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr),
            ),
            shape=(len(texts), n_features),
        )

    def _features_sklearn(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [
            self.vectorizers[k].transform(texts) for k in ("word", "char") if k in self.vectorizers
        ]
        if not blocks:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        return sp.hstack(blocks).tocsr()

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """SVC margins per class, (n, n_classes); calibrated later by temperature scaling."""
        if len(texts) == 0:
            return np.zeros((0, self.n_classes))
        return self.logits_from_features(self.features(texts))

    def logits_from_features(self, features: sp.csr_matrix) -> np.ndarray:
        if self._coef_t is None or self._coef_t.shape[::-1] != self.coef.shape:
            # sparse @ coef.T would copy the transposed (features x classes) matrix on every
            # call: over a millisecond per ticket at a few hundred thousand features.
            self._coef_t = np.ascontiguousarray(self.coef.T)
        scores = features @ self._coef_t
        return np.asarray(scores, dtype=np.float64) + self.intercept

    # --- what the confidence and the explanation read ---------------------------------------

    def coverage(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3): share of the text's words the model knows, its word count, and how many
        distinct known words are informative: seen in at most INFORMATIVE_DF_SHARE of the
        training tickets (not 'the', 'it', 'please'). Junk knows few words; "it doesn't work"
        knows them all but says nothing."""
        out = np.zeros((len(texts), 3))
        vectorizer = self.vectorizers.get("word")
        if vectorizer is None:
            return out
        vocabulary = _vocabulary(vectorizer)
        if self._informative_idf is None:
            # sklearn's smooth idf is ln((1 + n) / (1 + df)) + 1; a word seen once has the
            # largest, which gives back n, the number of training tickets.
            n_docs = 2.0 * np.exp(float(vectorizer.idf_.max()) - 1.0) - 1.0
            self._informative_idf = float(
                np.log((1.0 + n_docs) / (1.0 + INFORMATIVE_DF_SHARE * n_docs)) + 1.0
            )
        tokenize = vectorizer.build_tokenizer()
        preprocess = vectorizer.build_preprocessor()
        floor = self._informative_idf
        for i, text in enumerate(texts):
            tokens = tokenize(preprocess(text))
            if not tokens:
                continue
            known = [t for t in tokens if t in vocabulary]
            informative = {t for t in known if vectorizer.idf_[vocabulary[t]] >= floor}
            out[i] = (len(known) / len(tokens), len(tokens), len(informative))
        return out

    def _term_list(self, kind: str) -> list[str]:
        terms = self._terms.get(kind)
        if terms is None:
            vocabulary = _vocabulary(self.vectorizers[kind])
            terms = [""] * len(vocabulary)
            for term, index in vocabulary.items():
                terms[index] = term
            self._terms[kind] = terms
        return terms

    def explain(
        self,
        text: str,
        class_index: int,
        *,
        top: int = 6,
        scale: float = 1.0,
        features: sp.csr_matrix | None = None,
    ) -> list[tuple[str, float]]:
        """The text's words with their exact share of the class's margin over the mean of the
        other classes (tf-idf value × coefficient difference), largest |weight| first. Word
        bigrams are split between their two words and character n-grams between the words
        that contain them, so every weight lands on a word the requester wrote."""
        if not self.vectorizers or self.coef.shape[1] == 0:
            return []
        row = self.features([text]) if features is None else features
        indices = row.indices
        # Only the text's own columns: the mean over every feature column cost more than the
        # rest of the explanation (a 10 × 160k matrix per call).
        columns = self.coef[:, indices]
        others = [k for k in range(self.n_classes) if k != class_index]
        coef = columns[class_index] - (columns[others].mean(axis=0) if others else 0.0)
        contributions = row.data * coef
        weights: dict[str, float] = {}
        word_vectorizer = self.vectorizers.get("word")
        words: list[str] = []
        word_size = 0
        if word_vectorizer is not None:
            words = word_vectorizer.build_tokenizer()(word_vectorizer.build_preprocessor()(text))
            word_size = len(_vocabulary(word_vectorizer))
        is_word = indices < word_size
        word_terms = self._term_list("word") if word_vectorizer is not None else []
        for index, value in zip(indices[is_word], contributions[is_word], strict=True):
            if not value:
                continue
            parts = word_terms[index].split()
            for part in parts:
                weights[part] = weights.get(part, 0.0) + float(value) * scale / len(parts)
        if "char" in self.vectorizers and not is_word.all() and words:
            self._add_char_weights(
                words, indices[~is_word], contributions[~is_word], word_size, scale, weights
            )
        ranked = sorted(weights.items(), key=lambda item: (-abs(item[1]), item[0]))
        return [(term, round(weight, 4)) for term, weight in ranked[:top] if abs(weight) > 1e-4]

    def _add_char_weights(
        self,
        words: list[str],
        indices: np.ndarray,
        contributions: np.ndarray,
        offset: int,
        scale: float,
        weights: dict[str, float],
    ) -> None:
        """Splits each character n-gram's contribution between the words that contain it (a
        gram twice in a word counts twice), vectorised over cached per-word gram columns."""
        distinct = sorted(set(words))
        grams = [self._word_grams(word, offset) for word in distinct]
        every = np.concatenate(grams)
        if not len(every):
            return
        order = np.argsort(indices)
        sorted_indices, sorted_values = indices[order], contributions[order]
        columns, owners = np.unique(every, return_counts=True)
        position = np.searchsorted(sorted_indices, columns).clip(max=len(sorted_indices) - 1)
        present = sorted_indices[position] == columns
        share = np.where(present, sorted_values[position], 0.0) / owners
        per_gram = share[np.searchsorted(columns, every)]
        sizes = np.asarray([len(own) for own in grams])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        totals = np.add.reduceat(per_gram, starts[sizes > 0])
        owning = [word for word, size in zip(distinct, sizes, strict=True) if size]
        for word, total in zip(owning, totals, strict=True):
            if total:
                weights[word] = weights.get(word, 0.0) + float(total) * scale

    _WORD_GRAM_CACHE = 50_000

    def _word_grams(self, word: str, offset: int) -> np.ndarray:
        """The feature columns of the character n-grams of " word " (char_wb pads words),
        with repeats; words recur across tickets, so they are cached per model."""
        cache = self._gram_cache
        found = cache.get(word)
        if found is None:
            vectorizer = self.vectorizers["char"]
            vocabulary = _vocabulary(vectorizer)
            low, high = vectorizer.ngram_range
            padded = f" {word} "
            found = np.asarray(
                [
                    vocabulary[gram] + offset
                    for n in range(low, high + 1)
                    for start in range(len(padded) - n + 1)
                    if (gram := padded[start : start + n]) in vocabulary
                ],
                dtype=np.int64,
            )
            if len(cache) >= self._WORD_GRAM_CACHE:
                cache.clear()
            cache[word] = found
        return found

    def same_features_as(self, other: LexicalClassifier) -> bool:
        """True when both map text to the same feature space (same vocabularies and idf), so
        one TF-IDF pass can serve both (category and priority fitted on the same rows)."""
        if self.vectorizers.keys() != other.vectorizers.keys():
            return False
        for kind, mine in self.vectorizers.items():
            theirs = other.vectorizers[kind]
            if _vocabulary(mine) != _vocabulary(theirs) or not np.array_equal(
                mine.idf_, theirs.idf_
            ):
                return False
        return True

    def save(self, directory: Path, name: str) -> None:
        meta: dict[str, Any] = {
            "n_classes": self.n_classes,
            "char_ngrams": self.char_ngrams,
            "c": self.c,
            "vectorizers": {},
        }
        arrays: dict[str, np.ndarray] = {"coef": self.coef, "intercept": self.intercept}
        for kind, vectorizer in self.vectorizers.items():
            vocabulary = vectorizer.vocabulary_
            terms = [""] * len(vocabulary)
            for term, index in vocabulary.items():
                terms[index] = term
            meta["vectorizers"][kind] = {"min_df": vectorizer.min_df, "terms": terms}
            arrays[f"idf_{kind}"] = vectorizer.idf_.astype(np.float32)
        (directory / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False))
        np.savez(directory / f"{name}.npz", **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path, name: str) -> LexicalClassifier:
        meta = json.loads((directory / f"{name}.json").read_text())
        with np.load(directory / f"{name}.npz", allow_pickle=False) as arrays:
            model = cls(
                int(meta["n_classes"]), char_ngrams=bool(meta["char_ngrams"]), c=float(meta["c"])
            )
            model.coef = arrays["coef"]
            model.intercept = arrays["intercept"]
            for kind, spec in meta["vectorizers"].items():
                vocabulary = {term: i for i, term in enumerate(spec["terms"])}
                vectorizer = TfidfVectorizer(
                    vocabulary=vocabulary, **_vectorizer_params(kind, int(spec["min_df"]))
                )
                vectorizer.idf_ = arrays[f"idf_{kind}"]
                model.vectorizers[kind] = vectorizer
        if model.coef.shape != (
            model.n_classes,
            sum(len(v.vocabulary) for v in model.vectorizers.values()),
        ):
            raise ValueError(f"lexical model {name}: coefficient shape does not match vocabulary")
        return model
