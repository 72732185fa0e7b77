"""Data-parallel runs under `torchrun` / `accelerate launch`: which process am I, and does it write results?

Every process trains; only the main one (rank 0) writes the run store, saves the model and prints.
"""

from __future__ import annotations

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def ddp_backend(cuda: bool) -> str | None:
    """nccl on GPUs, gloo on CPUs; None when not distributed."""
    if world_size() <= 1:
        return None
    return "nccl" if cuda else "gloo"
