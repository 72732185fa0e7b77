"""The Compare tab: this browser's runs (with queue places), the shared leaderboard of finished training runs,
overlaid loss/eval curves of the picked runs, a config diff of two runs, and export / push-to-Hub of a run.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from lab import charts, service
from lab.ui import duel_section, views_panel
from lab.ui.state import user_errors


def build(demo: gr.Blocks, tab: gr.Tab, owner: gr.BrowserState) -> None:
    with gr.Row():
        gr.Markdown("### My runs\nThe runs started in this browser, newest first; a waiting run shows its place "
                    "in the queue.", elem_classes="lab-note")
        refresh = gr.Button("↻ Refresh", size="sm", scale=0, min_width=110)
    mine = gr.Dataframe(interactive=False, elem_id="my-runs", max_height=220, wrap=False)
    gr.Markdown("### Leaderboard\nEvery finished training run on this server (everyone's), best STS-B spearman "
                "after training first. Click a column header to sort.", elem_classes="lab-note")
    table = gr.Dataframe(interactive=False, elem_id="runs-table", max_height=300, wrap=False)
    picked = gr.Dropdown([], multiselect=True, label="Runs to overlay", elem_id="compare-pick",
                         info="Pick one or more runs: their curves are drawn on the same axes.")
    with gr.Row():
        # Start from None, not an empty frame: a colour plot born empty keeps an empty colour domain (gradio 6.31).
        loss_plot = gr.LinePlot(None, x="step", y=charts.RELATIVE_LOSS, color="run", height=280,
                                title="Training loss, each run ÷ its first value (losses differ in scale)",
                                elem_id="compare-loss", tooltip="all")
        eval_plot = gr.LinePlot(None, x="step", y="spearman",
                                color="run", title="STS-B spearman (cosine)", height=280, elem_id="compare-eval",
                                tooltip="all")
    with gr.Accordion("Reproduce the chapter: Softmax vs Cosine vs MNRL, and does pretraining matter?", open=False,
                      elem_id="chapter-box"):
        gr.Markdown("Queues the chapter's comparison for the whole room (one set per server): Softmax, Cosine and MNRL "
                    "from a plain pretrained BERT, MNRL from random weights and MNRL fine-tuning MiniLM, plus the "
                    "Softmax model's Banking77 score. About 5 minutes on 2 quiet CPU cores; the runs join the overlay "
                    "above as they finish.", elem_classes="lab-note")
        chapter_btn = gr.Button("▶ Reproduce the chapter (CPU size)", size="sm", elem_id="chapter-start")
        chapter_md = gr.Markdown(elem_id="chapter-table")
        chapter_timer = gr.Timer(5.0, active=False)
    gr.Markdown("### Config diff")
    with gr.Row():
        run_a = gr.Dropdown([], label="Run A", elem_id="diff-a")
        run_b = gr.Dropdown([], label="Run B", elem_id="diff-b")
        only_changed = gr.Checkbox(True, label="Only differences")
    diff = gr.Dataframe(interactive=False, elem_id="config-diff", wrap=True)
    with gr.Row():
        zip_btn = gr.Button("⬇ Download run A's model (.zip)", size="sm")
        code_btn = gr.Button("</> Show run A's training code", size="sm")
        share_btn = gr.Button("🔗 Share run A (link and YAML)", size="sm", elem_id="share-a")
    zip_file = gr.File(label="Model zip", visible=False, interactive=False)
    code = gr.Code(language="python", visible=False, interactive=False, label="Training script for run A")
    share_md = gr.Markdown(elem_id="share-link", elem_classes="lab-note")
    share_yaml = gr.Code(language="yaml", visible=False, interactive=False, label="Run A as an experiment (YAML)",
                         elem_id="share-yaml")
    with gr.Accordion("Push run A's model to the Hugging Face Hub", open=False):
        with gr.Row():
            repo_id = gr.Textbox(label="Repository id", placeholder="your-name/my-embedder", max_lines=1,
                                 elem_id="push-repo")
            # The token is an input of this one call: never in a State, a BrowserState, a file or a log.
            token = gr.Textbox(label="Hugging Face token (write access)", type="password", max_lines=1,
                               elem_id="push-token")
            private = gr.Checkbox(True, label="Private repository")
        push_btn = gr.Button("⇪ Push to the Hub", size="sm")
        push_md = gr.Markdown(elem_id="push-result")
    duel_section.build(run_a, owner, tab)
    with gr.Accordion("Room replay: play back a run's teaching views", open=False, elem_id="replay-box"):
        replay_pick = gr.Dropdown([], label="Run to play back (★ the room's replay, published by the instructor)",
                                  elem_id="replay-pick", info="Its teaching views below, while the queue trains "
                                  "your own run.")
        views_panel.build(demo, replay_pick, owner, prefix="replay", title="Teaching views of the replayed run")
    tab.select(replay_choices, [replay_pick, owner], replay_pick, concurrency_limit=None, api_visibility="private")

    outs = [table, picked, run_a, run_b, mine]
    refresh.click(runs, [picked, owner], outs, concurrency_limit=None, api_name="runs")
    tab.select(runs, [picked, owner], outs, concurrency_limit=None, api_visibility="private")
    push_btn.click(push, [run_a, repo_id, token, private, owner], push_md, concurrency_limit=2, api_name="push")
    # Data first, then the colour map: the LinePlot re-draws itself when its colour map changes, and an update that
    # carried both raced in the browser (the chart was re-drawn from the old data and kept the old runs).
    picked.change(overlay, [picked, owner], [loss_plot, eval_plot], concurrency_limit=None, api_name="overlay").then(
        overlay_colors, [picked, owner], [loss_plot, eval_plot], concurrency_limit=None, api_visibility="private")
    for comp in (run_a, run_b, only_changed):
        comp.change(config_diff, [run_a, run_b, only_changed, owner], diff, concurrency_limit=None,
                    api_visibility="private")
    zip_btn.click(export_zip, [run_a, owner], zip_file, concurrency_limit=4, api_visibility="private")
    chapter_out = [chapter_md, picked, chapter_timer]
    # The overlay follows the chapter's runs while they train (data, then the colour map: as for `picked`).
    redraw = {"inputs": [picked, owner], "outputs": [loss_plot, eval_plot], "concurrency_limit": None,
              "show_progress": "hidden", "api_visibility": "private"}
    chapter_btn.click(start_chapter, None, chapter_out, concurrency_limit=1, api_name="chapter").then(
        overlay, **redraw).then(overlay_colors, **redraw)
    tab.select(chapter_view, None, chapter_out, concurrency_limit=None, api_visibility="private")
    chapter_timer.tick(chapter_view, None, chapter_out, concurrency_limit=None, show_progress="hidden",
                       api_visibility="private").then(overlay, **redraw).then(overlay_colors, **redraw)
    code_btn.click(show_code, [run_a, owner], code, concurrency_limit=None, api_visibility="private")
    share_btn.click(share, [run_a, owner], [share_md, share_yaml], concurrency_limit=None, api_visibility="private")


def runs(picked: list[str] | None, owner: str | None = None):
    """The leaderboard, the run pickers (every training run this browser may read) and this browser's runs."""
    records = [r for r in service.list_runs(owner) if r.config.get("kind", "training") != "evaluation"]
    choices = [(charts.run_label(r.run_id, r.config) + f" · {r.status}", r.run_id) for r in records]
    ids = {r.run_id for r in records}
    keep = [p for p in (picked or []) if p in ids]
    if not keep:  # the two newest completed runs (a cancelled run's curves stop short)
        keep = [r.run_id for r in records if r.status == "completed"][:2]
    first = keep[0] if keep else None
    others = [r.run_id for r in records if r.run_id != first]
    second = keep[1] if len(keep) > 1 else (others[0] if others else None)
    return (leaderboard_frame(owner), gr.Dropdown(choices=choices, value=keep, multiselect=True),
            gr.Dropdown(choices=choices, value=first), gr.Dropdown(choices=choices, value=second),
            my_runs_frame(owner))


