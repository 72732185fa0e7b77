"""A run's teaching views as the UI shows them (lab/views/ computes and draws them): the figures, the probe pairs
that moved the wrong way and one-line notes, built once per state of the run's view data and shared by every tab
that shows the run (a room of 30 following one run costs one build)."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from lab import views
from lab.events import Eval, Event, View
from lab.service.duel import LEARN as DUEL_LEARN
from lab.service.duel import TITLE as DUEL_TITLE
from lab.service.live import snapshot, store

_cache: collections.OrderedDict[tuple, RunViews] = collections.OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class RunViews:
    key: str  # changes when the run's view data changes
    figures: dict[str, Any]  # view name -> plotly figure or None
    batch_note: str
    geometry_note: str
    wrong_way: list[dict[str, Any]]
    empty: str  # why there is nothing to show ("" when there is)


def views_key(run_id: str | None, owner: str | None = None) -> str:
    """Cheap: which run, and how many view snapshots and measured evaluations it has."""
    snap = snapshot(run_id, owner)
    if snap is None:
        return "none"
    return f"{snap.run_id}:{_count(snap.events)}:{snap.status}"


def _count(events) -> int:
    return sum(1 for e in events if isinstance(e, View) or (isinstance(e, Eval) and e.geometry))


def run_views(run_id: str | None, owner: str | None = None) -> RunViews:
    snap = snapshot(run_id, owner)
    if snap is None:
        return RunViews("none", dict.fromkeys(views.VIEWS), "", "", [], "Start a run (or pick one) to see its views.")
    key = f"{snap.run_id}:{_count(snap.events)}:{snap.status}"
    with _lock:
        if key in _cache:
            return _cache[key]
    built = _build(key, list(snap.events), snap.config, snap.status, store().run_dir(snap.run_id) / "views")
    with _lock:
        _cache[key] = built
        while len(_cache) > 32:
            _cache.popitem(last=False)
    return built


def _build(key: str, events: list[Event], config: dict, status: str, folder) -> RunViews:
    figures = views.figures(events, folder)
    empty = ""
    if not any(f is not None for f in figures.values()):
        empty = ("The views appear with the run's first snapshot." if status in ("queued", "running") else
                 "This run has no teaching views (it ran with them off, or before the lab had them).")
    return RunViews(key, figures, batch_note(events, config), views.geometry.summary(events),
                    views.probes.wrong_way(events), empty)


def batch_note(events: list[Event], config: dict) -> str:
    """One line beside the matrix: what scale and batch size do, with this run's numbers."""
    head, shots = views.batch.snapshots(events)
    if not shots:
        loss = config.get("loss", "")
        return (f"The '{loss}' loss has no in-batch negatives: no batch matrix to show."
                if loss and not views.batch.applies(loss) else "")
    first, last = shots[0][1]["top1"], shots[-1][1]["top1"]
    rows, batch = len(head.get("anchors", [])), head.get("batch_size", 0)
    shown = f"{rows} of its {batch} rows" if batch and rows < batch else f"all {rows} rows"
    return (f"A fixed batch of the run's own data ({shown}). Positive is the row's top-1: {first:.0%} at step "
            f"{shots[0][0]} → {last:.0%} at step {shots[-1][0]}. Scale {head.get('scale', 20):g} divides the "
            "cosines' temperature: higher makes each row's softmax sharper; a bigger batch puts more negatives in "
            "each row, a harder choice and a stronger signal.")


def learn_views() -> list[tuple[str, str]]:
    """(title, two or three sentences) per teaching view, for the Learn tab (the duel's last)."""
    return [*views.learn_texts(), (DUEL_TITLE, DUEL_LEARN)]


def map_at(run_id: str | None, step: float | None, owner: str | None = None):
    """The embedding map showing the snapshot nearest to `step` (a click on the loss curve), or None."""
    snap = snapshot(run_id, owner)
    if snap is None or step is None:
        return None
    return views.embedding_map.figure(list(snap.events), store().run_dir(snap.run_id) / "views", active=float(step))
