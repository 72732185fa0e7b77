"""The Explore tab: a 2-D map of sample sentences from the base and the trained model side by side, nearest
neighbours before/after, and the similarity of two sentences before/after. Models live in lab.service.explore.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lab import charts, service
from lab.ui.state import user_errors

_EXPLORE = {"concurrency_limit": 1, "concurrency_id": "explore"}  # one embedding job at a time


def build(demo: gr.Blocks, tab: gr.Tab, owner: gr.BrowserState) -> None:
    gr.Markdown(
        "Pick a finished run to see its **base model (left)** and **trained model (right)** embed the *same* "
        "sentences, or pick a base model alone. Points that are close were embedded close together. "
        "A server compiles UMAP once, in the background after it starts (the header says when the Explore maps are "
        "ready); a map drawn once is kept, and PCA is instant. "
        "Exploring while a run trains slows both down (2 CPU cores).", elem_classes="lab-note")
    with gr.Row():
        choice = gr.Dropdown(_base_choices(), value=None, label="Run or base model", elem_id="explore-pick", scale=3)
        dataset = gr.Radio([(v, k) for k, v in service.explore.DATASET_LABELS.items()], value="banking77",
                           label="Sentences", scale=3)
        method = gr.Radio([("UMAP", "umap"), ("PCA", "pca")], value="umap", label="Projection", scale=1)
        size = gr.Slider(100, 800, value=300, step=50, label="Sentences", scale=2)
    go_btn = gr.Button("Embed & project", variant="primary", elem_id="project")
    with gr.Row():
        plot_before = gr.Plot(label="Before (base model)", elem_id="umap-before")
        plot_after = gr.Plot(label="After (trained model)", elem_id="umap-after")

    gr.Markdown("### Nearest neighbours among 1,000 STS-B sentences")
    with gr.Row():
        query = gr.Textbox("A man is playing a guitar.", label="Sentence", scale=4, max_lines=2)
        k = gr.Slider(1, 10, value=5, step=1, label="k", scale=1)
        nn_btn = gr.Button("Search", scale=1, elem_id="nn-search")
    with gr.Row():
        empty = pd.DataFrame(columns=["cosine", "sentence"])  # named columns before the first search, not 1 2 3
        nn_before = gr.Dataframe(empty, label="Before", interactive=False, wrap=True, elem_id="nn-before")
        nn_after = gr.Dataframe(empty, label="After", interactive=False, wrap=True, elem_id="nn-after")

    gr.Markdown("### Similarity of two sentences")
    with gr.Row():
        sent_a = gr.Textbox("A woman is slicing an onion.", label="Sentence A", max_lines=2)
        sent_b = gr.Textbox("Someone is cutting vegetables.", label="Sentence B", max_lines=2)
        sim_btn = gr.Button("Compare", scale=0, min_width=120, elem_id="sim-go")
    sim_md = gr.Markdown(elem_id="sim-result")

    tab.select(_refresh, [choice, owner], choice, concurrency_limit=None, api_visibility="private")
    go_btn.click(project, [choice, dataset, size, method, owner], [plot_before, plot_after], api_name="project",
                 **_EXPLORE)
    nn_btn.click(neighbours, [choice, query, k, owner], [nn_before, nn_after], api_name="neighbours", **_EXPLORE)
    query.submit(neighbours, [choice, query, k, owner], [nn_before, nn_after], api_visibility="private", **_EXPLORE)
    sim_btn.click(similarity, [choice, sent_a, sent_b, owner], sim_md, api_name="similarity", **_EXPLORE)


def _base_choices() -> list[tuple[str, str]]:
    return [(f"base model: {k}", f"base:{k}") for _, k in service.base_model_choices()]


def _choices(owner: str | None = None) -> list[tuple[str, str]]:
    runs = [r for r in service.list_runs(owner) if service.has_model(r.run_id)]
    return [(charts.run_label(r.run_id, r.config), f"run:{r.run_id}") for r in runs] + _base_choices()


def _refresh(current: str | None, owner: str | None = None):
    choices = _choices(owner)
    values = [v for _, v in choices]
    return gr.Dropdown(choices=choices, value=current if current in values else (values[0] if values else None))


def _need(choice: str | None) -> str:
    if not choice:
        raise gr.Error("Pick a run or a base model first.")
    return choice


@user_errors
def project(choice: str | None, dataset: str, size: float, method: str, owner: str | None = None):
    before, after = service.explore.projection_figures(_need(choice), dataset, size, method, owner=owner)
    return before, after


@user_errors
def neighbours(choice: str | None, query: str, k: float, owner: str | None = None):
    before, after = service.explore.neighbour_tables(_need(choice), query, k, owner)
    return before, after


@user_errors
def similarity(choice: str | None, a: str, b: str, owner: str | None = None) -> str:
    before, after = service.explore.pair_similarity(_need(choice), a, b, owner)
    if after is None:
        return f"cosine similarity: **{before:.3f}**"
    arrow = "closer" if after > before else "further apart"
    return (f"cosine similarity before: **{before:.3f}** → after: **{after:.3f}** "
            f"({after - before:+.3f}: training moved them {arrow}).")
