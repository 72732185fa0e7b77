"""The thin facade the UI calls: the process-global JobManager + RunStore (created lazily), form → RunConfig,
recipe previews, step/time estimates, owners and their runs, the leaderboard, instructor mode and room defaults,
push-to-Hub, and background warm-up of the heavy libraries. No gradio, no torch here.

Each concern lives in its own module; this package re-exports their public names, so `service.start(...)` etc.
keep working. Module state stays in its module: the JobManager in `jobs`, the hardware profile in `defaults`.
"""

from __future__ import annotations

from lab.service.access import check_instructor, clean_owner, instructor_enabled, new_owner
from lab.service.choices import (
    knob_info,
    knob_names,
    loss_choices,
    loss_knobs,
    model_choices,
    recipe_choices,
    recipe_knob_info,
    recipe_knob_names,
    recipe_knobs,
    recipe_text,
)
from lab.service.defaults import (
    form_defaults,
    hardware_profile,
    room_defaults,
    room_defaults_path,
    save_room_defaults,
)
from lab.service.form import build_config
from lab.service.jobs import (
    any_change_key,
    cancel,
    change_key,
    change_keys,
    delete_run,
    is_live,
    manager,
    reset_for_tests,
    snapshot,
    start,
    store,
)
from lab.service.presets import DEFAULT_FORM, PRESETS
from lab.service.previews import Preview, estimate, preview
from lab.service.runs import all_runs_live_first, has_model, leaderboard, list_runs, load_run, my_runs
from lab.service.sharing import export_script, export_zip, push_to_hub
from lab.service.warmup import WARMUP, Warmup

__all__ = [
    "DEFAULT_FORM",
    "PRESETS",
    "WARMUP",
    "Preview",
    "Warmup",
    "all_runs_live_first",
    "any_change_key",
    "build_config",
    "cancel",
    "change_key",
    "change_keys",
    "check_instructor",
    "clean_owner",
    "delete_run",
    "estimate",
    "export_script",
    "export_zip",
    "form_defaults",
    "hardware_profile",
    "has_model",
    "instructor_enabled",
    "is_live",
    "knob_info",
    "knob_names",
    "leaderboard",
    "list_runs",
    "load_run",
    "loss_choices",
    "loss_knobs",
    "manager",
    "model_choices",
    "my_runs",
    "new_owner",
    "preview",
    "push_to_hub",
    "recipe_choices",
    "recipe_knob_info",
    "recipe_knob_names",
    "recipe_knobs",
    "recipe_text",
    "reset_for_tests",
    "room_defaults",
    "room_defaults_path",
    "save_room_defaults",
    "snapshot",
    "start",
    "store",
]
