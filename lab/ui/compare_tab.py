"""The Compare tab: every stored run in a sortable table, overlaid loss/eval curves of the picked runs,
a config diff of two runs, and export (zip / training script) of a stored run.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from lab import charts, service
from lab.ui.state import user_errors


def build(demo: gr.Blocks, tab: gr.Tab) -> None:
    gr.Markdown("Every run stored on this server (newest first). Click a column header to sort.",
                elem_classes="lab-note")
    with gr.Row():
        refresh = gr.Button("↻ Refresh", size="sm", scale=0, min_width=110)
    table = gr.Dataframe(interactive=False, elem_id="runs-table", max_height=300, wrap=False)
    picked = gr.Dropdown([], multiselect=True, label="Runs to overlay", elem_id="compare-pick",
                         info="Pick one or more runs: their curves are drawn on the same axes.")
    with gr.Row():
        # Start from None, not an empty frame: a colour plot born empty keeps an empty colour domain (gradio 6.31).
        loss_plot = gr.LinePlot(None, x="step", y="loss", color="run",
                                title="Training loss", height=280, elem_id="compare-loss", tooltip="all")
        eval_plot = gr.LinePlot(None, x="step", y="spearman",
                                color="run", title="STS-B spearman (cosine)", height=280, elem_id="compare-eval",
                                tooltip="all")
    gr.Markdown("### Config diff")
    with gr.Row():
        run_a = gr.Dropdown([], label="Run A", elem_id="diff-a")
        run_b = gr.Dropdown([], label="Run B", elem_id="diff-b")
        only_changed = gr.Checkbox(True, label="Only differences")
    diff = gr.Dataframe(interactive=False, elem_id="config-diff", wrap=True)
    with gr.Row():
        zip_btn = gr.Button("⬇ Download run A's model (.zip)", size="sm")
        code_btn = gr.Button("</> Show run A's training code", size="sm")
    zip_file = gr.File(label="Model zip", visible=False, interactive=False)
    code = gr.Code(language="python", visible=False, interactive=False, label="Training script for run A")

    outs = [table, picked, run_a, run_b]
    refresh.click(runs, picked, outs, concurrency_limit=None, api_name="runs")
    tab.select(runs, picked, outs, concurrency_limit=None, api_visibility="private")
    picked.change(overlay, picked, [loss_plot, eval_plot], concurrency_limit=None, api_name="overlay")
    for comp in (run_a, run_b, only_changed):
        comp.change(config_diff, [run_a, run_b, only_changed], diff, concurrency_limit=None,
                    api_visibility="private")
    zip_btn.click(export_zip, run_a, zip_file, concurrency_limit=4, api_visibility="private")
    code_btn.click(show_code, run_a, code, concurrency_limit=None, api_visibility="private")


def runs(picked: list[str] | None):
    """The runs table and the run pickers, refreshed from the store."""
    records = service.list_runs()
    choices = [(charts.run_label(r.run_id, r.config) + f" · {r.status}", r.run_id) for r in records]
    ids = {r.run_id for r in records}
    keep = [p for p in (picked or []) if p in ids]
    if not keep:
        keep = [r.run_id for r in records if r.status in ("completed", "cancelled")][:2]
    first = keep[0] if keep else None
    others = [r.run_id for r in records if r.run_id != first]
    second = keep[1] if len(keep) > 1 else (others[0] if others else None)
    return (charts.runs_frame(records), gr.Dropdown(choices=choices, value=keep, multiselect=True),
            gr.Dropdown(choices=choices, value=first), gr.Dropdown(choices=choices, value=second))


def overlay(picked: list[str] | None):
    curves: dict[str, Any] = {}
    for run_id in (picked or [])[:8]:
        record = service.load_run(run_id)
        if record is not None:
            curves[charts.run_label(run_id, record.config)] = record.events
    loss, evals = charts.overlay_loss(curves), charts.overlay_eval(curves)
    return (loss if len(loss) else None), (evals if len(evals) else None)


def config_diff(a: str | None, b: str | None, only_changed: bool) -> pd.DataFrame:
    ra, rb = (service.load_run(a) if a else None), (service.load_run(b) if b else None)
    if ra is None or rb is None:
        return pd.DataFrame(columns=["setting", "run A", "run B"])

    def flat(record) -> dict[str, Any]:
        before, after = charts.metrics_of(record.events)
        main = "spearman_cosine"
        return {**record.config, "status": record.status, "STS-B spearman before": before.get(main),
                "STS-B spearman after": after.get(main)}

    return charts.config_diff(flat(ra), flat(rb), only_changed)


@user_errors
def export_zip(run_id: str | None):
    if not run_id or not service.has_model(run_id):
        raise gr.Error("Pick a run with a saved model as run A.")
    return gr.File(value=str(service.export_zip(run_id)), visible=True)


@user_errors
def show_code(run_id: str | None):
    if not run_id:
        raise gr.Error("Pick a run as run A.")
    return gr.Code(value=service.export_script(run_id), visible=True)
