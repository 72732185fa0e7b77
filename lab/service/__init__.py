"""The facade the UI calls (its only door into the lab, with the pure `charts`): the process-global JobManager
and RunStore (created lazily), form → RunConfig, recipe previews, step/time estimates, owners and their runs,
the leaderboard, instructor mode and room defaults, export and push-to-Hub, background warm-up, and the user
errors the UI shows. No gradio, no torch here.

Each concern lives in its own module and this package re-exports the names the tabs call (`service.start`, …);
the four feature areas are reached as modules: `service.uploads`, `service.evaluations`, `service.explore`,
`service.negatives`, and ZeroGPU's mode, `service.zerogpu`. Module state stays in its module: the JobManager in
`live`, the hardware profile in `defaults`.
"""

from __future__ import annotations

from lab.errors import USER_ERRORS, ConfigError, GpuRefused, ModelError, NotAllowed, PublishError, QueueFull
from lab.jobs.dispatch import is_pipeline
from lab.service import chapter, duel, evaluations, experiment, explore, negatives, replay, uploads, zerogpu
from lab.service.access import UNLOCK_GUARD, check_instructor, clean_owner, instructor_enabled, new_owner
from lab.service.choices import (
    base_model_choices,
    knob_info,
    knob_names,
    loss_choices,
    loss_description,
    loss_knobs,
    loss_rows,
    model_choices,
    recipe_choices,
    recipe_knob_info,
    recipe_knob_names,
    recipe_knobs,
    recipe_text,
)
from lab.service.defaults import form_defaults, hardware_profile, room_defaults, room_defaults_path, save_room_defaults
from lab.service.form import build_config
from lab.service.identical import find_identical, start_or_reuse
from lab.service.live import (
    any_change_key,
    cancel,
    change_key,
    change_keys,
    delete_my_upload,
    delete_run,
    is_live,
    manager,
    queue_length,
    snapshot,
    start,
    store,
)
from lab.service.presets import DEFAULT_FORM, PRESETS
from lab.service.previews import Preview, estimate, plan_text, preview
from lab.service.runs import all_runs_live_first, has_model, leaderboard, list_runs, load_run, my_runs
from lab.service.sharing import export_script, export_zip, push_to_hub
from lab.service.views import RunViews, learn_views, map_at, run_views, views_key
from lab.service.warmup import WARMUP, Warmup

__all__ = [
    "find_identical",
    "start_or_reuse",
    "RunViews",
    "learn_views",
    "map_at",
    "run_views",
    "views_key",
    "DEFAULT_FORM",
    "PRESETS",
    "UNLOCK_GUARD",
    "USER_ERRORS",
    "WARMUP",
    "ConfigError",
    "GpuRefused",
    "ModelError",
    "NotAllowed",
    "Preview",
    "PublishError",
    "QueueFull",
    "Warmup",
    "all_runs_live_first",
    "any_change_key",
    "base_model_choices",
    "build_config",
    "cancel",
    "change_key",
    "change_keys",
    "check_instructor",
    "clean_owner",
    "delete_my_upload",
    "delete_run",
    "estimate",
    "chapter",
    "duel",
    "experiment",
    "replay",
    "evaluations",
    "explore",
    "export_script",
    "export_zip",
    "form_defaults",
    "hardware_profile",
    "has_model",
    "instructor_enabled",
    "is_live",
    "is_pipeline",
    "knob_info",
    "knob_names",
    "leaderboard",
    "list_runs",
    "load_run",
    "loss_choices",
    "loss_description",
    "loss_knobs",
    "loss_rows",
    "manager",
    "model_choices",
    "my_runs",
    "negatives",
    "new_owner",
    "plan_text",
    "preview",
    "push_to_hub",
    "queue_length",
    "recipe_choices",
    "recipe_knob_info",
    "recipe_knob_names",
    "recipe_knobs",
    "recipe_text",
    "room_defaults",
    "room_defaults_path",
    "save_room_defaults",
    "snapshot",
    "start",
    "store",
    "uploads",
    "zerogpu",
]
