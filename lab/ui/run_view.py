"""The live view of one run in the Train tab: `RunView` names what a tab following a run shows, `build` creates
its components under the same names, and `poll` / `progress_view` fill them.

Two ways in, each taken only when the browser sees a change key move (`state.follow`):
- `poll`, a gradio call, renders the whole `RunView` when the run's layout changes: it starts, a table arrives,
  it finishes (or its queue place moves);
- `progress_view` is the view's progress fields (status line, charts, stage list) as JSON, which the change-key
  route (lab/ui/routes.py) hands to a tab with its key when a new loss or evaluation point or a new stage
  arrived; the tab's own script sets them. The most frequent updates thus cost no gradio request at all.
Each view is built once per run version and shared by every tab that follows the run.

A new live chart is a field here (with `progress=True`), its component in `build`, and its value in `_render`.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field, fields
from typing import Any

import gradio as gr
import orjson
import pandas as pd

from lab import charts, service

LIVE = ("queued", "running")
MAX_TABLES = 2  # result tables a run can show (a pipeline's comparison, a label histogram, …)
_PROGRESS = {"progress": True}


@dataclass(frozen=True)
class RunView:
    """What a tab following a run shows: one field per component of `build`, in the outputs' order. Fields marked
    progress also travel with the change-key route's answer (the data only: no titles, limits or visibility)."""

    status: Any = field(metadata=_PROGRESS)
    loss: Any = field(metadata=_PROGRESS)
    evals: Any = field(metadata=_PROGRESS)
    lr: Any = field(metadata=_PROGRESS)
    stages: Any = field(metadata=_PROGRESS)
    identity: Any = None  # which run this is (the form may hold a draft)
    tables_box: Any = None
    table_0_text: Any = None
    table_0_plot: Any = None
    table_0_frame: Any = None
    table_1_text: Any = None
    table_1_plot: Any = None
    table_1_frame: Any = None
    result_box: Any = None
    sts_table: Any = None
    source: Any = None
    cancel: Any = None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in NAMES)


NAMES = tuple(f.name for f in fields(RunView))
PROGRESS = tuple(f.name for f in fields(RunView) if f.metadata.get("progress"))
N_VIEW = len(NAMES)


def outputs(components: dict[str, gr.components.Component]) -> list[gr.components.Component]:
    """The view's components in `RunView` order; every field must have one."""
    missing = [name for name in NAMES if name not in components]
    if missing:
        raise KeyError(f"RunView fields without a component: {', '.join(missing)}")
    return [components[name] for name in NAMES]


def build() -> dict[str, gr.components.Component]:
    """The live part of the view (status, stages, charts, result tables), created in the current layout; the
    Train tab adds the result box, STS-B table, data source and Cancel button under their `RunView` names."""
    c: dict[str, gr.components.Component] = {}
    c["status"] = gr.Markdown(charts.status_text("", []), elem_id="status")
    c["identity"] = gr.Markdown(elem_id="run-identity", elem_classes="lab-note")
    c["stages"] = gr.Markdown(elem_id="stages", visible=False)
    with gr.Row():
        # Born empty (None), not as an empty frame: a colour plot born empty keeps an empty colour domain.
        # Colour by stage: each pipeline stage counts its steps from 1 again, so one line would zig-zag.
        c["loss"] = gr.LinePlot(None, x="step", y="loss", color="stage", title="Training loss", x_title="step",
                                y_title="loss", height=250, elem_id="loss-plot", tooltip="all", y_axis_format=".3~g",
                                x_axis_format="d")
        c["evals"] = gr.LinePlot(None, x="step", y="spearman", color="series", title="STS-B spearman (cosine)",
                                 x_title="step", y_title="spearman", height=250, elem_id="eval-plot", tooltip="all",
                                 y_axis_format=".2f", x_axis_format="d")
    with gr.Row():  # its own row: three charts side by side cut their titles and legends
        c["lr"] = gr.LinePlot(None, x="step", y="lr", color="stage", title="Learning rate", x_title="step",
                              y_title="learning rate", height=200, elem_id="lr-plot", tooltip="all")
    with gr.Column(visible=False, elem_id="run-tables") as c["tables_box"]:
        for i in range(MAX_TABLES):
            c[f"table_{i}_text"] = gr.Markdown(elem_classes="lab-note", elem_id=f"run-table-{i}-text")
            with gr.Row():
                c[f"table_{i}_plot"] = gr.BarPlot(None, x="x", y="y", height=220, sort="x", visible=False,
                                                  elem_id=f"run-table-{i}-plot")
                c[f"table_{i}_frame"] = gr.Dataframe(interactive=False, wrap=True, max_height=300, visible=False,
                                                     elem_id=f"run-table-{i}")
    return c


