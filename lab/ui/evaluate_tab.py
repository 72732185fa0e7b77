"""The Evaluate tab: pick finished runs and/or base models and tasks (STS-B validation/test, MTEB Banking77),
queue an evaluation job (the same queue as training), follow it with a gr.Timer, and read base and trained
models side by side. The job id lives in a BrowserState, so a reload re-attaches.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from lab import charts, service
from lab.ui.state import POLL_S, follow, user_errors

EVAL_STORAGE_KEY = "contrastive_lab_eval_job"
N_VIEW = 3  # status, results, cancel


def build(demo: gr.Blocks, tab: gr.Tab, owner: gr.BrowserState) -> gr.Button:
    """The tab; returns its Evaluate button, which the app enables once the page has its owner id."""
    job_id = gr.BrowserState(None, storage_key=EVAL_STORAGE_KEY)
    seen = gr.State(None)
    timer = gr.Timer(POLL_S, active=False)
    gr.Markdown(
        "Evaluate trained runs and base models on the same tasks and read them side by side. **STS-B**: spearman "
        "correlation of cosine similarity with the human scores. **MTEB Banking77**: a logistic-regression "
        "classifier on the embeddings (mteb's protocol; offline it runs on the bundled copy and says so). "
        "The full Banking77 protocol takes minutes per model on a CPU: the quick subset keeps 10 test "
        "sentences per intent (770). Evaluations wait in the training queue, and let up to three trainings "
        "queued after them start first; a model and task evaluated before (by anyone) is read from a cache.",
        elem_classes="lab-note")
    with gr.Row():
        runs = gr.Dropdown([], multiselect=True, label="Trained runs", elem_id="eval-runs", scale=3,
                           info="Finished runs with a saved model.")
        bases = gr.Dropdown(service.evaluations.base_choices(), value=["all-MiniLM-L6-v2"], multiselect=True,
                            label="Base models", elem_id="eval-bases", scale=2)
    with gr.Row():
        tasks = gr.CheckboxGroup(service.evaluations.task_choices(), value=["sts-validation", "banking77"],
                                 label="Tasks", elem_id="eval-tasks", scale=3)
        quick = gr.Checkbox(True, label="Banking77: quick subset (770 test sentences)", elem_id="eval-quick",
                            scale=1)
    with gr.Row():
        start_btn = gr.Button("▶ Evaluate", variant="primary", elem_id="eval-start", interactive=False)
        cancel_btn = gr.Button("■ Cancel", variant="stop", elem_id="eval-cancel", interactive=False)
    status = gr.Markdown(charts.status_text("", [], message="No evaluation yet. Pick models and tasks, then press "
                                                        "**Evaluate**."), elem_id="eval-status")
    results = gr.Dataframe(label="Results (one row per model; seconds: all its tasks)", interactive=False,
                           wrap=True, elem_id="eval-results")
    view = [status, results, cancel_btn]

    tab.select(refresh_runs, [runs, owner], runs, concurrency_limit=None, api_visibility="private")
    start_btn.click(start, [job_id, owner, runs, bases, tasks, quick], [job_id, timer, seen, *view],
                    concurrency_limit=None, api_name="evaluate")
    follow(timer, job_id, poll, [job_id, seen, owner], [*view, timer, seen], api_name="poll_evaluation")
    cancel_btn.click(cancel, [job_id, owner], status, queue=False, api_name="cancel_evaluation")
    demo.load(poll, [job_id, gr.State(None), owner], [*view, timer, seen], show_progress="hidden",
              api_visibility="private")
    return start_btn


def refresh_runs(current: list[str] | None, owner: str | None = None):
    choices = service.evaluations.run_choices(owner)
    values = {v for _, v in choices}
    return gr.Dropdown(choices=choices, value=[c for c in (current or []) if c in values])


@user_errors
def start(job_id: str | None, owner: str | None, runs: list[str] | None, bases: list[str] | None,
          tasks: list[str] | None, quick: bool):
    if service.is_live(job_id, owner):
        gr.Warning("Your previous evaluation is still queued or running: cancel it first, or wait for it.")
        return (gr.skip(),) * (3 + N_VIEW)
    try:
        eval_id = service.evaluations.start([*(bases or []), *(runs or [])], list(tasks or []), bool(quick),
                                            owner=owner)
    except service.QueueFull as exc:
        gr.Warning(str(exc))
        return (gr.skip(),) * (3 + N_VIEW)
    return (eval_id, gr.Timer(active=True), None, *render(eval_id, owner))


def poll(job_id: str | None, seen: str | None, owner: str | None = None):
    # Both keys (a new stage moves only the progress key); taken before the snapshot: at worst one extra render,
    # never a missed one
    key = service.any_change_key(job_id)
    if key == seen:
        return (*(gr.skip(),) * N_VIEW, gr.skip(), seen)
    snap = service.snapshot(job_id, owner)
    if snap is None or not service.evaluations.is_evaluation(snap.config):
        return (*render(None), gr.Timer(active=False), "none")
    return (*_render(snap, owner), gr.Timer(active=snap.status in ("queued", "running")), key)


def render(job_id: str | None, owner: str | None = None) -> tuple[Any, ...]:
    snap = service.snapshot(job_id, owner)
    if snap is None or not service.evaluations.is_evaluation(snap.config):
        return ("No evaluation yet. Pick models and tasks, then press **Evaluate**.", None,
                gr.Button(interactive=False))
    return _render(snap, owner)


def _render(snap: Any, owner: str | None = None) -> tuple[Any, ...]:
    events = list(snap.events)
    live = snap.status in ("queued", "running")
    queue_length = service.queue_length() if snap.status == "queued" else 0
    text = charts.status_text(snap.status, events, snap.position, queue_length, snap.message)
    if snap.status == "completed":
        text = text.split(":")[0] + f" — {len(snap.config.get('models', []))} model(s) × " \
                                    f"{len(snap.config.get('tasks', []))} task(s)."
    frame = service.evaluations.result_frame(events, snap.config, owner)
    return text, (frame if len(frame) else None), gr.Button(interactive=live)


@user_errors
def cancel(job_id: str | None, owner: str | None = None):
    try:
        cancelled = service.cancel(job_id, owner)
    except service.NotAllowed as exc:
        raise gr.Error(str(exc)) from None
    if cancelled:
        return "**Stopping** after the current task…"
    return gr.skip()
