"""Teaching views: what a loss does to a batch and to the embedding space, computed in the training process at
log and evaluation time, stored with the run as events, and drawn by pure functions (so they replay after the
run, after a restart and in Compare).

A view is one module here, listed in VIEWS, with:
- TITLE and LEARN (two or three sentences for the Learn tab);
- `figure(events, folder)`: the run's events (and its `views/` folder, for a view that keeps arrays beside the
  event log) in, a plotly figure out (None: nothing to show for this run);
- optionally `probe(rows, config, total_steps, folder, stage)`: a probe the trainer calls (`start`, `step`,
  `evaluate`, `finish` with the model and step), each returning the `data` of a `View` event to store, or None;
  the factory returns None when the view does not apply to the run.
Geometry needs no probe: the STS-B evaluator measures it on the embeddings it already made (Eval.geometry).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lab.events import Event, View
from lab.views import batch, embedding_map, geometry, probes

VIEWS = {"batch": batch, "geometry": geometry, "probes": probes, "map": embedding_map}  # display order


class Watch:
    """The probes of one fit: called by the training callback; each result becomes a `View` event. Its time is
    kept apart (`elapsed_s`) so the run's samples/s counts training only."""

    def __init__(self, model, rows, config, emit: Callable[[Event], None], total_steps: int, stage: str = "",
                 folder: Path | None = None):
        self.model, self.emit, self.stage = model, emit, stage
        self.elapsed_s = 0.0
        self.probes = {}
        if config.views:
            for name, module in VIEWS.items():
                make = getattr(module, "probe", None)
                found = make(rows, config, total_steps, folder=folder, stage=stage) if make else None
                if found is not None:
                    self.probes[name] = found

    def _call(self, method: str, step: int) -> None:
        if not self.probes:
            return
        t0 = time.perf_counter()
        was_training = self.model.training
        try:
            for name, probe in self.probes.items():
                data = getattr(probe, method)(self.model, step)
                if data is not None:
                    self.emit(View(name=name, step=step, data=data, stage=self.stage))
        finally:
            self.model.train(was_training)
            self.elapsed_s += time.perf_counter() - t0

    def start(self) -> None:
        self._call("start", 0)

    def step(self, step: int) -> None:
        self._call("step", step)

    def evaluate(self, step: int) -> None:
        self._call("evaluate", step)

    def finish(self, step: int) -> None:
        self._call("finish", step)


def figures(events: list[Event], folder: Path | None = None) -> dict[str, object]:
    """Every view's figure for a run (None where a view has nothing to show); `folder`: the run's views/ folder."""
    return {name: module.figure(events, folder) for name, module in VIEWS.items()}


def learn_texts() -> list[tuple[str, str]]:
    """(title, explanation) of each view, for the Learn tab."""
    return [(module.TITLE, module.LEARN) for module in VIEWS.values()]


def pair_scores(evaluator, step: int, stage: str = "") -> View | None:
    """The final model's cosine for every STS-B pair of a whole-split evaluation: what a loss duel compares pair by
    pair (which pairs one loss gets right and the other does not)."""
    if evaluator.last_cosines is None or evaluator.subset:
        return None
    return View(name="pairs", step=step, stage=stage,
                data={"split": evaluator.split, "cos": [round(float(c), 4) for c in evaluator.last_cosines]})