def poll(job_id: str | None, seen: str | None, owner: str | None = None):
    """Everything, unless this tab has already seen the run's current layout key.

    The key is read before the snapshot (at worst one extra render, never a missed one), and the view and the
    timer come from that one snapshot, so a run that finishes mid-tick never leaves the timer off while the
    page still shows it running.
    """
    key = service.change_key(job_id)
    if key == seen:
        return (*(gr.skip(),) * N_VIEW, gr.skip(), seen)
    snap = service.snapshot(job_id, owner)  # None too for someone else's private run
    if snap is None:
        return (*render(None).values(), gr.Timer(active=False), "none")
    return (*_view(snap).values(), gr.Timer(active=snap.status in LIVE), key)


def progress_view(job_id: str | None, owner: str | None = None) -> tuple[str, bytes] | None:
    """(progress key, JSON of the view's PROGRESS fields) of a live run, for the change-key route to hand to tabs
    whose progress key is behind; None for a finished or unknown run, whose view is only ever the full poll's.
    Built once per run version and shared by every tab that may read the run."""
    snap = service.snapshot(job_id, owner)
    if snap is None or snap.status not in LIVE:
        return None

    def build_json(_queue_length: int) -> tuple[str, bytes]:
        parts = _parts(snap)
        body = orjson.dumps([parts.progress[name] for name in PROGRESS])  # NaN → null
        return f"{snap.run_id}:{snap.version}", body

    return _cached("progress", snap, build_json)


def render(job_id: str | None, owner: str | None = None) -> RunView:
    """The whole view for a run (an empty one when there is no such run, or one this browser may not see)."""
    snap = service.snapshot(job_id, owner)
    if snap is None:
        return RunView(status=charts.status_text("", []), identity="", loss=None, evals=None, lr=None,
                       stages=gr.Markdown("", visible=False), tables_box=gr.Column(visible=False),
                       **_table_slots({}), result_box=gr.Column(visible=False), sts_table=None, source="",
                       cancel=gr.Button(interactive=False))
    return _view(snap)


@dataclass(frozen=True)
class _Parts:
    """A run's view as plain values, computed once per run version."""

    frames: dict[str, pd.DataFrame | None]  # the charts' data: loss, evals, lr
    progress: dict[str, Any]  # PROGRESS field -> its value as the route sends it (charts as gradio's payload)
    before: dict[str, float]
    after: dict[str, float]
    tables: dict[str, Any]


_cache: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
_cache_lock = threading.Lock()


def _cached(kind: str, snap: Any, build_value):
    """`build_value(queue_length)`, once per state of the run (status, version, events, queue place and length),
    shared by every tab: a live run's view changes with each point, a finished run's never again."""
    queue_length = service.queue_length() if snap.status == "queued" else 0
    key = (kind, snap.run_id, snap.status, snap.version, len(snap.events), snap.position, queue_length)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build_value(queue_length)
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > 128:
            _cache.popitem(last=False)
    return value


def _parts(snap: Any) -> _Parts:
    def build_parts(queue_length: int) -> _Parts:
        events = list(snap.events)
        frames = {"loss": charts.live_loss_frame(events), "evals": charts.live_eval_frame(events),
                  "lr": charts.lr_frame(events)}
        frames = {name: (frame if len(frame) else None) for name, frame in frames.items()}
        before, after = charts.metrics_of(events)
        progress = {
            "status": charts.status_text(snap.status, events, snap.position, queue_length, snap.message),
            **{name: _payload(frame) for name, frame in frames.items()},
            "stages": charts.stage_list(events, snap.status),
        }
        return _Parts(frames, progress, before, after, charts.tables_of(events))

    return _cached("parts", snap, build_parts)


_PLOT = gr.LinePlot(render=False)  # only its postprocess is used: a frame → the payload a LinePlot sends


