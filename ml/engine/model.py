"""`TriageModel`: loads an artifact once, then triages batches of tickets with one encoder pass
shared by the category head, the priority head and the retrieval embedding."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from .artifact import MANIFEST, ArtifactError, read_meta, verify_manifest, write_manifest
from .calibration import Blend
from .confidence import ConfidenceModel, class_thresholds, confidence_features
from .config import DEFAULT_PRECISION_TARGET, ServeConfig
from .encoder import (
    base_model_path,
    l2_normalise,
    load_encoder,
    pooled_embeddings,
    quantize_dynamic_int8,
    resolve_device,
)
from .lexical import LexicalClassifier
from .onnx_backend import OnnxPooledEncoder
from .reference import ReferenceSet

logger = logging.getLogger(__name__)

# 2: three-member blends with a prior correction, the confidence model, the reference set.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
TASKS = ("category", "priority")
# "Needs more detail" rather than "needs an expert": an abstained ticket with fewer than this
# many informative known words ("it doesn't work" and junk have none, "printer broken" one).
# Unknown words alone don't count: real tickets are full of names, addresses and hostnames.
MIN_INFORMATIVE_WORDS = 2
CANDIDATES = 3
TERMS_SHOWN = 6


@dataclass
class TriagePredictions:
    """Column-wise results for a batch; `rows()` gives one dict per ticket."""

    categories: list[str]
    category_confidences: list[float]
    priorities: list[str | None]
    priority_confidences: list[float | None]
    embeddings: np.ndarray  # (n, 384) float32, L2-normalised, for answer retrieval
    probabilities: dict[str, np.ndarray] = field(default_factory=dict)  # task -> (n, classes)
    # `category_confidences` is the final confidence; this is the blend's own probability.
    blend_confidences: list[float] = field(default_factory=list)
    abstained: list[bool] = field(default_factory=list)
    needs_detail: list[bool] = field(default_factory=list)
    candidates: list[list[tuple[str, float]]] = field(default_factory=list)
    explanations: list[dict[str, Any]] = field(default_factory=list)  # when asked for

    def rows(self) -> Iterator[dict[str, Any]]:
        for i, category in enumerate(self.categories):
            yield {
                "category": category,
                "category_confidence": self.category_confidences[i],
                "priority": self.priorities[i],
                "priority_confidence": self.priority_confidences[i],
                "abstained": self.abstained[i] if self.abstained else False,
            }


@dataclass
class TaskHead:
    """Linear head on the encoder output: `pooled` (fine-tuned heads) or `normalised`
    (logistic regression on frozen, L2-normalised embeddings)."""

    labels: list[str]
    weight: np.ndarray  # (classes, 384)
    bias: np.ndarray  # (classes,)
    lexical: LexicalClassifier
    blend: Blend
    head_input: str = "pooled"
    # Logistic regression on the fine-tuned encoder's normalised embeddings (fine-tuned models).
    embedding_weight: np.ndarray | None = None
    embedding_bias: np.ndarray | None = None
    # The category head's final confidence, and its validation predictions (predicted class,
    # final confidence, right or wrong) from which thresholds for any precision target follow.
    confidence: ConfidenceModel | None = None
    validation: dict[str, list[Any]] | None = None
    _thresholds: dict[float, np.ndarray] = field(default_factory=dict, repr=False)

    def encoder_logits(self, pooled: np.ndarray, normalised: np.ndarray) -> np.ndarray:
        x = pooled if self.head_input == "pooled" else normalised
        return x.astype(np.float64) @ self.weight.T.astype(np.float64) + self.bias

    def members(
        self,
        texts: Sequence[str],
        pooled: np.ndarray,
        normalised: np.ndarray,
        features: sp.csr_matrix | None = None,
    ) -> dict[str, np.ndarray]:
        """The blend's inputs; a member whose weight is 0 is not computed at all."""
        weights = self.blend.weights
        out: dict[str, np.ndarray] = {}
        if weights.get("encoder", 0.0) > 0:
            out["encoder"] = self.encoder_logits(pooled, normalised)
        if weights.get("embedding", 0.0) > 0 and self.embedding_weight is not None:
            out["embedding"] = normalised.astype(np.float64) @ self.embedding_weight.T.astype(
                np.float64
            ) + np.asarray(self.embedding_bias, dtype=np.float64)
        if weights.get("lexical", 0.0) > 0:
            out["lexical"] = (
                self.lexical.logits_from_features(features)
                if features is not None
                else self.lexical.logits(texts)
            )
        return out

    def probabilities(
        self,
        texts: Sequence[str],
        pooled: np.ndarray,
        normalised: np.ndarray,
        features: sp.csr_matrix | None = None,
    ) -> np.ndarray:
        return self.blend.probabilities(self.members(texts, pooled, normalised, features))

    @property
    def needs_lexical(self) -> bool:
        return self.blend.weights.get("lexical", 0.0) > 0

    @property
    def lexical_scale(self) -> float:
        """Converts a lexical margin into the blend's log-probability units (for explanations)."""
        blend = self.blend
        return (
            blend.weights.get("lexical", 0.0)
            / blend.temperatures.get("lexical", 1.0)
            / blend.temperature
        )

    def thresholds(self, precision_target: float) -> np.ndarray:
        """Per class, the final confidence needed to triage at `precision_target`."""
        key = round(float(precision_target), 4)
        cached = self._thresholds.get(key)
        if cached is None:
            v = self.validation or {}
            cached = class_thresholds(
                np.asarray(v.get("predicted", []), dtype=np.int64),
                np.asarray(v.get("confidence", []), dtype=np.float64),
                np.asarray(v.get("correct", []), dtype=bool),
                len(self.labels),
                key,
            )
            self._thresholds[key] = cached
        return cached


