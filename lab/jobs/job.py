"""What the queue keeps about a job (`Job`, and `JobSnapshot`, its consistent copy for readers) and the order in
which waiting jobs start (`start_order`, pure): first come first served, except that an evaluation lets trainings
queued after it go first, at most `EVAL_YIELDS` times, so a room's trainings are not held for minutes by
evaluations and no evaluation waits for ever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lab.config import RunConfig
from lab.events import Event

EVAL_YIELDS = 3  # trainings an evaluation lets go first before it takes its turn


def start_order(waiting: list[tuple[str, bool, int]], yields: int = EVAL_YIELDS) -> list[str]:
    """The order in which waiting jobs will start, from (run id, is an evaluation, times already overtaken) in
    submission order: first come first served, except that evaluations at the head let the next training go
    first while every one of them has been overtaken fewer than `yields` times."""
    left = [[run_id, is_eval, passed] for run_id, is_eval, passed in waiting]
    order: list[str] = []
    while left:
        pick = 0
        first_training = next((i for i, w in enumerate(left) if not w[1]), 0)
        if first_training and all(w[2] < yields for w in left[:first_training]):
            pick = first_training
            for w in left[:first_training]:
                w[2] += 1
        order.append(left.pop(pick)[0])
    return order


@dataclass
class Job:
    run_id: str
    config: RunConfig
    owner: str = ""
    status: str = "queued"
    events: list[Event] = field(default_factory=list)
    overtaken: int = 0  # an evaluation: how many trainings queued after it have started first
    stop: threading.Event = field(default_factory=threading.Event)
    on_stop: Callable[[str], None] | None = None  # a run trained outside the queue: how Cancel reaches it
    message: str = ""
    version: int = 0  # bumped on every change; pollers skip work when it is unchanged
    layout: int = 0  # bumped on every change but progress (a loss or evaluation point, a stage): status, tables, end

    def changed(self, progress_only: bool = False) -> None:
        self.version += 1
        if not progress_only:
            self.layout += 1


@dataclass(frozen=True)
class JobSnapshot:
    run_id: str
    status: str
    config: dict[str, Any]
    events: tuple[Event, ...]
    version: int
    position: int | None  # 1-based place in the queue while queued
    message: str
    owner: str = ""
