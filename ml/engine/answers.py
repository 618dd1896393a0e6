"""Suggested answers: a hybrid (BM25 + dense) retriever trained per organization on its history.

Public API (stable; the serving side builds on these names and fields):

    train_retriever(texts, answers, *, keys=None, titles=None, time_budget_s=None,
                    device="auto", seed=0, log=None, config=None) -> AnswerRetriever
        texts[i] is what a new ticket is matched against (a solved ticket's text, or an
        article's title); answers[i] is what is suggested (its resolution, or the article
        body, which is split into passages).
    AnswerRetriever.search(queries, k=3) -> list[list[Hit]]     best first, duplicates collapsed
    AnswerRetriever.add(texts, answers, *, keys=None, titles=None) -> list[int]   new indices
    AnswerRetriever.remove(indices) -> None     indices of the others do not move
    AnswerRetriever.save(path); AnswerRetriever.load(path, *, device="auto", verify=True)
    AnswerRetriever.metadata: dict    what training decided, and why (JSON-ready)
    AnswerRetriever.size / .answer(index) / .key(index)
    Hit(index, score, dense, lexical, passage, matched_terms, key, title)
        index: the document's position in the corpus (training order, then `add` order);
        score: the fused score w·dense + (1-w)·lexical, in [-1, 1] (what calibration maps);
        dense: cosine of the query with the document (its text and best passage, weighted);
        lexical: BM25 divided by the query's attainable maximum, in [0, 1];
        passage: the best-matching passage of the answer;
        matched_terms: query words found in the document, rarest first (for highlighting).
    FORMAT_VERSION, RetrieverConfig
    LexicalIndex, choose_passage, evidence_terms, fuse    what serving builds its index from

"Will this solve it?" (a probability from the fused score) is `solve_calibration`.

torch, transformers and bm25s are imported inside the functions that need them, so importing
this module (or `ml.engine`) stays light.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .artifact import ArtifactError, read_meta, verify_manifest, write_manifest
from .metrics import answer_token_f1_matrix

FORMAT_VERSION = 1
READABLE_FORMATS = {1}

LogFn = Callable[[str], None]
ArrayOrFloat = TypeVar("ArrayOrFloat", np.ndarray, float)

_LEX_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default pattern, applied here to queries too
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_NORMALISE = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class RetrieverConfig:
    max_length: int = field(
        default=128, metadata={"help": "tokens per text and passage, in training and serving"}
    )
    passage_words: int = field(
        default=70,
        metadata={
            "help": "a passage is a run of whole sentences of at most this many words (about "
            "128 word pieces in the languages of helpdesk_qa)"
        },
    )
    min_fine_tune_history: int = field(
        default=300,
        metadata={
            "help": "below this many documents the frozen encoder is used: measured on "
            "helpdesk_qa, smaller histories gave no validation gain (docs/ml.md)"
        },
    )
    validation_rows: int = field(
        default=200, metadata={"help": "held-out history tickets that choose weights/encoder"}
    )
    validation_pool: int = field(
        default=1000, metadata={"help": "documents the validation tickets are searched in"}
    )
    min_validation_rows: int = field(
        default=20, metadata={"help": "below this, fixed weights and the frozen encoder"}
    )
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    epochs: float = field(default=1.0, metadata={"help": "the most passes over the pairs"})
    min_steps: int = field(
        default=20, metadata={"help": "fine-tune only when the budget affords this many steps"}
    )
    scale: float = field(default=20.0, metadata={"help": "cosine → logit scale of the loss"})
    same_answer_f1: float = field(
        default=0.6,
        metadata={"help": "two tickets share a resolution when their answers' token-F1 ≥ this"},
    )
    embed_batch_size: int = 64
    # Without a validation slice: what validation chose on an 800-ticket sample of helpdesk_qa
    # (lexical weighs more; tickets match tickets better than answer passages).
    default_dense_weight: float = 0.3
    default_passage_weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    index: int
    score: float
    dense: float
    lexical: float
    passage: str
    matched_terms: tuple[str, ...]
    key: str | None = None
    title: str | None = None


# --- text helpers ------------------------------------------------------------------------------


def lexical_tokens(text: str) -> list[str]:
    return _LEX_TOKEN.findall(text.lower())


def normalised_answer(text: str) -> str:
    """Two answers are duplicates when they are equal after lowercasing and dropping
    punctuation and spacing."""
    return _NORMALISE.sub(" ", text.lower()).strip()


def split_passages(text: str, max_words: int) -> list[str]:
    """Whole sentences grouped into passages of at most `max_words` words; a sentence longer
    than that is cut at word boundaries. Never empty: an empty text is one empty passage."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    passages: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        if n > max_words:
            if current:
                passages.append(" ".join(current))
                current, words = [], 0
            parts = sentence.split()
            passages.extend(
                " ".join(parts[i : i + max_words]) for i in range(0, len(parts), max_words)
            )
            continue
        if current and words + n > max_words:
            passages.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += n
    if current:
        passages.append(" ".join(current))
    return passages or [text.strip()]


# --- the lexical index --------------------------------------------------------------------------


