"""Immutable events: the only thing a training thread tells the rest of the lab.

Each event is a frozen dataclass with a `kind`; adding a new kind (e.g. a teaching view computed at
eval time) is one class here, and old stores still load because unknown kinds round-trip as `Note`s.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    t: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Stage(Event):
    """A coarse step of the run, for the status line ("loading model", "evaluating base model", …)."""

    kind: ClassVar[str] = "stage"
    name: str
    message: str = ""


@dataclass(frozen=True)
class Started(Event):
    kind: ClassVar[str] = "started"
    total_steps: int
    train_rows: int
    row_counts: dict[str, int]
    source: dict[str, Any]
    device: str
    versions: dict[str, str]
    stage: str = ""  # which stage of a multi-stage pipeline ("" for a plain run)


@dataclass(frozen=True)
class Log(Event):
    kind: ClassVar[str] = "log"
    step: int
    total_steps: int
    loss: float
    lr: float
    epoch: float
    samples_per_s: float
    stage: str = ""


@dataclass(frozen=True)
class Eval(Event):
    kind: ClassVar[str] = "eval"
    step: int
    phase: str  # "before" | "during" | "after"
    metrics: dict[str, float]
    elapsed_s: float = 0.0
    stage: str = ""
    model: str = ""  # for comparisons inside a pipeline: which model was evaluated
    pairs: int = 0  # how many STS-B pairs were scored (0: not recorded, an older run)
    subset: bool = False  # scored on the live curve's subset of the split, not on the whole split
    band: float | None = None  # half-width of the 95 % bootstrap interval of spearman_cosine on these pairs
    cached: bool = False  # the base model's score read from the cache (same weights, split and pairs) instead of run
    geometry: dict[str, float] | None = None  # alignment, uniformity, anisotropy of the scored sentences


@dataclass(frozen=True)
class Finished(Event):
    kind: ClassVar[str] = "finished"
    status: str  # "completed" | "cancelled"
    metrics_before: dict[str, float]
    metrics_after: dict[str, float]
    train_samples_per_s: float
    train_runtime_s: float
    steps: int
    model_dir: str


@dataclass(frozen=True)
class Failed(Event):
    kind: ClassVar[str] = "failed"
    message: str
    error_type: str = ""


@dataclass(frozen=True)
class Plan(Event):
    """The stages of a multi-stage pipeline, in order, so the UI can show where a run is."""

    kind: ClassVar[str] = "plan"
    stages: list[dict[str, str]]  # [{"name": "cross-encoder", "title": "1. Train a cross-encoder on gold"}, …]
    curves: list[str] = field(default_factory=list)  # the stages that log a loss curve (`Log.stage`), in order
    series: list[str] = field(default_factory=list)  # the trained models evaluated on STS-B (`Eval.model`)


@dataclass(frozen=True)
class Table(Event):
    """A small result table computed during a run (a comparison, a label distribution…); the UI shows any table
    without knowing its name, and charts it as `chart` says."""

    kind: ClassVar[str] = "table"
    name: str
    title: str
    rows: list[dict[str, Any]]
    note: str = ""
    # How to chart it, if at all: {"x": column, "y": column, "x_title": …, "y_title": …} draws a bar per row.
    chart: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class View(Event):
    """One snapshot of a teaching view (lab/views/), computed in the training process: `name` says which view,
    `data` is what that view's own module stored (and reads back to draw it)."""

    kind: ClassVar[str] = "view"
    name: str
    step: int
    data: dict[str, Any]
    stage: str = ""


@dataclass(frozen=True)
class Note(Event):
    """Anything else worth showing in the run's log; also how unknown kinds from newer stores load."""

    kind: ClassVar[str] = "note"
    message: str
    data: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES: dict[str, type[Event]] = {
    c.kind: c for c in (Stage, Started, Log, Eval, Finished, Failed, Plan, Table, View, Note)
}


def event_from_dict(data: dict[str, Any]) -> Event:
    data = dict(data)
    kind = data.pop("kind", "note")
    cls = EVENT_TYPES.get(kind)
    names = {f.name for f in fields(cls)} if cls else set()
    if cls is None or not names.issuperset(data):
        t = data.pop("t", 0.0)
        return Note(message=f"({kind})", data=data, t=t)
    return cls(**data)
