"""The Train tab's form: its fields by name (the names `/start` takes), and its handlers — each change of the form
is one consistent update (a preset, the page load, a new recipe or loss), then the plan and preview.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from lab import service
from lab.ui.state import user_errors

# The form's fields, named once: each key is a RunConfig field (or `hub_id`, which overrides `model`).
FORM_KEYS = ("model", "hub_id", "recipe", "loss", "max_train_samples", "epochs", "batch_size", "lr", "warmup_ratio",
             "seed", "eval_steps", "logging_steps", "eval_max_pairs", "label", "pooling", "max_seq_length",
             "eval_split", "data_source", "matryoshka_dims", "group_by_length", "upload_id", "views", "probe_pairs")


def knob_keys() -> tuple[str, ...]:
    """Every loss knob, once each (the form has one input per name), read from the registry when asked."""
    return tuple(service.knob_names())


def recipe_knob_keys() -> tuple[str, ...]:
    return tuple(service.recipe_knob_names())


def input_keys() -> tuple[str, ...]:
    """Every input of Start, by the name it has in the API (`/start` takes them as keywords): the form fields, the
    loss knobs by name, the recipe knobs as `recipe_<name>` (a recipe knob may share a loss knob's name)."""
    return (*FORM_KEYS, *knob_keys(), *(f"recipe_{k}" for k in recipe_knob_keys()))


def on_recipe(recipe: str, loss: str):
    """A new recipe: the losses that fit it (keeping the loss if it still fits), its note and knobs, and the loss's
    note and knobs (the loss may have changed with it)."""
    choices = service.loss_choices(recipe)
    keys = [k for _, k in choices]
    loss = loss if loss in keys else (keys[0] if keys else None)
    wanted = set(service.recipe_knobs(recipe))
    return (gr.Dropdown(choices=choices, value=loss), service.recipe_text(recipe), *on_loss(loss)[:1],
            *[gr.Number(visible=k in wanted) for k in recipe_knob_keys()], *on_loss(loss)[1:])


def loss_text(loss: str) -> str:
    description = service.loss_description(loss)
    return f"*What it optimises*: {description}" if description else ""


def on_loss(loss: str):
    wanted = set(service.loss_knobs(loss))
    return [loss_text(loss), *[gr.Number(visible=name in wanted) for name in knob_keys()]]


def on_preset(name: str | None = None):
    """A preset on top of this server's defaults (hardware, then the room's): the whole form and its notes. No
    preset (the choice was cleared by an edit): the form stays as it is."""
    preset = service.PRESETS.get(name or "")
    if preset is None:
        return [gr.skip()] * (_whole_form_size() + 1)
    values = {**service.form_defaults(), "hub_id": "", **preset.form}
    return [*_form_updates(values), service.recipe_text(values["recipe"]), loss_text(values["loss"]),
            preset_text(name)]


def preset_text(name: str | None) -> str:
    """What a preset demonstrates and what to look for (measured on this project's CPU: bench/presets.py)."""
    preset = service.PRESETS.get(name or "")
    return (f"**Lesson**: {preset.lesson}  \n**Look for** (measured on a 2-core CPU, bench/presets.md): {preset.shows}"
            if preset else "")


def on_load():
    """A new page: the server's defaults (hardware, the room's) where they differ from the lab's, which the page
    was built with; every other field is left as it is, so nothing a quick user already changed is overwritten."""
    values = {**service.form_defaults(), "hub_id": ""}
    since = {**service.DEFAULT_FORM, "hub_id": ""}
    notes = [gr.skip(), gr.skip()] if values["recipe"] == since["recipe"] and values["loss"] == since["loss"] else [
        service.recipe_text(values["recipe"]), loss_text(values["loss"])]
    return [*_form_updates(values, since=since), *notes]


def _form_updates(values: dict[str, Any], since: dict[str, Any] | None = None,
                  knob_values: dict[str, Any] | None = None,
                  recipe_knob_values: dict[str, Any] | None = None) -> list[Any]:
    """The form (in `form_inputs` order) set to `values`; with `since`, skipping what `since` already had; knobs at
    their defaults unless `knob_values` / `recipe_knob_values` give them (an experiment's)."""
    knob_values, recipe_knob_values = knob_values or {}, recipe_knob_values or {}

    def same(*keys: str) -> bool:
        return since is not None and all(values.get(k, "") == since.get(k, "") for k in keys)

    out: list[Any] = []
    for key in FORM_KEYS:
        if same(key, "recipe") if key == "loss" else same(key):
            out.append(gr.skip())
        elif key == "loss":
            out.append(gr.Dropdown(choices=service.loss_choices(values["recipe"]), value=values["loss"]))
        elif key == "pooling":
            out.append(values["pooling"] or "model default")
        else:
            out.append(values.get(key, ""))
    for key in knob_keys():
        out.append(gr.skip() if same("loss") else
                   gr.Number(value=knob_values.get(key, service.knob_info(key)[0]),
                             visible=key in service.loss_knobs(values["loss"])))
    for key in recipe_knob_keys():
        out.append(gr.skip() if same("recipe") else
                   gr.Number(value=recipe_knob_values.get(key, service.recipe_knob_info(key)[0]),
                             visible=key in service.recipe_knobs(values["recipe"])))
    return out


def _whole_form_size() -> int:
    """How many outputs the whole form has: its fields and knobs (`_form_updates`), then the recipe and loss notes."""
    return len(FORM_KEYS) + len(knob_keys()) + len(recipe_knob_keys()) + 2


def split_form(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Start's inputs by API name → (form fields, loss knobs, recipe knobs)."""
    return ({k: values.get(k) for k in FORM_KEYS}, {k: values.get(k) for k in knob_keys()},
            {k: values.get(f"recipe_{k}") for k in recipe_knob_keys()})


def plan_preview(owner: str | None, **values: Any):
    """Estimate + preview for the current form; problems are shown inline, never raised."""
    form, knobs, rknobs = split_form(values)
    try:
        config = service.uploads.build_run_config(form, knobs, rknobs, owner or "")
    except service.ConfigError as exc:
        return f"**Check the settings**: {exc}", gr.skip(), gr.skip(), gr.skip()
    try:
        if config.upload_id:
            rows, source, available = service.uploads.upload_preview(
                config.upload_id, service.clean_owner(owner), config.recipe, config.seed, config.max_train_samples,
                config.recipe_params)
            prev = service.Preview(rows, service.uploads.roles_text(config.recipe), source, available)
        else:
            prev = service.preview(config.recipe, config.seed, config.max_train_samples, config.data_source,
                                   params=config.recipe_params)
    except Exception as exc:  # data not loadable: say so, keep the form usable
        return f"**Could not load the recipe's data**: {exc}", "", pd.DataFrame(), ""
    widths = [f"{100 / max(1, len(prev.rows.columns)):.0f}%"] * len(prev.rows.columns)
    plan = service.plan_text(config, prev.available_rows)
    if service.zerogpu.mode():  # the GPU call's seconds first; the plan line is then the CPU path's
        plan = f"{service.zerogpu.plan_note(config, prev.available_rows)}  \n*On this Space's CPU instead*: {plan}"
    return (plan, prev.roles, gr.Dataframe(prev.rows, column_widths=widths),
            f"Source: {prev.source}")


def _experiment(loaded) -> list[Any]:
    """The whole form and its notes set to an experiment's config, and a note with what it is and its traps."""
    config, warnings = loaded
    values, knobs, rknobs = service.experiment.form_values(config)
    note = [f"**Loaded an experiment**: {config.model} · {config.recipe} · {config.loss}, seed {config.seed}. "
            "Start reproduces it."]
    if warnings:
        note += ["**Before you compare numbers**:", *[f"- {w}" for w in warnings]]
    return [*_form_updates(values, knob_values=knobs, recipe_knob_values=rknobs), service.recipe_text(config.recipe),
            loss_text(config.loss), "\n".join(note)]


@user_errors
def load_experiment(text: str):
    """The Train tab's "Load an experiment": pasted YAML (or a whole link) fills the form."""
    text = (text or "").strip()
    if "?experiment=" in text and "\n" not in text:
        return _experiment(service.experiment.from_link(text.split("?experiment=", 1)[1].split("&")[0]))
    return _experiment(service.experiment.from_yaml(text))


def load_experiment_link(request: gr.Request):
    """A page opened with `?experiment=…`: the form takes the experiment (a bad link says why, in the note)."""
    token = request.query_params.get("experiment") if request is not None else None
    n = _whole_form_size()
    if not token:
        return [gr.skip()] * (n + 1)
    try:
        return _experiment(service.experiment.from_link(token))
    except service.USER_ERRORS as exc:
        return [*[gr.skip()] * n, f"**This experiment link could not be loaded**: {exc}"]
