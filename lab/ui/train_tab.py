"""The Train tab: the form (model, recipe or your own upload, compatible losses, knobs), a preview of what the
loss receives, Start/Cancel/export, and the live view of lab/ui/run_view.py (status, pipeline stages, charts,
result tables), followed with a gr.Timer.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from lab import service
from lab.ui import run_view, upload_section, views_panel, zerogpu
from lab.ui.state import JOB_STORAGE_KEY, POLL_S, follow, user_errors
from lab.ui.train_form import (
    input_keys,
    knob_keys,
    load_experiment,
    load_experiment_link,
    loss_text,
    on_load,
    on_loss,
    on_preset,
    on_recipe,
    plan_preview,
    recipe_knob_keys,
    split_form,
)


def build(demo: gr.Blocks, owner: gr.BrowserState) -> list[gr.Button]:
    """The tab; returns its Start buttons, which the app enables once the page has its owner id."""
    d = service.DEFAULT_FORM
    on_gpu_calls = bool(service.zerogpu.mode())  # ZeroGPU: Start makes one GPU call from this request
    if on_gpu_calls:
        zerogpu.gpu_call()  # decorated now, so that `spaces` finds it when the app launches
    form: dict[str, gr.components.Component] = {}
    knobs: dict[str, gr.components.Component] = {}
    rknobs: dict[str, gr.components.Component] = {}
    job_id = gr.BrowserState(None, storage_key=JOB_STORAGE_KEY)
    seen = gr.State(None)
    timer = gr.Timer(POLL_S, active=False)

    with gr.Row(equal_height=False):
        # --- left: the form -----------------------------------------------------------------------------
        with gr.Column(scale=5, min_width=380):
            preset = gr.Dropdown(list(service.PRESETS), value=None, label="Start from a preset (optional)",
                                 elem_id="preset")
            preset_md = gr.Markdown("", elem_id="preset-lesson", elem_classes="lab-note")
            with gr.Accordion("Load an experiment (YAML or link)", open=False, elem_id="experiment-box"):
                experiment_text = gr.Textbox(label="Paste an experiment's YAML or link (Compare → Share run A)",
                                             lines=4, max_lines=20, elem_id="experiment-text")
                experiment_btn = gr.Button("Fill the form from it", size="sm", elem_id="experiment-load")
            with gr.Group():
                form["model"] = gr.Dropdown(_model_choices(), value=d["model"], label="Base model")
                form["hub_id"] = gr.Textbox("", label="…or a Hugging Face Hub model id (overrides the list)",
                                            placeholder="e.g. sentence-transformers/all-mpnet-base-v2", max_lines=1)
            upload = upload_section.build(owner)
            form["recipe"] = gr.Dropdown(service.recipe_choices(), value=d["recipe"], label="Training data recipe")
            form["upload_id"] = gr.Textbox("", visible=False)
            recipe_md = gr.Markdown(service.recipe_text(d["recipe"]), elem_classes="lab-note", elem_id="recipe-note")
            with gr.Row():
                for name in recipe_knob_keys():
                    default, help_text, _ = service.recipe_knob_info(name)
                    rknobs[name] = gr.Number(default, label=f"Recipe knob: {name}", info=help_text,
                                             elem_id=f"rknob-{name}",
                                             visible=name in service.recipe_knobs(d["recipe"]))
            form["loss"] = gr.Dropdown(service.loss_choices(d["recipe"]), value=d["loss"],
                                       label="Loss (only those that fit the recipe's data format)")
            loss_md = gr.Markdown(loss_text(d["loss"]), elem_classes="lab-note", elem_id="loss-note")
            with gr.Row():
                form["max_train_samples"] = gr.Number(d["max_train_samples"], label="Max train samples",
                                                      info="Random subset (seeded).")
                form["epochs"] = gr.Number(d["epochs"], label="Epochs", step=0.5)
                form["batch_size"] = gr.Number(d["batch_size"], label="Batch size",
                                               info="Also the number of in-batch negatives for MNRL.")
            with gr.Row():
                form["lr"] = gr.Number(d["lr"], label="Learning rate", step=1e-5)
                form["warmup_ratio"] = gr.Number(d["warmup_ratio"], label="Warm-up ratio", step=0.05)
                form["seed"] = gr.Number(d["seed"], label="Seed")
            with gr.Row():
                form["eval_steps"] = gr.Number(d["eval_steps"], label="Evaluate STS-B every K steps",
                                               info="0: only before and after.")
                form["logging_steps"] = gr.Number(d["logging_steps"], label="Log loss every N steps")
                form["eval_max_pairs"] = gr.Number(d["eval_max_pairs"], label="STS-B pairs per eval",
                                                   info="0: the whole split (1,500).")
            with gr.Row():
                for name in knob_keys():
                    default, help_text, _ = service.knob_info(name)
                    knobs[name] = gr.Number(default, label=f"Loss knob: {name}", info=help_text,
                                            visible=name in service.loss_knobs(d["loss"]), elem_id=f"knob-{name}")
            with gr.Accordion("More settings", open=False):
                with gr.Row():
                    form["pooling"] = gr.Dropdown(["model default", "mean", "cls"], value="model default",
                                                  label="Pooling")
                    form["max_seq_length"] = gr.Number(0, label="Max sequence length",
                                                       info="0: the model's own.")
                    form["matryoshka_dims"] = gr.Textbox("", label="Matryoshka dims", placeholder="e.g. 384,128,64",
                                                         info="Empty: no Matryoshka wrapper.", max_lines=1)
                with gr.Row():
                    form["eval_split"] = gr.Radio(["validation", "test"], value=d["eval_split"], label="STS-B split")
                    form["data_source"] = gr.Radio(["auto", "offline", "hub"], value=d["data_source"],
                                                   label="Data source", info="auto: the Hub if reachable.")
                form["group_by_length"] = gr.Checkbox(
                    d["group_by_length"], label="Batch texts of similar length (less padding, faster on CPU)")
                form["label"] = gr.Textbox("", label="Run label (optional)", max_lines=1, placeholder="e.g. lr 1e-4")
                form["views"] = gr.Checkbox(d["views"], label="Teaching views (batch matrix, probe pairs; ≈ free)")
                form["probe_pairs"] = gr.Textbox(
                    d["probe_pairs"], label="Your probe pairs (optional): one per line, two sentences split by |",
                    lines=2, max_lines=8, placeholder="A man plays the guitar. | Someone is making music.")

        # --- right: the live view -----------------------------------------------------------------------
        with gr.Column(scale=7, min_width=420):
            # The action on top of the live view, not below a dozen fields: Start and the plan in view on a laptop
            with gr.Column(elem_id="actions"):
                plan_md = gr.Markdown(elem_id="estimate")
                with gr.Row():
                    start_btn = gr.Button("▶ Start on a GPU (ZeroGPU)" if on_gpu_calls else "▶ Start training",
                                          variant="primary", elem_id="start", interactive=False)
                    cancel_btn = gr.Button("■ Cancel", variant="stop", elem_id="cancel", interactive=False)
                # ZeroGPU: the queue still trains on the Space's CPU, with no quota
                cpu_btn = gr.Button("Train on this Space's CPU instead (queued; no GPU quota)", size="sm",
                                    visible=on_gpu_calls, interactive=False, elem_id="start-cpu")
                again_btn = gr.Button("↻ Train again anyway (my own run of these settings)", size="sm",
                                      visible=False, elem_id="train-again")
            view = run_view.build()
            view["cancel"] = cancel_btn
            with gr.Column(visible=False) as view["result_box"]:
                view["sts_table"] = gr.Dataframe(label="STS-B before → after (pearson / spearman per similarity)",
                                                 elem_id="sts-table", interactive=False, wrap=True)
                view["source"] = gr.Markdown(elem_classes="lab-note", elem_id="source")
                with gr.Row():
                    zip_btn = gr.Button("⬇ Download model (.zip)", size="sm")
                    code_btn = gr.Button("</> Show training code", size="sm")
                zip_file = gr.File(label="Model zip", visible=False, interactive=False)
                code = gr.Code(label="The same training as a plain sentence-transformers script", language="python",
                               visible=False, interactive=False)
            panel = views_panel.build(demo, job_id, owner)
            with gr.Accordion("Preview: five rows exactly as the loss receives them", open=True):
                roles_md = gr.Markdown(elem_classes="lab-note")
                preview_df = gr.Dataframe(interactive=False, wrap=True, elem_id="preview", max_height=320)
                preview_src = gr.Markdown(elem_classes="lab-note")

    for key, comp in form.items():  # stable ids for tests and screenshots
        comp.elem_id = f"form-{key}"
    inputs = {**form, **knobs, **{f"recipe_{k}": c for k, c in rknobs.items()}}  # by API name
    form_inputs = [inputs[k] for k in input_keys()]
    outputs = run_view.outputs(view)
    used_upload = upload.wire(form["recipe"], form["upload_id"])

    # --- form wiring (cheap, unqueued) ---------------------------------------------------------------
    # Every change is one consistent update: a user's edit (`.input`, never a program's) re-derives what depends
    # on it and then the plan, and a preset or the page load sets the whole form (notes and knobs included) and
    # then the plan. No cascade of `.change` events re-reads a half-updated form (the loss dropdown judged
    # against the last recipe's choices: "Value: mnrl is not in the list of choices").
    quiet = {"queue": False, "show_progress": "hidden", "api_visibility": "private"}
    plan_out = [plan_md, roles_md, preview_df, preview_src]
    plan = {"fn": plan_preview, "inputs": [owner], "outputs": plan_out, "inputs_kwargs": inputs,
            "concurrency_limit": None, "trigger_mode": "always_last", "show_progress": "hidden",
            "api_visibility": "private"}
    recipe_changed = (on_recipe, [form["recipe"], form["loss"]], [form["loss"], recipe_md, loss_md,
                      *[rknobs[k] for k in recipe_knob_keys()], *[knobs[k] for k in knob_keys()]])
    form["recipe"].input(*recipe_changed, **quiet).then(**plan)
    used_upload.then(*recipe_changed, **quiet).then(**plan)  # "Use this data" picked the upload's recipe
    form["loss"].input(on_loss, form["loss"], [loss_md, *[knobs[k] for k in knob_keys()]], **quiet).then(**plan)
    for comp in form_inputs:
        if comp not in (form["recipe"], form["loss"]):
            comp.input(**plan)
        comp.input(lambda: ("", None), None, [preset_md, preset], **quiet)  # a hand-edited form is no preset's
    whole_form = [*form_inputs, recipe_md, loss_md]
    # A preset applies on `.change`, not `.input`: gradio 6 sends a dropdown's `input` twice for one pick, and on a
    # busy server the second answer landed after the next edits and undid them (the probe pairs typed just after).
    # Nothing but the user sets the preset, except the clearing above (to none: the form stays as it is), so a
    # `.change` is one per pick, and picking the same preset again after an edit applies it again.
    preset.change(on_preset, preset, [*whole_form, preset_md], **quiet).then(**plan)
    loaded = experiment_btn.click(load_experiment, experiment_text, [*whole_form, preset_md], concurrency_limit=None,
                                  show_progress="hidden", api_visibility="private")  # queued: errors toast
    loaded.success(**plan)
    loaded.success(lambda: None, None, preset, **quiet)  # the form is the experiment's, no preset's
    # a page opened with ?experiment=…: the server's defaults first, then the experiment over them
    demo.load(on_load, None, whole_form, **quiet).then(
        load_experiment_link, None, [*whole_form, preset_md], **quiet).then(**plan)

    # --- the job: start / poll / cancel ------------------------------------------------------------------
    again_btn.click(start_again, [job_id, owner], [job_id, timer, seen, again_btn, *outputs], inputs_kwargs=inputs,
                    concurrency_limit=None, show_progress="minimal", api_name="start_again")
    if on_gpu_calls:  # the handler stays open while its call trains: a reload or a closed tab ends both
        start_btn.click(zerogpu.start_on_gpu, [job_id, owner], [job_id, timer, seen, again_btn, *outputs],
                        inputs_kwargs=inputs, concurrency_limit=None, show_progress="hidden", api_name="start")
        cpu_btn.click(start, [job_id, owner], [job_id, timer, seen, again_btn, *outputs], inputs_kwargs=inputs,
                      concurrency_limit=None, show_progress="minimal", api_name="start_cpu")
    else:
        start_btn.click(start, [job_id, owner], [job_id, timer, seen, again_btn, *outputs], inputs_kwargs=inputs,
                        concurrency_limit=None, show_progress="minimal", api_name="start")
    progress = [view[name] for name in run_view.PROGRESS]  # what a new loss or evaluation point changes
    follow(timer, job_id, run_view.poll, [job_id, seen, owner], [*outputs, timer, seen], api_name="poll",
           progress=progress, owner=owner)
    view["cancel"].click(cancel, [job_id, owner], view["status"], queue=False, api_name="cancel")
    view["loss"].select(views_panel.jump, [job_id, owner], panel["map"], concurrency_limit=None,
                        show_progress="hidden", api_visibility="private")
    demo.load(run_view.poll, [job_id, gr.State(None), owner], [*outputs, timer, seen], show_progress="hidden",
              api_visibility="private")
    zip_btn.click(export_zip, [job_id, owner], zip_file, concurrency_limit=4, api_name="export_zip")
    code_btn.click(show_code, [job_id, owner], code, concurrency_limit=None, api_name="show_code")
    return [start_btn, cpu_btn] if on_gpu_calls else [start_btn]


def _model_choices() -> list[tuple[str, str]]:
    return [(label.split(":")[0].split(" with ")[0], key) for label, key in service.model_choices()]


# --- job handlers -----------------------------------------------------------------------------------------
@user_errors
def start(job_id: str | None, owner: str | None, **values: Any):
    """Validate the form (`values` by `input_keys` name) and follow a run of it at once: an identical run someone
    already trained (or is training) when there is one, else a new one in the queue; the timer follows it."""
    return _start(job_id, owner, True, values)


@user_errors
def start_again(job_id: str | None, owner: str | None, **values: Any):
    """Queue this browser's own run of the form's settings, even though an identical run exists."""
    return _start(job_id, owner, False, values)


def _start(job_id: str | None, owner: str | None, reuse: bool, values: dict[str, Any]):
    if service.is_live(job_id, owner):
        gr.Warning("Your previous run is still queued or running: cancel it first, or wait for it to finish.")
        return (gr.skip(),) * (4 + run_view.N_VIEW)
    form, knobs, rknobs = split_form(values)
    config = service.uploads.build_run_config(form, knobs, rknobs, owner or "")
    try:
        run_id, shared = service.start_or_reuse(config, owner, reuse)
    except service.QueueFull as exc:  # a limit, not an error: say so and leave the page as it is
        gr.Warning(str(exc))
        return (gr.skip(),) * (4 + run_view.N_VIEW)
    if shared:
        done = "its result is shown at once" if shared == "completed" else f"it is {shared}: follow it here"
        gr.Info(f"These exact settings were already trained on this server (run {run_id[:8]}): {done}. "
                "'Train again anyway' queues your own run.")
    return (run_id, gr.Timer(active=True), None, gr.Button(visible=shared is not None),
            *run_view.render(run_id, owner).values())


def cancel(job_id: str | None, owner: str | None = None) -> str:
    try:
        cancelled = service.cancel(job_id, owner)
    except service.NotAllowed as exc:
        raise gr.Error(str(exc)) from None
    if cancelled:
        gr.Info("Cancel requested: the run stops after the current step and keeps the model so far.")
        return "**Stopping** after the current step…"
    return gr.skip()


@user_errors
def export_zip(job_id: str | None, owner: str | None = None):
    if not job_id or not service.has_model(job_id):
        raise gr.Error("No trained model to download yet.")
    return gr.File(value=str(service.export_zip(job_id, owner)), visible=True)


@user_errors
def show_code(job_id: str | None, owner: str | None = None):
    if not job_id or service.snapshot(job_id, owner) is None:
        raise gr.Error("Start a run first: the code is generated from its settings.")
    return gr.Code(value=service.export_script(job_id, owner), visible=True)
