"""The Hard negatives tab (the negative explorer): mine negatives for sample NLI anchors with the knobs of the
`nli-triplets-hard` recipe, and see them beside the positive and the random negative, with their scores.
"""

from __future__ import annotations

import gradio as gr

from lab import service
from lab.ui.state import user_errors

_EXPLORE = {"concurrency_limit": 1, "concurrency_id": "explore"}  # shares the CPUs with the Explore tab


def build(demo: gr.Blocks) -> None:
    gr.Markdown(
        "What does *mining* a hard negative change? For a sample of NLI anchors, the bundled all-MiniLM-L6-v2 "
        "scores the **positive** (the entailed hypothesis), the **random negative** the `nli-triplets` recipe "
        "uses, and the **mined negatives** `nli-triplets-hard` picks with these knobs (sentence-transformers' "
        "`mine_hard_negatives`). A negative scored *above* its positive is flagged: it is often a paraphrase — "
        "a false negative the loss would push away. The default margin and max score filter those out (a negative "
        "must score 0.05 below its positive): set margin to -0.3 and max_score to 1 to let them through and see "
        "them. The first run loads the miner model (a few seconds).",
        elem_classes="lab-note")
    knobs = {}
    with gr.Row():
        anchors = gr.Slider(50, service.negatives.MAX_ANCHORS, value=300, step=50, label="Anchors",
                            elem_id="neg-anchors", scale=4, info="NLI triplets to score; mining takes longer for more.")
        seed = gr.Number(42, label="Seed", minimum=0, scale=1)
    with gr.Row():
        for name, default, help_text, _, low, high in service.negatives.knob_info():
            knobs[name] = gr.Number(default, label=name, info=help_text,
                                    minimum=low, maximum=high, elem_id=f"neg-{name}")
    go_btn = gr.Button("Mine & score negatives", variant="primary", elem_id="neg-go")
    summary = gr.Markdown(elem_id="neg-summary")
    plot = gr.Plot(label="Scores", elem_id="neg-hist")
    table = gr.Dataframe(label="Sample anchors: the positive, the random negative and the mined negatives",
                         interactive=False, wrap=True, elem_id="neg-table", max_height=520,
                         column_widths=["22%", "22%", "7%", "7%", "26%", "7%", "9%"])
    go_btn.click(explore_negatives, [anchors, seed, *knobs.values()], [summary, plot, table],
                 api_name="negatives", **_EXPLORE)


_KNOB_NAMES = [k[0] for k in service.negatives.knob_info()]


@user_errors
def explore_negatives(anchors: float, seed: float, *knob_values: float):
    view = service.negatives.explore_negatives(anchors, seed, **dict(zip(_KNOB_NAMES, knob_values,
                                                                                        strict=True)))
    return view.summary, view.figure, view.examples
