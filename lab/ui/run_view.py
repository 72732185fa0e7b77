"""The live view of one run in the Train tab: what a tab is sent when it follows a run.

Two ways in, each taken only when the browser sees a change key move (`state.follow`):
- `poll`, a gradio call, renders everything (status, charts, stages, tables, results, the timer) when the run's
  layout changes: it starts, a table arrives, it finishes (or its queue place moves);
- `progress_view` is the status line, the two charts and the stage list as JSON, which the change-key route
  (lab/ui/routes.py) hands to a tab with its key when a new loss or evaluation point or a new stage arrived; the
  tab's own script sets them. The most frequent updates thus cost no gradio request at all (a gradio request
  costs milliseconds of server CPU even when it skips every output).
Each view is built once per run version and shared by every tab that follows the run.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr
import orjson
import pandas as pd

from lab import charts, service

N_VIEW = 14  # outputs of `render`, in `TrainTab.view` order
LIVE = ("queued", "running")


def poll(job_id: str | None, seen: str | None):
    """Everything, unless this tab has already seen the run's current layout key.

    The key is read before the snapshot (at worst one extra render, never a missed one), and the view and the
    timer come from that one snapshot, so a run that finishes mid-tick never leaves the timer off while the
    page still shows it running.
    """
    key = service.change_key(job_id)
    if key == seen:
        return (*(gr.skip(),) * N_VIEW, gr.skip(), seen)
    snap = service.snapshot(job_id)
    if snap is None:
        return (*render(None), gr.Timer(active=False), "none")
    return (*_view(snap), gr.Timer(active=snap.status in LIVE), key)


def progress_view(job_id: str | None) -> tuple[str, bytes] | None:
    """(progress key, JSON of [status, loss chart, eval chart, stage list]) of a live run, for the change-key
    route to hand to tabs whose progress key is behind; None for a finished or unknown run, whose view is only
    ever the full poll's. Built once per run version and shared by every tab."""
    snap = service.snapshot(job_id)
    if snap is None or snap.status not in LIVE:
        return None

    def build(_queue_length: int) -> tuple[str, bytes]:
        parts = _parts(snap)
        body = orjson.dumps([parts.status, parts.loss_payload, parts.evals_payload, parts.stages])  # NaN → null
        return f"{snap.run_id}:{snap.version}", body

    return _cached("progress", snap, build)


def render(job_id: str | None) -> tuple[Any, ...]:
    """The whole view for a run, in `TrainTab.view` order."""
    snap = service.snapshot(job_id)
    if snap is None:
        return (charts.status_text("", []), None, None, gr.Column(visible=False), None, "",
                gr.Button(interactive=False), gr.Markdown("", visible=False), gr.Column(visible=False), "", None,
                None, "", None)
    return _view(snap)


@dataclass(frozen=True)
class _Parts:
    """A run's view as plain values, computed once per run version."""

    status: str
    loss: pd.DataFrame | None
    evals: pd.DataFrame | None
    loss_payload: dict | None  # the charts as gradio sends them, serialised once instead of once per tab
    evals_payload: dict | None
    stages: str
    before: dict[str, float]
    after: dict[str, float]
    tables: dict[str, Any]


_cache: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
_cache_lock = threading.Lock()


def _cached(kind: str, snap: Any, build):
    """`build(queue_length)`; for live runs once per (run, version, queue place, queue length), shared by every
    tab."""
    queue_length = service.manager().queue_length() if snap.status == "queued" else 0
    if snap.status not in LIVE:
        return build(queue_length)
    key = (kind, snap.run_id, snap.version, snap.position, queue_length)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build(queue_length)
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > 128:
            _cache.popitem(last=False)
    return value


def _parts(snap: Any) -> _Parts:
    def build(queue_length: int) -> _Parts:
        events = list(snap.events)
        loss, evals = charts.live_loss_frame(events), charts.live_eval_frame(events)
        before, after = charts.metrics_of(events)
        loss, evals = (loss if len(loss) else None), (evals if len(evals) else None)
        return _Parts(
            status=charts.status_text(snap.status, events, snap.position, queue_length, snap.message),
            loss=loss,
            evals=evals,
            loss_payload=_payload(loss),
            evals_payload=_payload(evals),
            stages=charts.stage_list(events, snap.status),
            before=before,
            after=after,
            tables=charts.tables_of(events),
        )

    return _cached("parts", snap, build)


_PLOT = gr.LinePlot(render=False)  # only its postprocess is used: a frame → the payload a LinePlot sends


def _payload(frame: pd.DataFrame | None) -> dict | None:
    """A LinePlot's value as it goes over the wire; a dict passes through LinePlot.postprocess untouched."""
    return None if frame is None else _PLOT.postprocess(frame).model_dump()


def _view(snap: Any) -> tuple[Any, ...]:
    return _cached("view", snap, lambda _queue_length: _render(snap))


def _render(snap: Any) -> tuple[Any, ...]:
    p = _parts(snap)
    done = snap.status not in LIVE
    silver, comparison = p.tables.get("silver-labels"), p.tables.get("comparison")
    # A pipeline's charts get fixed titles and colour maps, and all their categories from the first frame, so
    # the browser embeds each chart once and then only swaps its data. A plain run has one category: no map.
    pipeline = bool(p.stages)
    # A plain run's step axis spans the whole run from its start, so the first points sit on a readable axis (a
    # lone "before" point otherwise gets a bare 0.000000 tick); a pipeline's stages each count their own steps.
    total = 0 if pipeline else charts.progress(snap.events)["total"]
    x_lim = [0, total] if total else None
    return (
        p.status,
        gr.LinePlot(p.loss, color_map=charts.color_map(p.loss["stage"]) if pipeline else None, x_lim=x_lim,
                    title="Training loss per stage" if pipeline else "Training loss")
        if p.loss is not None or x_lim else None,  # started, no loss yet: the axis now, the points as they come
        gr.LinePlot(p.evals, color_map=charts.color_map(p.evals["series"]) if pipeline else None, x_lim=x_lim,
                    title="STS-B spearman (cosine) per model" if pipeline else "STS-B spearman (cosine)")
        if p.evals is not None else None,
        gr.Column(visible=done and bool(p.before or service.has_model(snap.run_id))),
        charts.sts_table(p.before, p.after) if (done and p.before) else None,
        charts.source_text(list(snap.events)),
        gr.Button(interactive=not done),
        gr.Markdown(p.stages, visible=pipeline),
        gr.Column(visible=bool(p.tables)),
        charts.table_text(silver),
        gr.BarPlot(charts.histogram_frame(silver), visible=True) if silver else gr.BarPlot(None, visible=False),
        gr.Dataframe(charts.table_frame(silver), visible=True) if silver else gr.Dataframe(None, visible=False),
        charts.table_text(comparison),
        gr.Dataframe(charts.table_frame(comparison), visible=True) if comparison else gr.Dataframe(None, visible=False),
    )
