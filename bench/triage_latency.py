"""Serving latency of the triage model: batch-1 triage (category + priority + the retrieval
embedding, one encoder pass) and batched throughput.

    .venv/bin/python bench/triage_latency.py [--artifact DIR] [--quantization dynamic_int8]
                                             [--max-length 128] [--threads 2] [--compare]

Without --artifact it uses the helpdesk_qa model saved by `bench/triage_quality.py --artifacts
/tmp/expertdesk-bench` when present, otherwise it trains a cold-start model on 150 tickets (the
same encoder, so the same cost). Texts are real helpdesk_qa test tickets. The last stdout line is
JSON: p50_ms, p95_ms, throughput_per_s, device (+ the settings measured).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

if __package__ in (None, ""):  # run as a script (`make bench`): the project root is not on path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import DATASETS_DIR, load_split  # noqa: E402
from ml.engine import ServeConfig, TrainConfig, TriageModel, train_triage  # noqa: E402
from ml.engine.config import Quantization  # noqa: E402

DEFAULT_ARTIFACT = Path("/tmp/expertdesk-bench/helpdesk_qa")  # noqa: S108 - bench scratch


def get_model(args: argparse.Namespace, texts: list[str], labels: list[str]) -> TriageModel:
    artifact = Path(args.artifact) if args.artifact else DEFAULT_ARTIFACT
    if artifact.is_dir():
        print(f"model: {artifact}", flush=True)
        return TriageModel.load(artifact, ServeConfig(quantization="none"))
    print("model: cold-start model trained on 150 tickets (no saved artifact)", flush=True)
    return train_triage(
        texts[:150], labels[:150], config=TrainConfig(console_progress=False, strategy="frozen")
    )


def measure(model: TriageModel, texts: list[str], single: int, batched: int) -> dict[str, Any]:
    for text in texts[:20]:  # warm-up: allocator, oneDNN kernels, tokenizer caches
        model.predict([text])
    timings, explained = [], []
    for i in range(single):
        # Serving asks for the explanation (terms, neighbours); alternating the two calls on
        # the same ticket makes their difference robust to a noisy machine.
        started = time.perf_counter()
        model.predict([texts[i % len(texts)]])
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        model.predict([texts[i % len(texts)]], explain=True)
        explained.append((time.perf_counter() - started) * 1000)
    batch_texts = (texts * (batched // len(texts) + 1))[:batched]
    model.predict(batch_texts[:64])
    started = time.perf_counter()
    model.predict(batch_texts)
    seconds = time.perf_counter() - started
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p50_explained_ms": round(statistics.median(explained), 2),
        "explanation_p50_delta_ms": round(
            statistics.median(e - t for e, t in zip(explained, timings, strict=True)), 2
        ),
        "p95_ms": round(float(np.percentile(timings, 95)), 2),
        "throughput_per_s": round(batched / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", default=None)
    parser.add_argument("--datasets", default=str(DATASETS_DIR))
    parser.add_argument(
        "--quantization",
        choices=["none", "dynamic_int8", "onnx", "onnx_int8"],
        default=ServeConfig.quantization,
    )
    parser.add_argument("--max-length", type=int, default=ServeConfig.max_length)
    parser.add_argument("--batch-size", type=int, default=ServeConfig.batch_size)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--single", type=int, default=300, help="batch-1 requests timed")
    parser.add_argument("--batched", type=int, default=1024, help="tickets in the batch run")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure fp32 eager and the other settings first",
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    split = load_split("helpdesk_qa", Path(args.datasets))
    texts = split.test.texts
    base = get_model(args, split.train.texts, split.train.labels)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    settings: list[tuple[Quantization, int]] = []
    if args.compare:
        settings += [
            ("none", 128),
            ("dynamic_int8", 128),
            ("dynamic_int8", 64),
            ("onnx", 128),
            ("onnx_int8", 128),
        ]
    settings.append((cast(Quantization, args.quantization), args.max_length))
    result: dict[str, Any] = {}
    for quantization, max_length in settings:
        serve = ServeConfig(
            quantization=quantization,
            max_length=max_length,
            batch_size=args.batch_size,
            num_threads=args.threads,
        )
        model = base.with_serve_config(serve)
        result = {
            **measure(model, texts, args.single, args.batched),
            "device": device,
            "quantization": quantization,
            "max_length": max_length,
            "threads": args.threads,
            "batch_size": args.batch_size,
        }
        print(
            f"{quantization:>13} max_length {max_length:>3}: p50 {result['p50_ms']:6.2f} ms  "
            f"p95 {result['p95_ms']:6.2f} ms  {result['throughput_per_s']:7.1f} tickets/s",
            flush=True,
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
