"""A model's evaluation scores, kept by what determines them: the model's weights and architecture and the task
(STS-B: the split and the number of pairs; the Evaluate tab's tasks: the task, its data route and size). Thirty people
starting from one base model, or evaluating the same models, pay for each evaluation once.

The key is a hash of the loaded model (every tensor's bytes, the module stack's repr, which names pooling and
max_seq_length) and the sentence-transformers version, so a changed file, seed or setting is a new key. A cache
file that is too large, unreadable or not a table of finite metrics is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

from lab.evaluation.geometry import GEOMETRY_KEYS
from lab.evaluation.sts import METRIC_KEYS
from lab.host.paths import cache_dir

MAX_FILE_BYTES = 16_384  # a metrics table is ~600 bytes


def fingerprint(model) -> str:
    """A hash of everything in the model that changes an embedding: weights, module stack (pooling,
    max_seq_length), tokenizer size, and the library that runs it."""
    import sentence_transformers
    import torch

    h = hashlib.blake2b(digest_size=16)
    h.update(f"{sentence_transformers.__version__}\n{model!r}\n{len(model.tokenizer)}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _path(key: str, split: str, pairs: int) -> Path:
    return cache_dir() / "sts" / f"{key}-{split}-{int(pairs)}.json"


def read(key: str, split: str, pairs: int) -> dict | None:
    """{"metrics": {...}, "band": float | None, "elapsed_s": float, "geometry": {...}} or None when missing or not
    trustworthy (an entry written before the lab measured geometry is a miss: it is scored again)."""
    path = _path(key, split, pairs)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = {k: float(v) for k, v in data["metrics"].items()}
        band = None if data.get("band") is None else float(data["band"])
        elapsed = float(data.get("elapsed_s", 0.0))
        geometry = {k: None if data["geometry"][k] is None else float(data["geometry"][k]) for k in GEOMETRY_KEYS}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if set(metrics) != set(METRIC_KEYS) or not all(math.isfinite(v) for v in metrics.values()):
        return None
    return {"metrics": metrics, "band": band, "elapsed_s": elapsed, "geometry": geometry}


def write(key: str, split: str, pairs: int, metrics: dict[str, float], band: float | None, elapsed_s: float,
          geometry: dict[str, float] | None = None) -> None:
    """Store atomically (a reader never sees half a file); a full disk or a read-only store only costs the cache."""
    _write(_path(key, split, pairs), {"metrics": metrics, "band": band, "elapsed_s": elapsed_s, "geometry": geometry})


def _write(path: Path, data: dict) -> None:
    """`data` as JSON at `path`, atomically: a temporary file of its own (two processes may write one key at once),
    then a rename. An OSError (a full disk, a read-only store) only costs the cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        return


def _task_path(key: str, task: str) -> Path:
    return cache_dir() / "tasks" / f"{key}-{hashlib.blake2b(task.encode(), digest_size=8).hexdigest()}.json"


def read_task(key: str, task: str) -> dict[str, float | str] | None:
    """The scores of `task` (a name that says everything the scores depend on besides the model) for the model
    `key`, or None when missing or not trustworthy: a file too large, unreadable, for another task, or holding
    anything but finite numbers and short strings."""
    path = _task_path(key, task)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        scores = data["scores"]
        if data["task"] != task or not isinstance(scores, dict):
            return None
    except (OSError, ValueError, TypeError, KeyError):
        return None
    good = all(isinstance(k, str) and ((isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
                                       or (isinstance(v, str) and len(v) <= 200)) for k, v in scores.items())
    return scores if good and scores else None


def write_task(key: str, task: str, scores: dict[str, float | str]) -> None:
    """Store atomically; a full disk or a read-only store only costs the cache."""
    _write(_task_path(key, task), {"task": task, "scores": scores})