@user_errors
def start_chapter():
    service.chapter.start_in_app("cpu")
    return chapter_view()


def chapter_view():
    """The chapter's table (a code block: fixed-width), its runs in the overlay, the timer on while any runs."""
    text, run_ids, done = service.chapter.app_view()
    if not text:
        return "", gr.skip(), gr.Timer(active=False)
    choices = [(charts.run_label(r.run_id, r.config) + f" · {r.status}", r.run_id)
               for r in service.list_runs(None) if r.config.get("kind", "training") != "evaluation"]
    return (f"```text\n{text}\n```", gr.Dropdown(choices=choices, value=run_ids), gr.Timer(active=not done))


def leaderboard_frame(owner: str | None = None) -> pd.DataFrame:
    board = charts.runs_frame(service.leaderboard(owner))
    board.insert(0, "#", range(1, len(board) + 1))
    return board


def my_runs_frame(owner: str | None) -> pd.DataFrame:
    records = service.my_runs(owner)
    frame = charts.runs_frame(records)
    frame["status"] = [f"queued (#{r.meta['position']})" if r.status == "queued" and r.meta.get("position")
                       else r.status for r in records]
    return frame


def _overlays(picked: list[str] | None, owner: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    curves: dict[str, Any] = {}
    for run_id in (picked or [])[:8]:
        record = service.load_run(run_id, owner)
        if record is not None:
            curves[charts.legend_label(run_id, record.config)] = record.events
    return charts.overlay_loss(curves), charts.overlay_eval(curves)


def overlay(picked: list[str] | None, owner: str | None = None):
    """Both charts' data for the picked runs (the runs this browser may read)."""
    loss, evals = _overlays(picked, owner)
    return (loss if len(loss) else None), (evals if len(evals) else None)


def overlay_colors(picked: list[str] | None, owner: str | None = None):
    """Then the charts' colour maps: gradio's LinePlot fixes its colour domain when it draws, so a run added or
    swapped needs a new map (which re-draws the chart, now from the new data) or it is left off the chart."""
    loss, evals = _overlays(picked, owner)
    return (gr.LinePlot(color_map=charts.color_map(loss["run"])) if len(loss) else gr.skip(),
            gr.LinePlot(color_map=charts.color_map(evals["run"])) if len(evals) else gr.skip())


def config_diff(a: str | None, b: str | None, only_changed: bool, owner: str | None = None) -> pd.DataFrame:
    ra, rb = (service.load_run(a, owner) if a else None), (service.load_run(b, owner) if b else None)
    if ra is None or rb is None:
        return pd.DataFrame(columns=["setting", "run A", "run B"])

    def flat(record) -> dict[str, Any]:
        before, after = charts.metrics_of(record.events)
        main = "spearman_cosine"
        return {**record.config, "status": record.status, "STS-B spearman before": before.get(main),
                "STS-B spearman after": after.get(main)}

    return charts.config_diff(flat(ra), flat(rb), only_changed)


@user_errors
def export_zip(run_id: str | None, owner: str | None = None):
    if not run_id or not service.has_model(run_id):
        raise gr.Error("Pick a run with a saved model as run A.")
    return gr.File(value=str(service.export_zip(run_id, owner)), visible=True)


@user_errors
def show_code(run_id: str | None, owner: str | None = None):
    if not run_id:
        raise gr.Error("Pick a run as run A.")
    return gr.Code(value=service.export_script(run_id, owner), visible=True)


def push(run_id: str | None, repo_id: str, token: str, private: bool, owner: str | None = None) -> str:
    """Push run A with this token; the answer is the model's URL or why not (the token never appears in it)."""
    try:
        url = service.push_to_hub(run_id, repo_id, token, private=private, owner=owner)
    except service.PublishError as exc:
        return f"**Not pushed**: {exc}"
    return f"**Pushed**: [{url}]({url})"


@user_errors
def share(run_id: str | None, owner: str | None = None):
    """Run A as a link that fills the Train form, and as YAML with the versions it ran on."""
    found = service.experiment.of_run(run_id, owner)
    link = service.experiment.to_link(found)
    note = (f"[Open this link]({link}) (right-click → copy) to get run A's settings in the Train tab, on this or "
            "any Contrastive Lab; or paste the YAML into the Train tab's 'Load an experiment'.")
    if found.get("note"):
        note += f" Note: {found['note']}."
    return note, gr.Code(service.experiment.to_yaml(found), visible=True)


def replay_choices(current: str | None, owner: str | None = None):
    """The room's replay first (the instructor may have published since), then every other finished training run
    this browser may read; the first published run by default."""
    published = [(f"★ {label}", run_id) for label, run_id in service.replay.published()]
    seen = {run_id for _, run_id in published}
    others = [(charts.run_label(r.run_id, r.config), r.run_id) for r in service.list_runs(owner)
              if r.status == "completed" and r.config.get("kind", "training") == "training" and r.run_id not in seen]
    ids = [run_id for _, run_id in published + others]
    default = published[0][1] if published else None
    return gr.Dropdown(choices=published + others, value=current if current in ids else default)
