"""Time to load a saved triage model and answer once, cold (ONNX export + int8
quantisation) and warm (the graph from the on-disk cache).

    .venv/bin/python bench/model_load.py var/models/org-1/v1
"""

import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.engine import ServeConfig, TriageModel  # noqa: E402

torch.set_num_threads(2)


def main() -> None:
    path = sys.argv[1]
    cache = tempfile.mkdtemp()
    config = ServeConfig(quantization="onnx_int8", num_threads=2, onnx_cache_dir=cache)
    for label in ("cold", "warm", "warm"):
        started = time.perf_counter()
        model = TriageModel.load(path, config)
        model.predict(["vpn drops"])
        print(label, round(time.perf_counter() - started, 2), "s")


if __name__ == "__main__":
    main()