def prepare_serving_encoder(
    encoder: nn.Module,
    tokenizer: Any,
    serve_config: ServeConfig,
    device: torch.device,
    content_key: str | None,
) -> nn.Module | OnnxPooledEncoder:
    """The encoder as served: ONNX Runtime (int8) or torch int8 on CPU as `serve_config`
    says, torch on CUDA. `content_key` names the weights (the ONNX cache file is keyed by
    it); None exports afresh. Shared by the triage model and the answer retriever."""
    if serve_config.num_threads:
        torch.set_num_threads(serve_config.num_threads)
    encoder.eval()
    quantization = serve_config.quantization
    if device.type == "cpu" and quantization == "dynamic_int8":
        return quantize_dynamic_int8(encoder)
    if device.type == "cpu" and quantization in ("onnx", "onnx_int8"):
        try:
            int8 = quantization == "onnx_int8"
            cache_dir = serve_config.onnx_cache_dir
            cache_file = (
                Path(cache_dir) / f"{content_key}-{'int8' if int8 else 'fp32'}.onnx"
                if cache_dir and content_key
                else None
            )
            return OnnxPooledEncoder(
                encoder,
                tokenizer,
                int8=int8,
                threads=serve_config.num_threads,
                cache_file=cache_file,
            )
        except ImportError:
            # Serving slower beats not serving: torch's own int8 path is close behind.
            logger.warning("onnxruntime/onnx not installed; serving with dynamic_int8")
            return quantize_dynamic_int8(encoder)
    return encoder.to(device)


