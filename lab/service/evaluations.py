"""Evaluation jobs for the app: which runs and base models can be evaluated, and submitting an EvalConfig to
the same queue as training. No gradio, no torch (the job itself imports them in the worker).
"""

from __future__ import annotations

from typing import Any

from lab import charts
from lab.errors import NotAllowed
from lab.events import Table
from lab.jobs.evaluate import TASKS, EvalConfig
from lab.models import CATALOG
from lab.service.access import PRIVATE, require_owner
from lab.service.live import manager
from lab.service.runs import has_model, list_runs, load_run

QUICK_BANKING77 = 770  # stratified test subset for a quick look: 10 per intent


def is_evaluation(config: dict[str, Any]) -> bool:
    return (config or {}).get("kind") == "evaluation"


def training_runs(owner: object = None) -> list[Any]:
    """Finished training runs with a saved model this browser may use, newest first (evaluations are no models)."""
    return [r for r in list_runs(owner)
            if not is_evaluation(r.config) and r.status in ("completed", "cancelled") and has_model(r.run_id)]


def run_choices(owner: object = None) -> list[tuple[str, str]]:
    return [(charts.run_label(r.run_id, r.config) + f" · {r.status}", f"run:{r.run_id}")
            for r in training_runs(owner)]


def base_choices() -> list[tuple[str, str]]:
    return [(f"{k} — {e.description}"[:90], k) for k, e in CATALOG.items()]


def task_choices() -> list[tuple[str, str]]:
    return [(label, key) for key, label in TASKS.items()]


def start(models: list[str], tasks: list[str], quick: bool, owner: str = "", max_test: int | None = None) -> str:
    """Queue an evaluation of `models` × `tasks`; Banking77 on a stratified subset when `quick`. A run's model is
    evaluated only for a browser that may read the run."""
    owner = require_owner(owner)
    for name in models or ():
        if str(name).startswith("run:") and load_run(str(name)[4:], owner) is None and \
                has_model(str(name)[4:]):
            raise NotAllowed(PRIVATE)
    config = EvalConfig(models=tuple(models or ()), tasks=tuple(tasks or ()),
                        max_test=(max_test or QUICK_BANKING77) if quick and "banking77" in (tasks or ()) else None)
    return manager().submit(config, owner=owner)


def labels_for(models: list[str], owner: object = None) -> dict[str, str]:
    """Readable names for `run:<id>` models: the run's label (its base model, recipe and loss), for the runs this
    browser may read; "a private run" for the others."""
    out = {}
    for name in models:
        if name.startswith("run:"):
            record = load_run(name[4:], owner)
            out[name] = ("trained: " + charts.run_label(name[4:], record.config)) if record else \
                f"trained: run {name[4:10]} (private)"
        else:
            out[name] = f"base: {name}"
    return out


def result_frame(events: Any, config: dict[str, Any], owner: object = None):
    """The latest evaluation table of a job, one row per model (base and trained side by side)."""
    table = charts.tables_of(events).get("evaluation")
    rows = table.rows if isinstance(table, Table) else []
    return charts.evaluation_frame(rows, labels_for(list((config or {}).get("models", [])), owner))
