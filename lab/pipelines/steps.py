"""A pipeline as steps that hand each other only what is on disk: the models and data each step saves under
`<run>/stages/`, and a small state (scores, counts; `stages/state.json`) that every step reads and writes back. So the
steps run the same in one process (the queue: `run_steps` with all of them) or each in a process of its own (one
ZeroGPU call per stage: `run_steps(..., first=i, last=i + 1)`), and what a step produced is stored when it ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lab.config import RunConfig
from lab.events import Finished
from lab.store import write_json_atomic
from lab.training.context import JobContext, checkpoint

Step = Callable[[RunConfig, JobContext, dict[str, Any]], Finished | None]  # the last step returns the Finished


def run_steps(steps: list[Step], config: RunConfig, ctx: JobContext, first: int = 0,
              last: int | None = None) -> Finished | None:
    """Run steps[first:last], each with the state the steps before it left; a cancel is honoured between steps."""
    path = ctx.run_dir / "stages" / "state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if first and path.is_file() else {}
    chosen = steps[first:last]
    result = None
    for i, step in enumerate(chosen):
        result = step(config, ctx, state)
        write_json_atomic(path, state)
        if i < len(chosen) - 1:
            checkpoint(ctx)
    return result