class TriageModel:
    def __init__(
        self,
        *,
        tokenizer: Any,
        encoder: nn.Module,
        heads: dict[str, TaskHead],
        strategy: str,
        encoder_source: str,
        metadata: dict[str, Any],
        serve_config: ServeConfig | None = None,
        content_key: str | None = None,
        reference: ReferenceSet | None = None,
    ) -> None:
        if "category" not in heads:
            raise ValueError("a triage model needs a category head")
        self.reference = reference
        self.tokenizer = tokenizer
        self.encoder = encoder  # fp32 weights, the ones that get saved
        self.heads = heads
        self.strategy = strategy
        self.encoder_source = encoder_source  # "fine_tuned" (saved) or "base" (package)
        self.metadata = metadata
        self.serve_config = serve_config or ServeConfig()
        # Identifies the saved weights (a digest of the artifact's manifest); None for a model
        # that was just trained and not loaded from disk.
        self.content_key = content_key
        self.device = resolve_device(self.serve_config.device)
        self._serving_encoder = self._prepare_serving_encoder()
        # Heads whose lexical models share a feature space (fitted on the same rows) get one
        # TF-IDF pass per request: head name -> the head whose features it reuses.
        self._feature_source: dict[str, str] = {}
        for name, head in heads.items():
            self._feature_source[name] = next(
                (
                    other
                    for other in self._feature_source.values()
                    if heads[other].lexical.same_features_as(head.lexical)
                ),
                name,
            )

    # --- what the Django side reads -------------------------------------------------------

    @property
    def label_sets(self) -> dict[str, list[str]]:
        return {name: list(head.labels) for name, head in self.heads.items()}

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return dict(self.metadata.get("hyperparameters", {}))

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.metadata.get("metrics", {}))

    # --- serving ---------------------------------------------------------------------------

    def _prepare_serving_encoder(self) -> nn.Module | OnnxPooledEncoder:
        return prepare_serving_encoder(
            self.encoder, self.tokenizer, self.serve_config, self.device, self.content_key
        )

    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        return pooled_embeddings(
            self.tokenizer,
            self._serving_encoder,
            list(texts),
            device=self.device,
            max_length=self.serve_config.max_length,
            batch_size=self.serve_config.batch_size,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 L2-normalised vectors for answer retrieval."""
        return l2_normalise(self.pooled(texts))

    def predict(
        self,
        texts: Sequence[str],
        *,
        precision_target: float | None = None,
        explain: bool = False,
    ) -> TriagePredictions:
        """Triage a batch. `precision_target` sets the per-class thresholds below which a
        ticket is abstained on (default DEFAULT_PRECISION_TARGET); `explain` adds each
        ticket's terms and neighbours (serving asks for it, batch evaluation does not)."""
        texts = [str(t) for t in texts]
        n = len(texts)
        pooled = self.pooled(texts)
        normalised = l2_normalise(pooled)
        features: dict[str, sp.csr_matrix] = {}
        probabilities = {}
        for name, head in self.heads.items():
            source = self._feature_source[name]
            if head.needs_lexical and n and source not in features:
                features[source] = self.heads[source].lexical.features(texts)
            probabilities[name] = head.probabilities(
                texts, pooled, normalised, features.get(source)
            )
        category = self.heads["category"]
        cat_p = probabilities["category"]
        predicted = cat_p.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
        categories = [category.labels[i] for i in predicted]
        blend_conf = [float(v) for v in cat_p.max(axis=1)] if n else []
        coverage = category.lexical.coverage(texts)
        final = np.asarray(blend_conf, dtype=np.float64)
        if category.confidence is not None and self.reference is not None and n:
            knn, same = self.reference.familiarity_of(normalised, predicted)
            final = category.confidence.confidence(confidence_features(cat_p, knn, same, coverage))
        thresholds = category.thresholds(
            DEFAULT_PRECISION_TARGET if precision_target is None else precision_target
        )
        abstained = [bool(final[i] < thresholds[predicted[i]]) for i in range(n)]
        needs_detail = [abstained[i] and coverage[i, 2] < MIN_INFORMATIVE_WORDS for i in range(n)]
        candidates = []
        for i in range(n):
            top = np.argsort(-cat_p[i], kind="stable")[:CANDIDATES]
            candidates.append([(category.labels[j], round(float(cat_p[i, j]), 4)) for j in top])
        explanations = (
            [
                self._explain(
                    texts[i],
                    int(predicted[i]),
                    normalised[i],
                    features[self._feature_source["category"]][i]
                    if self._feature_source["category"] in features
                    else None,
                )
                for i in range(n)
            ]
            if explain
            else []
        )
        priority = self.heads.get("priority")
        if priority is not None and n:
            pr_p = probabilities["priority"]
            priorities: list[str | None] = [priority.labels[i] for i in pr_p.argmax(axis=1)]
            pr_conf: list[float | None] = [float(v) for v in pr_p.max(axis=1)]
        else:
            priorities, pr_conf = [None] * n, [None] * n
        return TriagePredictions(
            categories,
            [float(v) for v in final],
            priorities,
            pr_conf,
            normalised,
            probabilities,
            blend_confidences=blend_conf,
            abstained=abstained,
            needs_detail=needs_detail,
            candidates=candidates,
            explanations=explanations,
        )

    def _explain(
        self,
        text: str,
        class_index: int,
        normalised: np.ndarray,
        features: sp.csr_matrix | None,
    ) -> dict[str, Any]:
        category = self.heads["category"]
        # The category head's own lexical model reads the features computed for prediction.
        own = features if self._feature_source["category"] == "category" else None
        terms = (
            category.lexical.explain(
                text, class_index, top=TERMS_SHOWN, scale=category.lexical_scale, features=own
            )
            if category.needs_lexical
            else []
        )
        neighbours = self.reference.nearest(normalised) if self.reference is not None else []
        return {
            "terms": [{"term": term, "weight": weight} for term, weight in terms],
            "neighbours": [n.as_dict() for n in neighbours],
        }

    def with_serve_config(self, serve_config: ServeConfig) -> TriageModel:
        """The same trained model served differently (e.g. int8 vs fp32 for a comparison)."""
        return TriageModel(
            tokenizer=self.tokenizer,
            encoder=self.encoder,
            heads=self.heads,
            strategy=self.strategy,
            encoder_source=self.encoder_source,
            metadata=self.metadata,
            serve_config=serve_config,
            content_key=self.content_key,
            reference=self.reference,
        )

    # --- persistence -----------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Writes the directory; the manifest goes last, so a crash mid-save leaves an
        artifact that refuses to load rather than one that loads wrong."""
        root = Path(path)
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        if self.encoder_source == "fine_tuned":
            from transformers.utils import logging as hf_logging

            self.encoder.to("cpu")
            hf_logging.disable_progress_bar()  # a shard bar per save is noise in worker logs
            try:
                cast(Any, self.encoder).save_pretrained(str(root / "encoder"))
            finally:
                hf_logging.enable_progress_bar()
            self.tokenizer.save_pretrained(str(root / "encoder"))
            self.encoder.to(self.device)
        arrays: dict[str, np.ndarray] = {}
        heads_meta: dict[str, Any] = {}
        for name, head in self.heads.items():
            arrays[f"{name}_weight"] = head.weight.astype(np.float32)
            arrays[f"{name}_bias"] = head.bias.astype(np.float32)
            if head.embedding_weight is not None and head.embedding_bias is not None:
                arrays[f"{name}_embedding_weight"] = head.embedding_weight.astype(np.float32)
                arrays[f"{name}_embedding_bias"] = head.embedding_bias.astype(np.float32)
            head.lexical.save(root, f"lexical_{name}")
            heads_meta[name] = {
                "labels": head.labels,
                "head_input": head.head_input,
                "blend": head.blend.as_dict(),
                "confidence": head.confidence.as_dict() if head.confidence else None,
                "validation": head.validation,
            }
        if self.reference is not None:
            self.reference.save(root)
        np.savez(root / "heads.npz", **arrays)  # type: ignore[arg-type]
        meta = {
            **self.metadata,
            "format_version": FORMAT_VERSION,
            "strategy": self.strategy,
            "encoder_source": self.encoder_source,
            "label_sets": self.label_sets,
            "heads": heads_meta,
        }
        (root / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        write_manifest(root)

    @classmethod
    def load(
        cls, path: Path | str, serve_config: ServeConfig | None = None, *, verify: bool = True
    ) -> TriageModel:
        """Raises ArtifactError for anything short of a complete, intact artifact."""
        root = Path(path)
        if verify:
            verify_manifest(root)
        try:
            meta = read_meta(root, readable=READABLE_FORMATS)
            encoder_dir = root / "encoder" if meta["encoder_source"] == "fine_tuned" else None
            tokenizer, encoder = load_encoder(encoder_dir or base_model_path())
            heads: dict[str, TaskHead] = {}
            with np.load(root / "heads.npz", allow_pickle=False) as arrays:
                for name, spec in meta["heads"].items():
                    has_embedding = f"{name}_embedding_weight" in arrays.files
                    heads[name] = TaskHead(
                        labels=list(spec["labels"]),
                        weight=arrays[f"{name}_weight"],
                        bias=arrays[f"{name}_bias"],
                        lexical=LexicalClassifier.load(root, f"lexical_{name}"),
                        blend=Blend.from_dict(spec["blend"]),
                        head_input=spec["head_input"],
                        embedding_weight=arrays[f"{name}_embedding_weight"]
                        if has_embedding
                        else None,
                        embedding_bias=arrays[f"{name}_embedding_bias"] if has_embedding else None,
                        confidence=ConfidenceModel.from_dict(spec["confidence"])
                        if spec.get("confidence")
                        else None,
                        validation=spec.get("validation"),
                    )
            reference = ReferenceSet.load(root)
        except ArtifactError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise ArtifactError(f"can't load artifact {root}: {exc}") from exc
        return cls(
            tokenizer=tokenizer,
            encoder=encoder,
            heads=heads,
            strategy=meta["strategy"],
            encoder_source=meta["encoder_source"],
            metadata=meta,
            serve_config=serve_config,
            content_key=hashlib.sha256((root / MANIFEST).read_bytes()).hexdigest()[:32]
            if verify
            else None,
            reference=reference,
        )
