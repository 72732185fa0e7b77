"""The Compare tab's loss duel: the settings of run A, two or three losses, one click; then their STS-B, alignment
and uniformity curves side by side (against step, examples seen or wall-clock) and the STS-B pairs one loss places
right and the other wrong. The duel's run ids live in this browser (a reload keeps the duel)."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lab import charts, service
from lab.ui.state import user_errors

DUEL_KEY = "contrastive-lab-duel"


def build(run_a: gr.Dropdown, owner: gr.BrowserState, tab: gr.Tab) -> None:
    duel_ids = gr.BrowserState([], storage_key=DUEL_KEY)
    timer = gr.Timer(3.0, active=False)
    with gr.Accordion("Loss duel: the same run with another loss", open=False, elem_id="duel-box"):
        gr.Markdown("Takes **run A**'s settings (pick it above) and queues one run per loss, differing only in the "
                    "loss: same base, data, seed and batch order, same evaluation schedule. A loss that needs another "
                    "data format trains on the NLI recipe that gives it. Loss values are never drawn: they share no "
                    "scale.", elem_classes="lab-note")
        with gr.Row():
            losses = gr.Dropdown(service.duel.duel_losses(), value=["mnrl", "cosine"],
                                 multiselect=True, max_choices=service.duel.MAX_LOSSES, label="Losses",
                                 elem_id="duel-losses")
            x_axis = gr.Radio([(v, k) for k, v in charts.duel.X_AXES.items()], value="step", label="x axis",
                              elem_id="duel-x")
        start = gr.Button("▶ Queue the duel", size="sm", elem_id="duel-start")
        text = gr.Markdown(elem_id="duel-text", elem_classes="lab-note")
        plot = gr.Plot(show_label=False, elem_id="duel-plot", visible=False)
        with gr.Row():
            a_not_b = gr.Dataframe(label="Pairs A places right and B wrong", interactive=False, wrap=True,
                                   visible=False, elem_id="duel-a", max_height=280)
            b_not_a = gr.Dataframe(label="Pairs B places right and A wrong", interactive=False, wrap=True,
                                   visible=False, elem_id="duel-b", max_height=280)
    outputs = [text, plot, a_not_b, b_not_a, timer]
    start.click(start_duel, [run_a, losses, owner], [duel_ids], concurrency_limit=None, api_name="duel").success(
        view, [duel_ids, x_axis, owner], outputs, concurrency_limit=None, api_visibility="private")
    for event in (x_axis.change, timer.tick, tab.select):
        event(view, [duel_ids, x_axis, owner], outputs, concurrency_limit=None, show_progress="hidden",
              api_visibility="private")


@user_errors
def start_duel(run_id: str | None, losses: list[str] | None, owner: str | None):
    return service.duel.start_duel(run_id, list(losses or []), owner)


def view(run_ids: list[str] | None, x: str, owner: str | None = None):
    v = service.duel.duel_view(list(run_ids or []), x, owner)
    if v.figure is None and not v.text:
        return "", gr.Plot(visible=False), gr.Dataframe(visible=False), gr.Dataframe(visible=False), \
            gr.Timer(active=v.live)
    return (v.text, gr.Plot(v.figure, visible=v.figure is not None),
            gr.Dataframe(pd.DataFrame(v.a_not_b) if v.a_not_b else None, visible=bool(v.a_not_b)),
            gr.Dataframe(pd.DataFrame(v.b_not_a) if v.b_not_a else None, visible=bool(v.b_not_a)),
            gr.Timer(active=v.live))