class LexicalIndex:
    """bm25s over each document's text + answer, with scores divided by what the query could
    reach at most (Σ over its distinct terms of the term's best score in the corpus), so the
    lexical part is an absolute [0, 1] strength, comparable across queries."""

    def __init__(self, documents: Sequence[str]):
        import bm25s

        tokens = [lexical_tokens(doc) for doc in documents]
        self.n_docs = len(tokens)
        self.avg_length = 1.0
        if not any(tokens):  # no document has a word: nothing can match lexically
            self.vocab: dict[str, int] = {}
            self.term_max = self.idf = np.zeros(0, dtype=np.float32)
            return
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        scores = self.bm25.scores
        indptr = np.asarray(scores["indptr"])
        data = np.asarray(scores["data"], dtype=np.float32)
        self.term_max = np.zeros(len(indptr) - 1, dtype=np.float32)
        nonempty = np.flatnonzero(np.diff(indptr) > 0)
        if len(nonempty):
            self.term_max[nonempty] = np.maximum.reduceat(data, indptr[nonempty])
        self.vocab = dict(self.bm25.vocab_dict)
        df = np.diff(indptr).astype(np.float32)
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.avg_length = float(np.mean([len(t) for t in tokens]))

    def unseen_term_score(self) -> float:
        """What a query word that no document contains could have scored: the idf of a word
        in one document, at one occurrence in a document of average length. It counts in
        the attainable maximum, so that a query matching only its commonest word in a small
        corpus (a VPN ticket sharing "the" with the one printer answer) is not a full match."""
        k1 = self.bm25.k1 if hasattr(self, "bm25") else 1.5
        return math.log1p((max(self.n_docs, 1) - 1 + 0.5) / 1.5) / (1 + k1)

    def scores(self, query: str) -> np.ndarray:
        return self.scores_with(query, [])[0]

    def scores_with(
        self, query: str, extra: Sequence[tuple[Counter[str], int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """`scores(query)` for the indexed documents and, for `extra` documents outside the
        index (their term counts and lengths: documents written since it was built), the same
        BM25 (Lucene's variant, as bm25s computes it) with the index's statistics; both
        divided by one attainable maximum, so they rank together. Without extra documents it
        is `scores`. An index rebuilt from everything gives nearly the same numbers: only the
        document frequencies and the average length miss the extra documents."""
        terms = sorted(set(lexical_tokens(query)))
        known = [t for t in terms if t in self.vocab]
        if self.n_docs == 0 and not extra:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        raw = (
            np.asarray(self.bm25.get_scores(known), dtype=np.float32)
            if known
            else np.zeros(self.n_docs, dtype=np.float32)
        )
        extra_raw = np.zeros(len(extra), dtype=np.float32)
        k1, b = (self.bm25.k1, self.bm25.b) if hasattr(self, "bm25") else (1.5, 0.75)
        ceiling = 0.0
        for term in terms:
            index = self.vocab.get(term)
            idf = (
                float(self.idf[index])
                if index is not None
                else math.log1p((self.n_docs + 0.5) / 0.5)  # in no indexed document
            )
            best = float(self.term_max[index]) if index is not None else 0.0
            seen = index is not None
            for j, (counts, length) in enumerate(extra):
                tf = counts.get(term, 0)
                if tf:
                    part = idf * tf / (tf + k1 * (1 - b + b * length / self.avg_length))
                    extra_raw[j] += part
                    best = max(best, part)
                    seen = True
            ceiling += best if seen else self.unseen_term_score()
        ceiling = max(ceiling, 1e-9)
        return raw / ceiling, extra_raw / ceiling

    def rarity(self, term: str) -> float:
        index = self.vocab.get(term)
        return float(self.idf[index]) if index is not None else 0.0


def fuse(dense: ArrayOrFloat, lexical: ArrayOrFloat, dense_weight: float) -> ArrayOrFloat:
    """The retriever's score: w·dense + (1-w)·lexical (what calibration maps to P(solved))."""
    return dense_weight * dense + (1.0 - dense_weight) * lexical


def choose_passage(
    query_terms: set[str],
    passages: Sequence[str],
    passage_cos: Sequence[float] | np.ndarray,
    dense_weight: float,
    rarity: Callable[[str], float],
) -> int:
    """The position of the passage that best answers the query: the fused score of its
    cosine with the query and the share of the query's rarity (idf) its words cover."""
    reach = sum(rarity(t) for t in query_terms)

    def score(p: int) -> float:
        words = set(lexical_tokens(passages[p]))
        overlap = sum(rarity(t) for t in query_terms & words)
        return dense_weight * float(passage_cos[p]) + (1 - dense_weight) * overlap / max(
            reach, 1e-9
        )

    return max(range(len(passages)), key=score) if passages else 0


def evidence_terms(
    query_terms: set[str], document: str, rarity: Callable[[str], float], limit: int = 12
) -> tuple[str, ...]:
    """Query words the document contains, rarest first; words in at least half of the
    documents (greetings, "the", "bitte") are no evidence."""
    threshold = math.log(2.0)  # the rarity of a word in half of the documents
    doc_terms = set(lexical_tokens(document))
    matched = sorted(
        (t for t in query_terms & doc_terms if rarity(t) > threshold),
        key=lambda t: (-rarity(t), t),
    )
    return tuple(matched[:limit])


# --- the encoder --------------------------------------------------------------------------------


class _Encoder:
    """A MiniLM (base or fine-tuned) that embeds texts, L2-normalised, remembering what it
    embedded during training so that no text is embedded twice by the same weights."""

    def __init__(self, tokenizer: Any, model: Any, device: Any, config: RetrieverConfig):
        self.tokenizer = tokenizer
        self.model = model.to(device)
        self.device = device
        self.config = config
        self.cache: dict[str, np.ndarray] | None = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from .encoder import EMBEDDING_DIM, l2_normalise, pooled_embeddings

        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if self.cache is None or t not in self.cache]
        if todo:
            unique = list(dict.fromkeys(texts[i] for i in todo))
            vectors = l2_normalise(
                pooled_embeddings(
                    self.tokenizer,
                    self.model,
                    unique,
                    device=self.device,
                    max_length=self.config.max_length,
                    batch_size=self.config.embed_batch_size,
                )
            )
            fresh = dict(zip(unique, vectors, strict=True))
            if self.cache is not None:
                self.cache.update(fresh)
            for i in todo:
                out[i] = fresh[texts[i]]
        if self.cache is not None:
            for i, t in enumerate(texts):
                if t in self.cache:
                    out[i] = self.cache[t]
        return out


def _load_encoder(path: Path | None, device: str, config: RetrieverConfig) -> _Encoder:
    from .encoder import base_model_path, load_encoder, resolve_device

    tokenizer, model = load_encoder(path or base_model_path())
    return _Encoder(tokenizer, model, resolve_device(device), config)


class ServingEmbedder:
    """Embeds for the served index: queries at the serving max length (the triage model's,
    so that its vectors can stand in when both use the base encoder), documents and passages
    at the retriever's own (what it was validated with). L2-normalised float32."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any,
        serve_config: Any,
        device: Any,
        content_key: str | None,
        *,
        document_max_length: int,
    ):
        from .model import prepare_serving_encoder

        self.tokenizer = tokenizer
        self.device = device
        self.serve_config = serve_config
        self.document_max_length = document_max_length
        self._encoder = prepare_serving_encoder(model, tokenizer, serve_config, device, content_key)

    def _embed(self, texts: Sequence[str], max_length: int) -> np.ndarray:
        from .encoder import EMBEDDING_DIM, l2_normalise, pooled_embeddings

        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return l2_normalise(
            pooled_embeddings(
                self.tokenizer,
                self._encoder,
                list(texts),
                device=self.device,
                max_length=max_length,
                batch_size=self.serve_config.batch_size,
            )
        ).astype(np.float32)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.serve_config.max_length)

    def documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.document_max_length)


# --- the retriever ------------------------------------------------------------------------------


@dataclass
class _Weights:
    dense_weight: float  # w in w·dense + (1-w)·lexical
    passage_weight: float  # β in dense = (1-β)·cos(query, text) + β·max cos(query, passage)


class AnswerRetriever:
    def __init__(
        self,
        *,
        encoder: _Encoder | None,
        encoder_source: str,
        config: RetrieverConfig,
        weights: _Weights,
        metadata: dict[str, Any],
        encoder_path: Path | None = None,
        device: str = "auto",
    ):
        self._encoder = encoder
        self._encoder_path = encoder_path
        self._device = device
        self.encoder_source = encoder_source  # "fine_tuned" | "frozen"
        self.config = config
        self.weights = weights
        self.metadata = metadata
        self.texts: list[str] = []
        self.answers: list[str] = []
        self.keys: list[str | None] = []
        self.titles: list[str | None] = []
        self.alive = np.zeros(0, dtype=bool)
        self.text_vectors = np.zeros((0, 384), dtype=np.float32)
        self.has_text = np.zeros(0, dtype=bool)
        self.passages: list[str] = []
        self.passage_doc = np.zeros(0, dtype=np.int64)
        self.passage_vectors = np.zeros((0, 384), dtype=np.float32)
        self._answer_group: list[str] = []
        self._lexical: LexicalIndex | None = None

    @classmethod
    def frozen_default(cls, *, device: str = "auto") -> AnswerRetriever:
        """The retriever of an organization that has none trained: the base encoder with the
        default fusion weights (what validation chose on helpdesk_qa, `RetrieverConfig`)."""
        config = RetrieverConfig()
        return cls(
            encoder=None,
            encoder_source="frozen",
            config=config,
            weights=_Weights(config.default_dense_weight, config.default_passage_weight),
            metadata={"encoder_reason": "no trained retriever: the frozen base encoder"},
            device=device,
        )

    # --- corpus ---------------------------------------------------------------------------

    @property
    def encoder(self) -> _Encoder:
        if self._encoder is None:  # loaded artifacts embed only once a query arrives
            self._encoder = _load_encoder(self._encoder_path, self._device, self.config)
        return self._encoder

    @property
    def size(self) -> int:
        """Documents that can be suggested (removed ones excluded)."""
        return int(self.alive.sum())

    def answer(self, index: int) -> str:
        return self.answers[index]

    def key(self, index: int) -> str | None:
        return self.keys[index]

    def _document_text(self, i: int) -> str:
        title = self.titles[i]
        return f"{title}\n\n{self.texts[i]}" if title else self.texts[i]

    def add(
        self,
        texts: Sequence[str],
        answers: Sequence[str],
        *,
        keys: Sequence[str | None] | None = None,
        titles: Sequence[str | None] | None = None,
    ) -> list[int]:
        """Appends documents (embedded with the retriever's encoder, no retraining) and
        rebuilds the lexical index; returns their indices."""
        n = len(texts)
        if len(answers) != n:
            raise ValueError(f"{n} texts but {len(answers)} answers")
        keys = list(keys) if keys is not None else [None] * n
        titles = list(titles) if titles is not None else [None] * n
        if len(keys) != n or len(titles) != n:
            raise ValueError("keys and titles must have one entry per text")
        start = len(self.texts)
        self.texts.extend(str(t) for t in texts)
        self.answers.extend(str(a) for a in answers)
        self.keys.extend(keys)
        self.titles.extend(titles)
        self.alive = np.concatenate([self.alive, np.ones(n, dtype=bool)])
        self._answer_group.extend(normalised_answer(str(a)) for a in answers)
        new_docs = [self._document_text(i) for i in range(start, start + n)]
        has_text = np.array([bool(d.strip()) for d in new_docs], dtype=bool)
        new_passages: list[str] = []
        new_passage_doc: list[int] = []
        for offset, answer_text in enumerate(answers):
            for passage in split_passages(str(answer_text), self.config.passage_words):
                new_passages.append(passage)
                new_passage_doc.append(start + offset)
        vectors = self.encoder.embed([*new_docs, *new_passages]) if n else None
        if vectors is not None:
            self.text_vectors = np.concatenate([self.text_vectors, vectors[:n]])
            self.passage_vectors = np.concatenate([self.passage_vectors, vectors[n:]])
        self.has_text = np.concatenate([self.has_text, has_text])
        self.passages.extend(new_passages)
        self.passage_doc = np.concatenate(
            [self.passage_doc, np.asarray(new_passage_doc, dtype=np.int64)]
        )
        self._lexical = None
        return list(range(start, start + n))

    def remove(self, indices: Sequence[int]) -> None:
        """Stops suggesting these documents; the other indices stay as they are."""
        for i in indices:
            if not 0 <= i < len(self.texts):
                raise IndexError(f"no document {i}")
            self.alive[i] = False

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None or self._lexical.n_docs != len(self.texts):
            self._lexical = LexicalIndex(
                [f"{self._document_text(i)}\n{self.answers[i]}" for i in range(len(self.texts))]
            )
        return self._lexical

    # --- search ---------------------------------------------------------------------------

    def _dense_scores(
        self, query_vectors: np.ndarray, weights: _Weights
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n_queries, n_docs) dense scores and (n_queries, n_passages) passage cosines."""
        passage_cos = query_vectors @ self.passage_vectors.T
        starts = np.flatnonzero(np.r_[True, np.diff(self.passage_doc) != 0])
        best_passage = np.maximum.reduceat(passage_cos, starts, axis=1)
        text_cos = query_vectors @ self.text_vectors.T
        beta = weights.passage_weight
        dense = np.where(self.has_text, (1 - beta) * text_cos + beta * best_passage, best_passage)
        return dense.astype(np.float32), passage_cos

    def _lexical_scores(self, queries: Sequence[str]) -> np.ndarray:
        index = self.lexical
        return np.stack([index.scores(q) for q in queries]).astype(np.float32)

    def search(
        self,
        queries: Sequence[str],
        k: int = 3,
        *,
        query_vectors: np.ndarray | None = None,
    ) -> list[list[Hit]]:
        """The k best documents per query, best first; of documents with the same answer
        (normalised) only the best is kept. `query_vectors` skips embedding the queries (they
        must come from this retriever's encoder, L2-normalised)."""
        queries = list(queries)
        if not queries:
            return []
        if not self.size or k <= 0:
            return [[] for _ in queries]
        vectors = self.encoder.embed(queries) if query_vectors is None else query_vectors
        dense, passage_cos = self._dense_scores(vectors, self.weights)
        lexical = self._lexical_scores(queries)
        fused = np.where(self.alive, fuse(dense, lexical, self.weights.dense_weight), -np.inf)
        results: list[list[Hit]] = []
        for q, query in enumerate(queries):
            ranked = _ranked_candidates(fused[q], self.alive, k)
            hits: list[Hit] = []
            seen: set[str] = set()
            for doc in ranked:
                group = self._answer_group[doc]
                if group in seen:
                    continue
                seen.add(group)
                hits.append(self._hit(query, int(doc), fused, dense, lexical, passage_cos, q))
                if len(hits) == k:
                    break
            results.append(hits)
        return results

    def _hit(
        self,
        query: str,
        doc: int,
        fused: np.ndarray,
        dense: np.ndarray,
        lexical: np.ndarray,
        passage_cos: np.ndarray,
        q: int,
    ) -> Hit:
        query_terms = set(lexical_tokens(query))
        first, last = (int(x) for x in np.searchsorted(self.passage_doc, [doc, doc + 1]))
        rarity = self.lexical.rarity
        best = first + choose_passage(
            query_terms,
            self.passages[first:last],
            passage_cos[q, first:last],
            self.weights.dense_weight,
            rarity,
        )
        document = f"{self._document_text(doc)}\n{self.answers[doc]}"
        return Hit(
            index=doc,
            score=float(fused[q, doc]),
            dense=float(dense[q, doc]),
            lexical=float(lexical[q, doc]),
            passage=self.passages[best],
            matched_terms=evidence_terms(query_terms, document, rarity),
            key=self.keys[doc],
            title=self.titles[doc],
        )

    def serving_embedder(self, serve_config: Any, content_key: str | None) -> ServingEmbedder:
        """This retriever's encoder as served (`serve_config`: ONNX int8 on CPU by default,
        like the triage model); `content_key` names the weights for the ONNX cache."""
        encoder = self.encoder
        return ServingEmbedder(
            encoder.tokenizer,
            encoder.model,
            serve_config,
            encoder.device,
            content_key,
            document_max_length=self.config.max_length,
        )

    # --- persistence ----------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Writes the artifact directory; the manifest goes last, so a crash mid-save leaves
        one that refuses to load. The BM25 index is rebuilt on load from the stored corpus
        (deterministic, and no pickles in an artifact)."""
        root = Path(path)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        if self.encoder_source == "fine_tuned":
            from transformers.utils import logging as hf_logging

            encoder = self.encoder
            encoder.model.to("cpu")
            hf_logging.disable_progress_bar()
            try:
                encoder.model.save_pretrained(str(root / "encoder"))
            finally:
                hf_logging.enable_progress_bar()
            encoder.tokenizer.save_pretrained(str(root / "encoder"))
            encoder.model.to(encoder.device)
        np.savez(
            root / "vectors.npz",
            text_vectors=self.text_vectors,
            passage_vectors=self.passage_vectors,
            passage_doc=self.passage_doc,
            has_text=self.has_text,
            alive=self.alive,
        )
        corpus = {
            "texts": self.texts,
            "answers": self.answers,
            "keys": self.keys,
            "titles": self.titles,
            "passages": self.passages,
        }
        (root / "corpus.json").write_text(json.dumps(corpus, ensure_ascii=False))
        meta = {
            **self.metadata,
            "format_version": FORMAT_VERSION,
            "encoder_source": self.encoder_source,
            "weights": asdict(self.weights),
            "config": self.config.as_dict(),
        }
        (root / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        write_manifest(root)

    @classmethod
    def load(
        cls, path: Path | str, *, device: str = "auto", verify: bool = True, corpus: bool = True
    ) -> AnswerRetriever:
        """Raises ArtifactError for anything short of a complete, intact artifact.
        `corpus=False` reads the encoder and the weights only (serving indexes the
        organization's answers from the database, not the training corpus)."""
        root = Path(path)
        if verify:
            verify_manifest(root)
        try:
            meta = read_meta(root, readable=READABLE_FORMATS)
            config = RetrieverConfig(**meta["config"])
            retriever = cls(
                encoder=None,
                encoder_source=meta["encoder_source"],
                config=config,
                weights=_Weights(**meta["weights"]),
                metadata=meta,
                encoder_path=root / "encoder" if meta["encoder_source"] == "fine_tuned" else None,
                device=device,
            )
            if not corpus:
                return retriever
            documents = json.loads((root / "corpus.json").read_text())
            with np.load(root / "vectors.npz", allow_pickle=False) as arrays:
                retriever.text_vectors = arrays["text_vectors"]
                retriever.passage_vectors = arrays["passage_vectors"]
                retriever.passage_doc = arrays["passage_doc"]
                retriever.has_text = arrays["has_text"]
                retriever.alive = arrays["alive"]
            retriever.texts = list(documents["texts"])
            retriever.answers = list(documents["answers"])
            retriever.keys = list(documents["keys"])
            retriever.titles = list(documents["titles"])
            retriever.passages = list(documents["passages"])
            retriever._answer_group = [normalised_answer(a) for a in retriever.answers]
        except ArtifactError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ArtifactError(f"can't load artifact {root}: {exc}") from exc
        if len(retriever.texts) != len(retriever.alive) or len(retriever.passages) != len(
            retriever.passage_doc
        ):
            raise ArtifactError(f"artifact {root}: corpus and vectors disagree")
        return retriever


def _ranked_candidates(scores: np.ndarray, alive: np.ndarray, k: int) -> np.ndarray:
    """Document indices by descending score: enough of them that k survive the collapse of
    duplicates in all but pathological corpora (then every live document, in order)."""
    n_alive = int(alive.sum())
    take = min(n_alive, 4 * k + 16)
    part = (
        np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(len(scores))
    )
    order = part[np.argsort(-scores[part], kind="stable")]
    order = order[np.isfinite(scores[order])]
    if len(order) < n_alive:  # the caller walks on only when duplicates ate the first batch
        rest = np.argsort(-scores, kind="stable")
        order = np.concatenate([order, rest[len(order) :]])
        order = order[np.isfinite(scores[order])]
    return order


# --- training -----------------------------------------------------------------------------------


def _say(log: LogFn | None, message: str) -> None:
    if log is not None:
        log(message)


def _choose_weights(
    retriever: AnswerRetriever,
    val_queries: Sequence[str],
    val_vectors: np.ndarray,
    gain: np.ndarray,
    pool_mask: np.ndarray,
) -> tuple[_Weights, float, list[dict[str, float]]]:
    """The fusion weight w and the passage weight β with the best mean answer-F1@1 +
    best-of-3 on the validation tickets (searched among `pool_mask` documents). `gain` is the
    (n_val, n_docs) token-F1 of each document's answer with the ticket's true answer."""
    lexical = retriever._lexical_scores(val_queries)
    grid: list[dict[str, float]] = []
    best: tuple[float, _Weights] = (-1.0, _Weights(0.5, 0.5))
    rows = np.arange(len(val_queries))[:, None]
    for beta in (0.0, 0.25, 0.5, 0.75, 1.0):
        dense, _ = retriever._dense_scores(val_vectors, _Weights(0.0, beta))
        for w in np.round(np.linspace(0.0, 1.0, 11), 2):
            fused = np.where(pool_mask, w * dense + (1 - w) * lexical, -np.inf)
            top3 = np.argpartition(-fused, 2, axis=1)[:, :3]
            order = np.argsort(-np.take_along_axis(fused, top3, axis=1), axis=1)
            top3 = np.take_along_axis(top3, order, axis=1)
            at1 = float(gain[rows[:, 0], top3[:, 0]].mean())
            best3 = float(gain[rows, top3].max(axis=1).mean())
            grid.append(
                {
                    "dense_weight": float(w),
                    "passage_weight": beta,
                    "f1_at_1": round(at1, 4),
                    "best_of_3": round(best3, 4),
                }
            )
            if at1 + best3 > best[0] + 1e-9:
                best = (at1 + best3, _Weights(float(w), beta))
    return best[1], best[0], grid


def _same_answer_partners(answers: Sequence[str], threshold: float) -> list[int]:
    """For each ticket, the other ticket whose answer is most alike (token-F1 ≥ threshold),
    or -1: the (ticket → ticket with the same resolution) pairs."""
    partners = [-1] * len(answers)
    chunk = 1000
    for start in range(0, len(answers), chunk):
        f1 = answer_token_f1_matrix(answers[start : start + chunk], answers)
        for offset in range(f1.shape[0]):
            f1[offset, start + offset] = -1.0
        best = f1.argmax(axis=1)
        for offset, j in enumerate(best):
            if f1[offset, j] >= threshold:
                partners[start + offset] = int(j)
    return partners


def _fine_tune(
    encoder: _Encoder,
    pairs: list[tuple[str, str]],
    *,
    config: RetrieverConfig,
    deadline: float | None,
    max_steps: int,
    first_step_s: float,
    seed: int,
    log: LogFn | None,
) -> dict[str, Any]:
    """MultipleNegativesRankingLoss in plain torch: each anchor's positive against the other
    positives of the batch. Written out (~30 lines) rather than through sentence-transformers'
    trainer because the step loop has to stop at a wall-clock deadline judged by measured step
    times, reuse the project's pooling, autocast and offline loading, and not pull `datasets`
    and `accelerate` into the worker."""
    import torch

    from .encoder import autocast, mean_pool, tokenize

    model, tokenizer, device = encoder.model, encoder.tokenizer, encoder.device
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs)).tolist()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, int(config.warmup_fraction * max_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / max(max_steps, 1)) + 1e-3,
    )

    def embed(texts: list[str]) -> Any:
        batch = tokenize(tokenizer, texts, config.max_length, device)
        hidden = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        return torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)

    model.train()
    step_times: list[float] = []
    losses: list[float] = []
    stopped = "steps"
    cursor = 0
    distinct_positives = len({p for _, p in pairs})
    started = time.monotonic()
    for step in range(max_steps):
        if deadline is not None:
            # The median of the recent steps; before the first, the caller's estimate (which
            # must allow for warm-up and the optimizer's first allocation).
            recent = step_times[-10:]
            expected = sorted(recent)[len(recent) // 2] if recent else first_step_s
            if time.monotonic() + expected > deadline:
                stopped = "time_budget"
                break
        batch: list[tuple[str, str]] = []
        positives: set[str] = set()
        while len(batch) < config.batch_size:
            if cursor == len(order):
                order = rng.permutation(len(pairs)).tolist()
                cursor = 0
            anchor, positive = pairs[order[cursor]]
            cursor += 1
            if positive in positives:  # a repeated positive would be its own negative
                continue
            positives.add(positive)
            batch.append((anchor, positive))
            if len(positives) >= distinct_positives:
                break
        t0 = time.monotonic()
        with autocast(device):
            anchors = embed([a for a, _ in batch])
            targets = embed([p for _, p in batch])
            logits = config.scale * anchors @ targets.T
            loss = torch.nn.functional.cross_entropy(
                logits.float(), torch.arange(len(batch), device=device)
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        step_times.append(time.monotonic() - t0)
        losses.append(float(loss.detach()))
        if log is not None and (step + 1) % 25 == 0:
            log(f"fine-tuning step {step + 1}: loss {np.mean(losses[-25:]):.3f}")
    model.eval()
    return {
        "steps": len(losses),
        "stopped": stopped,
        "seconds": round(time.monotonic() - started, 2),
        "step_s": round(float(np.median(step_times)), 3) if step_times else None,
        "loss_first": round(float(np.mean(losses[:10])), 4) if losses else None,
        "loss_last": round(float(np.mean(losses[-10:])), 4) if losses else None,
        "pairs": len(pairs),
        "batch_size": config.batch_size,
    }


def train_retriever(
    texts: Sequence[str],
    answers: Sequence[str],
    *,
    keys: Sequence[str | None] | None = None,
    titles: Sequence[str | None] | None = None,
    time_budget_s: float | None = None,
    device: str = "auto",
    seed: int = 0,
    log: LogFn | None = None,
    config: RetrieverConfig | None = None,
) -> AnswerRetriever:
    """Trains the answer retriever on an organization's solved history and indexes it.

    1. A validation slice of the history (up to `validation_rows` tickets) is searched among
       the other documents: it chooses the fusion weights and the encoder.
    2. The base encoder's speed is measured on this machine; fine-tuning runs only with at
       least `min_fine_tune_history` documents and a budget that affords `min_steps` steps
       after the passes that must follow (embedding the validation pool again and the corpus).
    3. The fine-tuned encoder is kept only if it beats the frozen one on validation.
    Everything decided is in `metadata` (reasons in words, the numbers behind them)."""
    from .finetune import seed_everything

    started = time.monotonic()
    config = config or RetrieverConfig()
    n = len(texts)
    if len(answers) != n:
        raise ValueError(f"{n} texts but {len(answers)} answers")
    if n == 0:
        raise ValueError("no history to index")
    seed_everything(seed)
    deadline = started + time_budget_s if time_budget_s else None
    metadata: dict[str, Any] = {"history": n, "time_budget_s": time_budget_s, "seed": seed}
    texts, answers = [str(t) for t in texts], [str(a) for a in answers]
    doc_titles = list(titles) if titles is not None else [None] * n
    query_texts = [f"{t}\n\n{x}" if t else x for t, x in zip(doc_titles, texts, strict=True)]

    frozen = _load_encoder(None, device, config)
    frozen.cache = {}
    rng = np.random.default_rng(seed)
    n_val = min(config.validation_rows, n // 5)
    has_validation = n_val >= config.min_validation_rows
    perm = rng.permutation(n)
    val_idx = np.sort(perm[:n_val]) if has_validation else np.zeros(0, dtype=np.int64)
    rest = perm[n_val:]
    pool_idx = np.sort(rest[: config.validation_pool])

    # Speed, measured on the organization's own texts (warm-up batch first, not counted).
    sample = [query_texts[i] for i in perm[: min(n, 2 * config.embed_batch_size)]]
    frozen.embed(sample[: min(8, len(sample))])
    t0 = time.monotonic()
    frozen.embed(sample)
    per_text_s = (time.monotonic() - t0) / max(len(sample), 1)
    metadata["forward_texts_per_s"] = round(1 / max(per_text_s, 1e-9), 1)
    frozen.cache = {}

    units_per_doc = 1 + sum(
        len(split_passages(a, config.passage_words)) for a in answers[: min(n, 500)]
    ) / min(n, 500)
    corpus_embed_s = n * units_per_doc * per_text_s
    val_embed_s = (len(val_idx) + len(pool_idx) * units_per_doc) * per_text_s
    step_s_estimate = 3 * 2 * config.batch_size * per_text_s  # forward + backward, both sides
    metadata["estimates"] = {
        "corpus_embed_s": round(corpus_embed_s, 1),
        "validation_embed_s": round(val_embed_s, 1),
        "step_s": round(step_s_estimate, 3),
    }

    reason: str
    fine_tune_s: float | None = None
    if n < config.min_fine_tune_history or not has_validation:
        reason = (
            f"too little history: {n} documents < {config.min_fine_tune_history}; "
            "the frozen base encoder"
        )
    else:
        if deadline is None:
            fine_tune_s = None
            reason = ""
        else:
            # Still to come: the validation pool with both encoders, then the rest of the
            # corpus (what validation embedded is remembered, not embedded again).
            reserve = 1.15 * (2 * val_embed_s + max(corpus_embed_s - val_embed_s, 0.0)) + 2.0
            fine_tune_s = deadline - time.monotonic() - reserve
            reason = ""
            if fine_tune_s < config.min_steps * step_s_estimate:
                reason = (
                    f"time budget: {max(fine_tune_s, 0):.0f} s left for fine-tuning after "
                    f"embedding ({reserve:.0f} s reserved at {metadata['forward_texts_per_s']} "
                    f"texts/s) affords fewer than {config.min_steps} steps of "
                    f"{step_s_estimate:.1f} s; the frozen base encoder"
                )

    # Validation with the frozen encoder (always: it is the fallback and the yardstick).
    retriever = AnswerRetriever(
        encoder=frozen,
        encoder_source="frozen",
        config=config,
        weights=_Weights(config.default_dense_weight, config.default_passage_weight),
        metadata=metadata,
        device=device,
    )
    val_summary: dict[str, Any] = {"rows": int(len(val_idx)), "pool": int(len(pool_idx))}

    def validate(candidate: AnswerRetriever) -> tuple[_Weights, float, list[dict[str, float]]]:
        candidate.add(
            [texts[i] for i in pool_idx],
            [answers[i] for i in pool_idx],
            titles=[doc_titles[i] for i in pool_idx],
        )
        vectors = candidate.encoder.embed([query_texts[i] for i in val_idx])
        gain = answer_token_f1_matrix([answers[i] for i in val_idx], candidate.answers)
        mask = np.ones(len(candidate.texts), dtype=bool)
        return _choose_weights(candidate, [query_texts[i] for i in val_idx], vectors, gain, mask)

    if has_validation:
        frozen_weights, frozen_score, frozen_grid = validate(retriever)
        val_summary["frozen_grid"] = frozen_grid
        val_summary["frozen"] = {
            "objective": round(frozen_score, 4),
            **_at(frozen_grid, frozen_weights),
        }
        chosen_weights = frozen_weights
        _say(log, f"validation (frozen): {val_summary['frozen']}")
    else:
        chosen_weights = retriever.weights
        val_summary["note"] = (
            f"fewer than {config.min_validation_rows} validation tickets: default weights"
        )

    encoder_source = "frozen"
    fine_tuned: _Encoder | None = None
    if not reason:
        held_out = set(val_idx.tolist())
        train_idx = [i for i in range(n) if i not in held_out]
        pairs = [
            (query_texts[i], split_passages(answers[i], 10**6)[0]) for i in train_idx
        ]  # ticket → its resolution (truncated to max_length by the tokenizer)
        partners = _same_answer_partners([answers[i] for i in train_idx], config.same_answer_f1)
        same = [
            (query_texts[train_idx[a]], query_texts[train_idx[b]])
            for a, b in enumerate(partners)
            if b >= 0
        ]
        pairs.extend(same)
        metadata["pairs"] = {"ticket_answer": len(train_idx), "ticket_ticket": len(same)}
        max_steps = max(1, int(config.epochs * len(pairs) / config.batch_size))
        ft_deadline = None
        if deadline is not None:
            reserve = 1.15 * (val_embed_s + max(corpus_embed_s - val_embed_s, 0.0)) + 2.0
            ft_deadline = deadline - reserve
        _say(log, f"fine-tuning on {len(pairs)} pairs, at most {max_steps} steps")
        tuned = _load_encoder(None, device, config)
        history = _fine_tune(
            tuned,
            pairs,
            config=config,
            deadline=ft_deadline,
            max_steps=max_steps,
            first_step_s=2 * step_s_estimate,
            seed=seed,
            log=log,
        )
        metadata["fine_tune"] = history
        tuned.cache = {}
        candidate = AnswerRetriever(
            encoder=tuned,
            encoder_source="fine_tuned",
            config=config,
            weights=chosen_weights,
            metadata=metadata,
            device=device,
        )
        tuned_weights, tuned_score, tuned_grid = validate(candidate)
        val_summary["fine_tuned"] = {
            "objective": round(tuned_score, 4),
            **_at(tuned_grid, tuned_weights),
        }
        _say(log, f"validation (fine-tuned): {val_summary['fine_tuned']}")
        if tuned_score > val_summary["frozen"]["objective"]:
            encoder_source, fine_tuned, chosen_weights = "fine_tuned", tuned, tuned_weights
            reason = (
                f"fine-tuned: validation answer-F1@1 + best-of-3 {tuned_score:.4f} > frozen "
                f"{val_summary['frozen']['objective']:.4f}"
            )
        else:
            reason = (
                f"fine-tuned encoder not better on validation ({tuned_score:.4f} ≤ frozen "
                f"{val_summary['frozen']['objective']:.4f}); the frozen base encoder"
            )
    metadata["encoder_reason"] = reason
    metadata["validation"] = val_summary
    metadata["weights"] = asdict(chosen_weights)
    _say(log, f"encoder: {reason}; weights {asdict(chosen_weights)}")

    encoder = fine_tuned or frozen
    final = AnswerRetriever(
        encoder=encoder,
        encoder_source=encoder_source,
        config=config,
        weights=chosen_weights,
        metadata=metadata,
        device=device,
    )
    final.add(texts, answers, keys=keys, titles=titles)
    encoder.cache = None  # serving embeds each query once; a cache would only grow
    metadata["train_seconds"] = round(time.monotonic() - started, 1)
    return final


def _at(grid: list[dict[str, float]], weights: _Weights) -> dict[str, float]:
    for row in grid:
        if (
            row["dense_weight"] == weights.dense_weight
            and row["passage_weight"] == weights.passage_weight
        ):
            return {k: round(v, 4) for k, v in row.items()}
    return {}


# --- evaluation helpers (answer_eval and bench/answer_retrieval.py share them) ----------------


def tfidf_top_k(train_texts: Sequence[str], test_texts: Sequence[str], k: int = 3) -> np.ndarray:
    """The keyword-search reference: TF-IDF (word 1–2-grams, sublinear tf) over the ticket
    texts, cosine top-k training rows per test text, (n_test, k) best first."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    train = vectorizer.fit_transform(train_texts)
    test = vectorizer.transform(test_texts)
    out = np.zeros((len(test_texts), min(k, len(train_texts))), dtype=np.int64)
    for start in range(0, len(test_texts), 512):
        scores = (test[start : start + 512] @ train.T).toarray()
        out[start : start + 512] = _top_rows(scores, out.shape[1])
    return out


def dense_top_k(query_vectors: np.ndarray, doc_vectors: np.ndarray, k: int = 3) -> np.ndarray:
    from .retrieval import top_k

    return top_k(query_vectors, doc_vectors, k)[0]


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def suggestion_scores(
    top: np.ndarray | Sequence[Sequence[int]],
    train_answers: Sequence[str],
    test_answers: Sequence[str],
) -> dict[str, Any]:
    """answer-F1@1 (token-F1 of the first suggestion with the ticket's true answer) and
    best-of-3 (the best of the first three), mean over the test tickets, with the per-row
    values for per-language breakdowns. Rows with no suggestion score 0."""
    from .metrics import answer_token_f1

    at1: list[float] = []
    best: list[float] = []
    for row, truth in zip(top, test_answers, strict=True):
        f1 = [answer_token_f1(train_answers[int(i)], truth) for i in list(row)[:3]]
        at1.append(f1[0] if f1 else 0.0)
        best.append(max(f1, default=0.0))
    return {
        "f1_at_1": float(np.mean(at1)) if at1 else 0.0,
        "best_of_3": float(np.mean(best)) if best else 0.0,
        "count": len(at1),
        "rows_f1_at_1": at1,
        "rows_best_of_3": best,
    }


__all__ = [
    "FORMAT_VERSION",
    "AnswerRetriever",
    "Hit",
    "LexicalIndex",
    "choose_passage",
    "evidence_terms",
    "fuse",
    "RetrieverConfig",
    "ServingEmbedder",
    "dense_top_k",
    "split_passages",
    "suggestion_scores",
    "tfidf_top_k",
    "train_retriever",
]
