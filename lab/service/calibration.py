"""What this server measured of its own finished runs, for the plan's estimates: training samples per second,
STS-B pairs evaluated per second, start-up seconds and the rest (teaching views, saving) per evaluation point, per
model, number of text columns and whether the views were on. Read from the run
store (the newest runs first), cached until the set of finished runs changes."""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from lab.events import Eval, Finished, Started
from lab.recipes import RECIPES
from lab.service.live import store

_RECENT = 8  # runs per model and format measured (the newest)


@dataclass(frozen=True)
class Measured:
    samples_per_s: float  # training, evaluations excluded
    eval_pairs_per_s: float  # STS-B pairs, one evaluation
    startup_s: float  # from the run's first event to its first training step, the base evaluation excluded
    runs: int
    rest_s_per_point: float = 0.0  # what is neither of those (views' snapshots, saving), per evaluation point


def points(steps: int, eval_steps: int) -> int:
    """Where a run stops for more than training: its start, each evaluation during training, and its end."""
    return 2 + (steps // eval_steps if eval_steps else 0)


_cache: dict[tuple, Measured | None] = {}
_lock = threading.Lock()


def measured(model: str, columns: int, views: bool = True, device: str | None = None) -> Measured | None:
    """The medians of this model's newest completed runs with this many text columns (those with the views set
    the same way when there are any; on `device` only, when given: a ZeroGPU Space trains on a GPU and on its CPU);
    None if there are none."""
    runs = [r for r in store().list_runs() if r.status == "completed" and r.config.get("model") == model
            and r.config.get("kind", "training") != "evaluation" and not r.config.get("upload_id")
            and _columns(r.config) == columns][:_RECENT * 3]
    alike = [r for r in runs if bool(r.config.get("views", True)) == views]
    runs = alike or runs
    key = (model, columns, views, device, tuple(r.run_id for r in runs))
    with _lock:
        if key in _cache:
            return _cache[key]
    samples, evals, startups, rests = [], [], [], []
    for record in runs:
        if len(samples) >= _RECENT:
            continue
        events = store().read_events(record.run_id)
        started = next((e for e in events if isinstance(e, Started)), None)
        finished = next((e for e in events if isinstance(e, Finished)), None)
        pairs = record.config.get("eval_max_pairs") or 1500  # an older run's events do not say how many
        timed = [((e.pairs or pairs), e.elapsed_s) for e in events if isinstance(e, Eval) and e.elapsed_s > 0]
        if not (started and finished and finished.train_samples_per_s > 0 and events):
            continue
        if device is not None and started.device != device:
            continue
        samples.append(finished.train_samples_per_s)
        if timed:  # pooled: the whole split's evaluation weighs more than a 20-pair one
            evals.append(sum(p for p, _ in timed) / sum(t for _, t in timed))
        before = sum(e.elapsed_s for e in events if isinstance(e, Eval) and e.phase == "before")
        startups.append(max(0.0, started.t - events[0].t - before))
        later = sum(e.elapsed_s for e in events if isinstance(e, Eval) and e.phase != "before")
        rest = finished.t - started.t - finished.train_runtime_s - later
        rests.append(max(0.0, rest) / points(finished.steps, int(record.config.get("eval_steps") or 0)))
    value = Measured(statistics.median(samples), statistics.median(evals) if evals else 0.0,
                     statistics.median(startups), len(samples), statistics.median(rests)) if samples else None
    with _lock:
        _cache[key] = value
    return value


def _columns(config: dict) -> int:
    recipe = RECIPES.get(config.get("recipe", ""))
    return len(recipe.format.inputs) if recipe else 0
