"""Hardware profile: GPU hosts get fp16 and the chapter's sizes, CPU hosts small fast defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from lab.host.zerogpu import on_zero_gpu


@dataclass(frozen=True)
class Profile:
    name: str  # "gpu" | "cpu" | "zerogpu"
    description: str
    run_defaults: dict[str, Any]  # RunConfig fields for a new run on this hardware


CPU = Profile(
    "cpu",
    "CPU: small, fast defaults (the first loss point within seconds).",
    {"model": "all-MiniLM-L6-v2", "max_train_samples": 320, "batch_size": 16, "lr": 5e-5, "eval_steps": 10,
     "eval_max_pairs": 200, "logging_steps": 2, "epochs": 1.0},
)
GPU = Profile(
    "gpu",
    "GPU: fp16 and the chapter's sizes (50,000 NLI pairs online, batch 32, full STS-B evaluations).",
    {"model": "all-MiniLM-L6-v2", "max_train_samples": 50_000, "batch_size": 32, "lr": 2e-5, "eval_steps": 100,
     "eval_max_pairs": None, "logging_steps": 10, "epochs": 1.0},
)


ZEROGPU = Profile(
    "zerogpu",
    "ZeroGPU: each run is one GPU call charged to the visitor's daily quota (minutes), so runs are sized to take "
    "about a minute on the GPU (10,000 NLI pairs, batch 32, full STS-B evaluations).",
    {"model": "all-MiniLM-L6-v2", "max_train_samples": 10_000, "batch_size": 32, "lr": 2e-5, "eval_steps": 100,
     "eval_max_pairs": None, "logging_steps": 10, "epochs": 1.0},
)


def detect() -> Profile:
    """ZeroGPU on such a Space; else GPU when torch sees CUDA (imported only if it is already loaded, or
    LAB_HARDWARE says so)."""
    forced = os.environ.get("LAB_HARDWARE", "").strip().lower()
    if forced in ("cpu", "gpu"):
        return GPU if forced == "gpu" else CPU
    if on_zero_gpu():  # the server itself never touches CUDA there: a GPU exists only inside a call
        return ZEROGPU
    accelerator = os.environ.get("ACCELERATOR", "").strip().lower()  # set on Hugging Face Spaces
    if accelerator and accelerator != "none":
        return GPU
    try:
        import torch

        return GPU if torch.cuda.is_available() else CPU
    except ImportError:
        return CPU
