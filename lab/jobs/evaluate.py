"""Evaluation jobs: STS-B and MTEB Banking77 for several models, run through the same queue as training.

Evaluations are CPU/GPU heavy too (Banking77 encodes ~13k sentences), so they wait their turn in the
job queue instead of competing with a training; results arrive as `Table` events and are stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lab.errors import ConfigError, ModelError
from lab.evaluation import cache
from lab.evaluation.mteb import evaluate_banking77, resolve_route
from lab.evaluation.sts import evaluate_sts
from lab.events import Finished, Stage, Table
from lab.models import check_model, load_model
from lab.store import RunStore, valid_run_id
from lab.training.context import JobContext, checkpoint
from lab.training.runner import free_memory

TASKS = {
    "sts-validation": "STS-B validation (1,500 pairs)",
    "sts-test": "STS-B test (1,379 pairs)",
    "banking77": "MTEB Banking77Classification",
}
MAX_MODELS = 6


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate: models (catalog names, Hub ids or `run:<run id>`) × tasks."""

    models: tuple[str, ...]
    tasks: tuple[str, ...] = ("sts-validation",)
    max_test: int | None = None  # Banking77: a stratified test subset for a quick look (None: the whole split)
    label: str = ""
    kind: str = field(default="evaluation", init=False)

    def __post_init__(self) -> None:
        models = tuple(dict.fromkeys(m.strip() for m in self.models if m and m.strip()))
        if not models:
            raise ConfigError("Pick at least one run or base model to evaluate.")
        if len(models) > MAX_MODELS:
            raise ConfigError(f"Evaluate at most {MAX_MODELS} models at once.")
        for name in models:
            if name.startswith("run:"):
                if not valid_run_id(name[4:]):
                    raise ConfigError(f"'{name[:40]}' is not a run.")
            else:
                check_model(name, check_hub=False)
        tasks = tuple(dict.fromkeys(self.tasks))
        unknown = [t for t in tasks if t not in TASKS]
        if unknown or not tasks:
            raise ConfigError(f"Tasks must be among: {', '.join(TASKS)}.")
        if self.max_test is not None and not (isinstance(self.max_test, int) and 77 <= self.max_test <= 3080):
            raise ConfigError("max_test must be a whole number between 77 and 3080.")
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "tasks", tasks)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "models": list(self.models), "tasks": list(self.tasks), "max_test": self.max_test,
                "label": self.label}


def _load(name: str, store: RunStore):
    if name.startswith("run:"):
        model_dir = store.model_dir(name[4:])
        if not model_dir.is_dir():
            raise ModelError(f"Run {name[4:]} has no saved model.")
        return load_model(str(model_dir), allow_local=True)
    return load_model(name)


def _scores(model, key: str, task: str, max_test: int | None) -> tuple[dict[str, Any], bool]:
    """(the task's scores, whether they came from the cache): a model's weights and the task's data decide them, so
    the same model evaluated again (a base model, a finished run, by anyone) is read, not computed."""
    name = task if task.startswith("sts-") else f"{task}|{resolve_route('auto')}|{max_test}"
    hit = cache.read_task(key, name)
    if hit is not None:
        return hit, True
    if task.startswith("sts-"):
        m = evaluate_sts(model, task.removeprefix("sts-"))
        scores = {k: m.get(k) for k in ("spearman_cosine", "pearson_cosine", "alignment", "uniformity", "anisotropy")}
    else:
        r = evaluate_banking77(model, route="auto", max_test=max_test)
        scores = {"accuracy": r["accuracy"], "f1": r["f1"], "route": r["route"]}
    cache.write_task(key, name, scores)
    return scores, False


def run_evaluation(config: EvalConfig, ctx: JobContext, store: RunStore) -> Finished:
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, name in enumerate(config.models, 1):
        shown = f"trained run {name[4:12]}" if name.startswith("run:") else name  # never a raw "run:<id>"
        ctx.emit(Stage(name="model", message=f"Loading {shown} ({i}/{len(config.models)})"))
        model = _load(name, store)
        key = cache.fingerprint(model)  # its weights: what its cached scores are kept by
        for task in config.tasks:
            checkpoint(ctx)
            ctx.emit(Stage(name=task, message=f"{TASKS[task]} — {shown} ({i}/{len(config.models)})"))
            t0 = time.perf_counter()
            scores, cached = _scores(model, key, task, config.max_test)
            rows.append({"model": name, "task": task, **scores, "seconds": round(time.perf_counter() - t0, 1),
                         "cached": cached})
            ctx.emit(Table(name="evaluation", title="Evaluation", rows=list(rows)))
        del model
        free_memory()
    return Finished(status="completed", metrics_before={}, metrics_after={}, train_samples_per_s=0.0,
                    train_runtime_s=time.perf_counter() - started, steps=0, model_dir="")
