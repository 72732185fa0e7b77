"""ZeroGPU (a free Hugging Face Space lends a GPU only inside a `@spaces.GPU` call): is this such a Space, what the
tier allows, how many GPU seconds a run asks for, and where CUDA may be touched. Pure, apart from the environment.

On ZeroGPU a GPU exists only inside a decorated call, which `spaces` runs in a process forked for it and charges
to the visitor who made the request, up to a per-call maximum and a daily quota per visitor. So the mode trains one
run per call from the visitor's own request (lab/ui/zerogpu.py), and everything else — the web server, the CPU
queue's runs, the warm-up — stays off CUDA (`cuda_allowed`).

`LAB_ZEROGPU=simulate` runs the mode off ZeroGPU: the call is made in a forked child by `lab/jobs/gpu_call.py`'s
simulation of `spaces`' semantics (for tests, and for trying the mode on a laptop); the limits below then come from
`LAB_ZEROGPU_MAX_S` and `LAB_ZEROGPU_QUOTA_S`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

# Daily GPU quota per visitor, seconds (hub-docs spaces-zerogpu.md, "Usage tiers", as of 2026-08): the Space's
# visitors pay, not its owner. A shorter requested duration also gets a better place in ZeroGPU's queue.
DAILY_QUOTA_S = {"not signed in": 120, "free account": 300, "PRO": 2400, "Team / Enterprise": 3600}
MAX_CALL_S = 300  # the longest duration one call may request on the default (large) GPU; more is refused
MIN_CALL_S = 30  # a call's floor: forking the worker, CUDA's start and moving the model take seconds
CALL_OVERHEAD_S = 15.0  # fork + CUDA initialisation + loading the model in the call, on top of the run's plan
MARGIN = 1.25  # the plan is an estimate: ask for a quarter more, so a slow run is not cut off at the end

# What ZeroGPU runs (spaces-zerogpu.md): requirements.txt pins torch inside this range, the README's front matter
# picks one of these Pythons (tests/test_packaging.py checks both)
SUPPORTED_TORCH = ("2.8.0", "2.11.0")  # lowest, highest
SUPPORTED_PYTHON = ("3.10", "3.12")

_TRUTHY = {"1", "true", "yes", "on"}
_inside_call = False  # set in the process a GPU call runs in (lab/jobs/gpu_call.py)


def mode() -> str:
    """"zerogpu" on a ZeroGPU Space (the `spaces` package's own test: SPACES_ZERO_GPU), "simulate" when
    LAB_ZEROGPU=simulate, "" otherwise (CPU or dedicated GPU hardware: the queue, as always)."""
    if os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in _TRUTHY:
        return "zerogpu"
    if os.environ.get("LAB_ZEROGPU", "").strip().lower() == "simulate":
        return "simulate"
    return ""


def on_zero_gpu() -> bool:
    return mode() != ""


def enter_gpu_call() -> None:
    """Mark this process as a GPU call's own (it was forked for the call): CUDA may be used here."""
    global _inside_call
    _inside_call = True


def cuda_allowed() -> bool:
    """Whether this process may touch CUDA: always off ZeroGPU; on ZeroGPU only inside a GPU call, so that the web
    server, the warm-up and the CPU queue's runs never initialise CUDA (forking a process that has would break the
    calls, and outside a call there is no GPU to use)."""
    return _inside_call or not on_zero_gpu()


@dataclass(frozen=True)
class Limits:
    max_call_s: int  # the most one call may request
    quota_s: int | None  # the visitor's quota when known (a simulation), else None: ZeroGPU says so only by refusing


def limits() -> Limits:
    return Limits(_env_int("LAB_ZEROGPU_MAX_S", MAX_CALL_S), _env_int("LAB_ZEROGPU_QUOTA_S", None))


def call_seconds(plan_s: float) -> int:
    """The GPU seconds to request for a run whose plan says `plan_s` on the GPU: the plan with a margin and the
    call's own start-up, at least MIN_CALL_S. Not clamped: compare it with `limits().max_call_s`."""
    return max(MIN_CALL_S, math.ceil(plan_s * MARGIN + CALL_OVERHEAD_S))


def clamp(seconds: int, limit: Limits) -> int:
    """What a call actually requests: at most the tier's maximum (a longer request is refused outright)."""
    return max(1, min(int(seconds), limit.max_call_s))


def _env_int(name: str, default: int | None) -> int | None:
    try:
        value = int(os.environ.get(name, "").strip())
    except ValueError:
        return default
    return value if value > 0 else default
