"""What a job is handed (its run folder, an `emit` for events, a stop flag) and how it stops between stages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.events import Event


@dataclass
class JobContext:
    run_id: str
    run_dir: Path
    emit: Callable[[Event], None]
    stop: threading.Event


class Cancelled(Exception):
    """The user cancelled between stages."""


def checkpoint(ctx: JobContext) -> None:
    """Between stages: honour a cancel that arrived while no trainer was running."""
    if ctx.stop.is_set():
        raise Cancelled