def _payload(frame: pd.DataFrame | None) -> dict | None:
    """A LinePlot's value as it goes over the wire; a dict passes through LinePlot.postprocess untouched."""
    return None if frame is None else _PLOT.postprocess(frame).model_dump()


def _view(snap: Any) -> RunView:
    return _cached("view", snap, lambda _queue_length: _render(snap))


def _render(snap: Any) -> RunView:
    p = _parts(snap)
    done = snap.status not in LIVE
    loss, evals, lr = p.frames["loss"], p.frames["evals"], p.frames["lr"]
    # A pipeline's charts get fixed titles and colour maps, and all their categories from the first frame, so
    # the browser embeds each chart once and then only swaps its data. A plain run has one category: no map.
    pipeline = bool(p.progress["stages"])
    # A plain run's step axis spans the whole run from its start, so the first points sit on a readable axis (a
    # lone "before" point otherwise gets a bare 0.000000 tick); a pipeline's stages each count their own steps.
    total = 0 if pipeline else charts.progress(snap.events)["total"]
    x_lim = [0, total] if total else None
    started = x_lim is not None  # started, no point yet: the axis now, the points as they come
    return RunView(
        status=p.progress["status"],
        identity=charts.identity_text(snap.run_id, snap.config),
        loss=gr.LinePlot(loss, color_map=charts.color_map(loss["stage"]) if pipeline else None, x_lim=x_lim,
                         title="Training loss per stage" if pipeline else "Training loss")
        if loss is not None or started else None,
        evals=gr.LinePlot(evals, color_map=charts.eval_color_map(evals["series"]), x_lim=x_lim,
                          y_lim=None if pipeline else charts.eval_axis(snap.events),
                          # one legend entry for the two grey noise lines: four entries do not fit beside the axis
                          colors_in_legend=None if pipeline else [charts.PLAIN_SERIES, "base model", "base + noise"],
                          y_title="spearman" if pipeline else _eval_axis_title(snap.config),
                          title="STS-B spearman (cosine) per model" if pipeline else "STS-B spearman (cosine)")
        if evals is not None else None,
        lr=gr.LinePlot(lr, color_map=charts.color_map(lr["stage"]) if pipeline else None, x_lim=x_lim,
                       title="Learning rate per stage" if pipeline else "Learning rate")
        if lr is not None or started else None,
        stages=gr.Markdown(p.progress["stages"], visible=pipeline),
        tables_box=gr.Column(visible=bool(p.tables)),
        **_table_slots(p.tables),
        result_box=gr.Column(visible=done and bool(p.before or service.has_model(snap.run_id))),
        sts_table=charts.sts_table(p.before, p.after) if (done and p.before) else None,
        source=charts.source_text(list(snap.events)),
        cancel=gr.Button(interactive=not done),
    )


def _eval_axis_title(config: dict) -> str:
    """The live STS-B chart's y-axis title, from the config (fixed from the first frame): the curve's pairs (a long
    chart title squeezes the plot to nothing in gradio 6.31)."""
    pairs = config.get("eval_max_pairs")
    return f"spearman, {pairs:,} pairs" if pairs else "spearman, all pairs"


def _table_slots(tables: dict[str, Any]) -> dict[str, Any]:
    """The result-table slots, filled in the order the run's tables first appeared; each table's own chart spec
    (`Table.chart`) decides whether its slot shows a bar chart. No pipeline's names here."""
    out: dict[str, Any] = {}
    shown = list(tables.values())[:MAX_TABLES]
    for i in range(MAX_TABLES):
        table = shown[i] if i < len(shown) else None
        chart = getattr(table, "chart", None) or {}
        out[f"table_{i}_text"] = charts.table_text(table)
        out[f"table_{i}_plot"] = (
            gr.BarPlot(charts.chart_frame(table), visible=True, title=chart.get("title", ""),
                       x_title=chart.get("x_title", chart.get("x", "")),
                       y_title=chart.get("y_title", chart.get("y", ""))) if chart else gr.BarPlot(None, visible=False))
        out[f"table_{i}_frame"] = (gr.Dataframe(charts.table_frame(table), visible=True) if table is not None
                                   else gr.Dataframe(None, visible=False))
    return out
