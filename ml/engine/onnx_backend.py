"""ONNX Runtime serving of the encoder + mean pooling (optional: needs `onnxruntime` and
`onnx`). Exported from the artifact's fp32 weights when a model is loaded, so artifacts stay
framework-neutral safetensors and no stale ONNX file can disagree with them."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .encoder import mean_pool

logger = logging.getLogger(__name__)


class _Pooled(nn.Module):
    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)


def _store(source: Path, target: Path) -> None:
    """Writes the cache atomically (rename), so a concurrent reader never sees half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:  # a read-only disk only costs the next process the export
        logger.warning("Can't write the ONNX cache %s: %s", target, exc)


class OnnxPooledEncoder:
    """Callable (input_ids, attention_mask) -> pooled float32 embeddings, run by ONNX Runtime."""

    def __init__(
        self,
        encoder: nn.Module,
        tokenizer: Any,
        *,
        int8: bool,
        threads: int | None,
        cache_file: Path | None = None,
    ):
        """`cache_file`: where the exported (and quantised) graph is kept for the next
        process. Export + quantisation cost about 10 s on 2 cores, on every process start,
        without it. The caller keys the name by the artifact's content."""
        import onnxruntime as ort  # ImportError is the caller's cue to fall back

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if cache_file is not None and cache_file.is_file():
            try:
                self.session = ort.InferenceSession(
                    str(cache_file), options, providers=["CPUExecutionProvider"]
                )
                return
            except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
                logger.warning("Rebuilding the unreadable ONNX cache %s", cache_file)
        sample = tokenizer(["warm up the exporter"], return_tensors="pt")
        with tempfile.TemporaryDirectory(prefix="triage-onnx-") as tmp:
            fp32 = Path(tmp) / "encoder.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer chatter about the attention mask
                torch.onnx.export(
                    _Pooled(encoder).eval().cpu(),
                    (sample["input_ids"], sample["attention_mask"]),
                    str(fp32),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["pooled"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "tokens"},
                        "attention_mask": {0: "batch", 1: "tokens"},
                        "pooled": {0: "batch"},
                    },
                    opset_version=17,
                    dynamo=False,
                )
            path = fp32
            if int8:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                path = Path(tmp) / "encoder-int8.onnx"
                # Per-channel weight scales: per-tensor ones bent the retrieval embeddings to a
                # median cosine of 0.96 against fp32; per-channel keeps it above 0.99.
                # The quantizer logs a line per tensor (INFO) and generic advice (WARNING) on
                # the root logger at every load: noise in every worker log, muted while it runs.
                previous = logging.root.manager.disable
                logging.disable(logging.WARNING)
                try:
                    quantize_dynamic(
                        str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True
                    )
                finally:
                    logging.disable(previous)
            # The session keeps the graph in memory; the temporary files can go.
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
            if cache_file is not None:
                _store(path, cache_file)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        (pooled,) = self.session.run(
            None,
            {
                "input_ids": input_ids.astype(np.int64),
                "attention_mask": attention_mask.astype(np.int64),
            },
        )
        return np.asarray(pooled, dtype=np.float32)
