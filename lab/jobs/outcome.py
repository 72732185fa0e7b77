"""What the worker does around a job: run it at a lower CPU priority, describe how it ended (its metrics, or
its failure as one message), and hand its memory back."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from typing import Any

from lab.events import Finished
from lab.host.zerogpu import cuda_allowed

log = logging.getLogger(__name__)


def metrics_of(result: Finished) -> dict[str, Any]:
    return {
        "metrics_before": result.metrics_before,
        "metrics_after": result.metrics_after,
        "train_samples_per_s": result.train_samples_per_s,
        "train_runtime_s": result.train_runtime_s,
        "steps": result.steps,
    }


def describe_failure(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if getattr(exc, "final", False):  # already the message to show (isolation.RunFailed of a killed process)
        return text
    if "out of memory" in text.lower():
        return (
            "Out of memory. Use a smaller batch size or max sequence length, or the 'cached-mnrl' loss, "
            "which keeps large batches in small memory."
        )
    return text.splitlines()[0][:500] if len(text) > 500 else text


def lower_priority() -> None:
    """Run training (this thread, or a run's own process) at a lower CPU priority than the web server.

    On Linux a thread's nice value is its own and is inherited by the threads it starts (torch's
    OpenMP workers), so only the training side yields; LAB_TRAIN_NICE=0 turns this off.
    """
    nice = int(os.environ.get("LAB_TRAIN_NICE", "10") or 0)
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (OSError, ValueError) as exc:
        log.info("could not lower the training thread's priority: %s", exc)


def release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")  # only touch torch if a job already imported it
    if torch is not None and cuda_allowed() and torch.cuda.is_available():
        torch.cuda.empty_cache()
