"""The teaching views of the followed run, under its charts in the Train tab: the in-batch similarity matrix (with
a step slider and a client-side Play button), geometry health, probe pairs with the ones that moved the wrong
way, and the embedding map over training (a drag across the loss curve jumps to a step). Followed with its own
timer, rendered only when the run's view data changed (service.views_key); the figures are built once per state
and shared by every tab (service.run_views)."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lab import service
from lab.ui.state import POLL_S, follow


# Play: step a figure's own slider in the browser (no server call): Plotly.update with each step's arguments.
def play_js(elem_id: str) -> str:
    return _PLAY_JS.replace("ELEM_ID", elem_id)


_PLAY_JS = """
() => {
  const gd = document.querySelector('#ELEM_ID .js-plotly-plot');
  if (!gd || !window.Plotly || !gd.layout.sliders || !gd.layout.sliders.length) return;
  if (gd.__labPlaying) { clearInterval(gd.__labPlaying); gd.__labPlaying = null; return; }
  const steps = gd.layout.sliders[0].steps;
  let i = 0;
  gd.__labPlaying = setInterval(() => {
    if (i >= steps.length) { clearInterval(gd.__labPlaying); gd.__labPlaying = null; return; }
    window.Plotly.update(gd, steps[i].args[0], {...steps[i].args[1], 'sliders[0].active': i});
    i += 1;
  }, 700);
}
"""


def build(demo: gr.Blocks, job_id, owner, prefix: str = "view",
          title: str = "What the loss does: teaching views") -> dict[str, gr.components.Component]:
    """The panel, created in the current layout, following the run id held by `job_id` (the Train tab's run, or a
    replay picker); `prefix` keeps its element ids apart when a page shows two panels."""
    seen = gr.State(None)
    timer = gr.Timer(2 * POLL_S, active=True)  # always on: a run started elsewhere (Compare, a reload) shows too
    with gr.Accordion(title, open=True, elem_id=f"{prefix}s-box"):
        empty = gr.Markdown(elem_classes="lab-note", elem_id=f"{prefix}s-empty")
        batch_note = gr.Markdown(elem_classes="lab-note", elem_id=f"{prefix}-batch-note")
        batch = gr.Plot(show_label=False, elem_id=f"{prefix}-batch", visible=False)
        play = gr.Button("▶ Play / pause the matrix over training", size="sm", elem_id=f"{prefix}-batch-play",
                         visible=False)
        geometry_note = gr.Markdown(elem_classes="lab-note", elem_id=f"{prefix}-geometry-note")
        geometry = gr.Plot(show_label=False, elem_id=f"{prefix}-geometry", visible=False)
        probes = gr.Plot(show_label=False, elem_id=f"{prefix}-probes", visible=False)
        wrong = gr.Dataframe(label="Probe pairs that moved most against their gold score (relative to the mean move)",
                             interactive=False, wrap=True, visible=False, elem_id=f"{prefix}-wrong-way", max_height=260)
        emap = gr.Plot(show_label=False, elem_id=f"{prefix}-map", visible=False)
        play_map = gr.Button("▶ Play / pause the map over training (or drag across the loss curve to jump to a step)",
                             size="sm", elem_id=f"{prefix}-map-play", visible=False)
    outputs = [empty, batch_note, batch, play, geometry_note, geometry, probes, wrong, emap, play_map, seen]
    play.click(None, None, None, js=play_js(f"{prefix}-batch"))
    play_map.click(None, None, None, js=play_js(f"{prefix}-map"))
    follow(timer, job_id, refresh, [job_id, seen, owner], outputs, api_name=f"{prefix}s", owner=owner, views=True)
    demo.load(refresh, [job_id, gr.State(None), owner], outputs, show_progress="hidden", api_visibility="private")
    return {"map": emap}


def jump(job_id: str | None, owner: str | None, evt: gr.SelectData):
    """A selection on the loss curve (a drag across it: its start step) shows the map at the nearest snapshot."""
    index = evt.index if isinstance(evt.index, list | tuple) else [evt.index]
    try:
        step = float(index[0])
    except (TypeError, ValueError, IndexError):
        return gr.skip()
    fig = service.map_at(job_id, step, owner)
    return gr.skip() if fig is None else gr.Plot(fig)


def refresh(job_id: str | None, seen: str | None, owner: str | None = None):
    key = service.views_key(job_id, owner)
    if key == seen:
        return (*(gr.skip(),) * 10, seen)
    v = service.run_views(job_id, owner)
    fig = v.figures
    wrong = pd.DataFrame(v.wrong_way)
    return (
        v.empty,
        v.batch_note,
        gr.Plot(fig.get("batch"), visible=fig.get("batch") is not None),
        gr.Button(visible=fig.get("batch") is not None),
        v.geometry_note,
        gr.Plot(fig.get("geometry"), visible=fig.get("geometry") is not None),
        gr.Plot(fig.get("probes"), visible=fig.get("probes") is not None),
        gr.Dataframe(wrong if len(wrong) else None, visible=bool(len(wrong))),
        gr.Plot(fig.get("map"), visible=fig.get("map") is not None),
        gr.Button(visible=fig.get("map") is not None),
        v.key,
    )
