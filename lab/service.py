"""The thin facade the UI calls: the process-global JobManager + RunStore (created lazily), form → RunConfig,
recipe previews, step/time estimates, owners and their runs, the leaderboard, instructor mode and room defaults,
push-to-Hub, and background warm-up of the heavy libraries. No gradio, no torch here.
"""

from __future__ import annotations

import functools
import hmac
import importlib
import json
import math
import os
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lab.config import ConfigError, RunConfig
from lab.formats import FORMATS
from lab.hardware import Profile
from lab.losses import LOSSES, fitting_losses
from lab.models import CATALOG, check_model
from lab.paths import runs_dir
from lab.recipes import RECIPES
from lab.store import RunRecord, RunStore, _write_json_atomic, valid_run_id
from lab.training.jobs import JobManager, JobSnapshot

_lock = threading.Lock()
_manager: JobManager | None = None

# Defaults for a new user on 2 CPU cores: the first loss point within ~15 s of pressing Start.
DEFAULT_FORM: dict[str, Any] = {
    "model": "all-MiniLM-L6-v2",
    "recipe": "nli-triplets",
    "loss": "mnrl",
    "max_train_samples": 320,
    "epochs": 1.0,
    "batch_size": 16,
    "lr": 5e-5,
    "warmup_ratio": 0.1,
    "seed": 42,
    "eval_steps": 10,
    "logging_steps": 2,
    "eval_max_pairs": 200,
    "eval_split": "validation",
    "data_source": "auto",
    "pooling": "",
    "max_seq_length": 0,
    "matryoshka_dims": "",
    "label": "",
    "group_by_length": True,
}

# One-click starting points an instructor can pick; each is a partial form.
PRESETS: dict[str, dict[str, Any]] = {
    "Quick demo: fine-tune MiniLM with MNRL (~40 s)": {},
    "Fastest: tiny random BERT with MNRL (~15 s)": {
        "model": "tiny-bert",
        "max_train_samples": 1024,
        "batch_size": 32,
        "lr": 5e-4,
        "eval_steps": 8,
    },
    "SBERT original: softmax on NLI classes": {
        "recipe": "nli-3class",
        "loss": "softmax",
        "lr": 5e-5,
        "max_train_samples": 320,
    },
    "Regression: CoSENT on STS-B train scores": {
        "recipe": "stsb-scores",
        "loss": "cosent",
        "max_train_samples": 320,
    },
    "Classic: triplet loss with a margin": {"recipe": "nli-triplets", "loss": "triplet"},
}

# Rough CPU training speeds (samples/s, batch 16–32, 2 cores), from the measured notes; ×20 on a GPU.
_SPEED = {"tiny": 120.0, "bundled": 10.0, "hub-plain": 2.5, "hub": 5.0, "local": 5.0}
_ENCODE = {"tiny": 400.0, "bundled": 150.0, "hub-plain": 40.0, "hub": 60.0, "local": 60.0}  # sentences/s


# --- the process-global job manager ----------------------------------------------------------
def manager() -> JobManager:
    """The one JobManager (and its worker thread) of this process, created on first use.

    Queue limits come from the environment: LAB_MAX_QUEUE (waiting runs, everyone; default 100) and
    LAB_MAX_WAITING_PER_SESSION (waiting runs per browser; default 1, 0 = no limit).
    """
    global _manager
    with _lock:
        if _manager is None:
            _manager = JobManager(RunStore(runs_dir()), max_queue=_env_int("LAB_MAX_QUEUE", 100, low=1),
                                  max_waiting_per_owner=_env_int("LAB_MAX_WAITING_PER_SESSION", 1, low=0))
        return _manager


def _env_int(name: str, default: int, low: int) -> int:
    try:
        value = int(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default  # a typo in the server's environment must not stop the app
    return value if value >= low else default


def store() -> RunStore:
    return manager().store


def reset_for_tests() -> None:
    """Close the manager so the next call builds one on the current LAB_RUNS_DIR."""
    global _manager
    with _lock:
        if _manager is not None:
            _manager.close()
        _manager = None


def snapshot(run_id: str | None) -> JobSnapshot | None:
    if not run_id or not isinstance(run_id, str):
        return None
    try:
        return manager().snapshot(run_id)
    except (KeyError, OSError, ValueError):
        return None


def version(run_id: str | None) -> int | None:
    """The live job's version (cheap); None for unknown or stored-only runs."""
    return manager().version(run_id) if run_id and isinstance(run_id, str) else None


def start(config: RunConfig, owner: str | None = "") -> str:
    """Queue a run for this owner; raises QueueFull (a limit is reached) or ModelError."""
    check_model(config.model)  # cheap; a bad Hub id is rejected here rather than in the worker
    if config.upload_id:
        from lab.recipes.upload import check_upload_access

        check_upload_access(config.upload_id, clean_owner(owner))
    return manager().submit(config, owner=clean_owner(owner) or new_owner())


def cancel(run_id: str | None, owner: str | None = "", admin: bool = False) -> bool:
    """Stop a live run of this owner (any run for the instructor); NotAllowed for someone else's run."""
    if not run_id or not isinstance(run_id, str):
        return False
    return manager().cancel(run_id, owner=clean_owner(owner), admin=admin)


def delete_run(run_id: str | None, owner: str | None = "", admin: bool = False) -> bool:
    """Delete a finished run (its folder too): the owner's own, or any for the instructor."""
    if not run_id or not isinstance(run_id, str) or not valid_run_id(run_id):
        return False
    return manager().delete(run_id, owner=clean_owner(owner), admin=admin)


# --- owners: one random id per browser (kept in its BrowserState) ------------------------------------------
_OWNER = re.compile(r"^[0-9a-f]{32}$")


def new_owner() -> str:
    return secrets.token_hex(16)


def clean_owner(owner: object) -> str:
    """The owner id if well-formed, else "" (which owns nothing and may change nothing).

    The id lives in the browser, so it is a name, not a secret: it keeps people from tripping over each
    other's runs and sets the per-session queue limit; job ids stay the unguessable capability.
    """
    return owner if isinstance(owner, str) and _OWNER.match(owner) else ""


def is_live(run_id: str | None) -> bool:
    snap = snapshot(run_id)
    return snap is not None and snap.status in ("queued", "running")


def list_runs() -> list[RunRecord]:
    """Stored runs, newest first, each with its final metrics (metrics.json) in `meta["metrics"]`."""
    records = store().list_runs()
    for r in records:
        if "metrics" not in r.meta:
            r.meta["metrics"] = _read_metrics(r.run_id)
    return records


def _read_metrics(run_id: str) -> dict[str, Any]:
    try:
        return json.loads((store().run_dir(run_id) / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return {}


def load_run(run_id: str) -> RunRecord | None:
    try:
        return store().load(run_id)
    except (KeyError, OSError):
        return None


def has_model(run_id: str) -> bool:
    try:
        return (store().model_dir(run_id) / "modules.json").is_file()
    except KeyError:
        return False


# --- my runs and the leaderboard ------------------------------------------------------------------
def _is_training(record: RunRecord) -> bool:
    return record.config.get("kind", "training") != "evaluation"


def my_runs(owner: str | None) -> list[RunRecord]:
    """This browser's training runs, newest first; a waiting run has its queue place in `meta["position"]`."""
    owner = clean_owner(owner)
    if not owner:
        return []
    mine = [r for r in list_runs() if r.meta.get("owner") == owner and _is_training(r)]
    live = manager()
    for r in mine:
        snap = live.snapshot(r.run_id) if r.status in ("queued", "running") else None
        if snap is not None:  # memory is fresher than run.json for live runs
            r.meta["status"], r.meta["position"] = snap.status, snap.position
    return mine


def leaderboard() -> list[RunRecord]:
    """Every finished training run (everyone's), best STS-B spearman after training first."""
    finished = [r for r in list_runs() if _is_training(r) and r.status in ("completed", "cancelled")
                and _after(r) is not None]
    return sorted(finished, key=lambda r: -_after(r))


def _after(record: RunRecord) -> float | None:
    value = ((record.meta.get("metrics") or {}).get("metrics_after") or {}).get("spearman_cosine")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


# --- run defaults: hardware profile, then the room's (set by the instructor) ---------------------------
_profile: Profile | None = None
_FORM_NONE_IS_ZERO = ("max_seq_length", "eval_max_pairs", "max_train_samples")  # the form's 0 means "none"


def hardware_profile() -> Profile:
    """lab.hardware.detect(), once per process. Until torch is loaded (the warm-up thread loads it, then calls
    this) a page load gets the CPU profile unless the environment names the hardware: never a 5 s import there.
    """
    global _profile
    if _profile is None:
        from lab.hardware import CPU, detect

        told = os.environ.get("LAB_HARDWARE", "").strip() or os.environ.get("ACCELERATOR", "").strip()
        if not told and "torch" not in sys.modules:
            return CPU
        _profile = detect()
    return _profile


def room_defaults_path():
    return runs_dir() / "room_defaults.json"


def room_defaults() -> dict[str, Any]:
    """The instructor's saved defaults (form keys only); {} when none are set or the file is unreadable."""
    try:
        data = json.loads(room_defaults_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if k in DEFAULT_FORM} if isinstance(data, dict) else {}


def form_defaults() -> dict[str, Any]:
    """What a new page's form starts with: the lab's defaults < this hardware's < the room's."""
    hardware = {k: (0 if v is None and k in _FORM_NONE_IS_ZERO else v)
                for k, v in hardware_profile().run_defaults.items() if k in DEFAULT_FORM}
    return {**DEFAULT_FORM, **hardware, **room_defaults()}


def save_room_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """Validate partial form values through RunConfig and save them atomically; returns what was saved.

    An empty dict clears the room's defaults. Raises ConfigError (unknown keys, invalid values).
    """
    if not isinstance(values, dict):
        raise ConfigError("Room defaults must be a JSON object, e.g. {\"batch_size\": 32}.")
    unknown = sorted(str(k) for k in values if k not in DEFAULT_FORM)
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(unknown)[:200]}. Known: {', '.join(DEFAULT_FORM)}.")
    base = {k: v for k, v in form_defaults().items() if k not in room_defaults()}
    config = build_config({**base, **values})
    saved = {k: _form_value(config, k) for k in values}
    path = room_defaults_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json_atomic(path, saved)
    return saved


def _form_value(config: RunConfig, key: str) -> Any:
    value = getattr(config, key)
    if key == "matryoshka_dims":
        return ",".join(str(d) for d in value)
    if key == "pooling":
        return value or ""
    return 0 if value is None and key in _FORM_NONE_IS_ZERO else value


# --- instructor mode ------------------------------------------------------------------------------------------
def instructor_enabled() -> bool:
    return bool(os.environ.get("LAB_INSTRUCTOR_SECRET", "").strip())


def check_instructor(secret: object) -> bool:
    """True only for the exact secret from LAB_INSTRUCTOR_SECRET (constant-time compare); never logged."""
    expected = os.environ.get("LAB_INSTRUCTOR_SECRET", "").strip()
    if not expected or not isinstance(secret, str) or not secret:
        return False
    return hmac.compare_digest(secret.strip().encode("utf-8"), expected.encode("utf-8"))


def all_runs_live_first() -> list[RunRecord]:
    """Every run (training and evaluation) for the instructor: live ones first, then newest first."""
    records = list_runs()
    return sorted(records, key=lambda r: r.status not in ("queued", "running"))


# --- push to the Hub --------------------------------------------------------------------------------------------
def push_to_hub(run_id: str | None, repo_id: str, token: str, private: bool = True) -> str:
    """Push a stored run's model with the user's token (used for this call only); raises PublishError."""
    from lab.publish import PublishError, push_run

    if not isinstance(run_id, str) or not valid_run_id(run_id):
        raise PublishError("Pick a run with a saved model first.")
    return push_run(store(), run_id, str(repo_id or ""), str(token or ""), private=bool(private))


# --- choices for the form ---------------------------------------------------------------------
def model_choices() -> list[tuple[str, str]]:
    return [(f"{k} — {e.description}", k) for k, e in CATALOG.items()]


def recipe_choices() -> list[tuple[str, str]]:
    return [(f"{k} ({r.format_key})", k) for k, r in RECIPES.items()]


def loss_choices(recipe: str) -> list[tuple[str, str]]:
    """Only the losses that can take this recipe's data, each with its one-line description."""
    recipe_obj = RECIPES.get(recipe)
    if recipe_obj is None:
        return []
    return [(f"{k} — {LOSSES[k].description}", k) for k in fitting_losses(recipe_obj.format_key)]


def knob_names() -> list[str]:
    """Every knob any loss has, once each, in registry order (the form has one input per name)."""
    names: list[str] = []
    for spec in LOSSES.values():
        names += [k.name for k in spec.knobs if k.name not in names]
    return names


def knob_info(name: str) -> tuple[float, str, bool]:
    """(default, help, integer) of the first loss knob with this name."""
    for spec in LOSSES.values():
        for k in spec.knobs:
            if k.name == name:
                return k.default, f"{k.help} Range {k.low:g}–{k.high:g}.", k.integer
    raise KeyError(name)


def loss_knobs(loss: str) -> list[str]:
    spec = LOSSES.get(loss)
    return [k.name for k in spec.knobs] if spec else []


def recipe_knob_names() -> list[str]:
    """Every knob any recipe has, once each (the form has one input per name, shown for the recipes that use it)."""
    names: list[str] = []
    for recipe in RECIPES.values():
        names += [k.name for k in recipe.knobs if k.name not in names]
    return names


def recipe_knob_info(name: str) -> tuple[float, str, bool]:
    for recipe in RECIPES.values():
        for k in recipe.knobs:
            if k.name == name:
                return k.default, f"{k.help} Range {k.low:g}–{k.high:g}.", k.integer
    raise KeyError(name)


def recipe_knobs(recipe: str) -> list[str]:
    r = RECIPES.get(recipe)
    return [k.name for k in r.knobs] if r else []


def recipe_text(recipe: str) -> str:
    r = RECIPES.get(recipe)
    if r is None:
        return ""
    fmt = FORMATS[r.format_key]
    text = f"{r.description}  \n*Format* `{r.format_key}`: {fmt.description}"
    if r.pipeline is not None:
        text += "  \n*A multi-stage pipeline*: the plan below covers one training stage; the whole run takes longer."
    return text


# --- form → config ----------------------------------------------------------------------------
def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _int_or_none(value: Any, zero_is_none: bool = True, name: str = "A setting") -> int | None:
    """A form number as a whole number; empty → None (and 0 → None where the form says 0 means "none")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.") from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.")
    return None if (zero_is_none and int(number) == 0) else int(number)


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ConfigError(f"{name} must be a number, got {_shown(value)}.")
    try:
        return float(value)  # NaN and inf get through here; RunConfig names them
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a number, got {_shown(value)}.") from None


def build_config(
    form: dict[str, Any], knobs: dict[str, Any] | None = None, recipe_knob_values: dict[str, Any] | None = None
) -> RunConfig:
    """One function from the form's values (keyed by RunConfig field) to a validated RunConfig.

    Raises ConfigError (bad values) or ModelError (unusable model) with a user-facing message.
    """
    f = {**DEFAULT_FORM, **{k: v for k, v in form.items() if v is not None}}
    hub_id = str(form.get("hub_id") or "").strip()
    model = hub_id or str(f["model"] or "").strip()
    try:
        dims_text = str(f.get("matryoshka_dims") or "").replace(" ", "")
        dims = tuple(int(d) for d in dims_text.split(",") if d) if dims_text else ()
    except ValueError:
        raise ConfigError("Matryoshka dimensions: a comma-separated list of whole numbers, e.g. 384,128,64.") from None
    loss = str(f["loss"] or "")
    wanted = set(loss_knobs(loss))
    params = {k: v for k, v in (knobs or {}).items() if k in wanted and v is not None}
    wanted_recipe = set(recipe_knobs(str(f["recipe"] or "")))
    recipe_params = {k: v for k, v in (recipe_knob_values or {}).items() if k in wanted_recipe and v is not None}
    try:
        config = RunConfig(
            model=model,
            recipe=str(f["recipe"] or ""),
            loss=loss,
            pooling=(str(f["pooling"]) or None) if f.get("pooling") not in (None, "", "model default") else None,
            max_seq_length=_int_or_none(f.get("max_seq_length"), name="max_seq_length"),
            max_train_samples=_int_or_none(f.get("max_train_samples"), name="max_train_samples"),
            epochs=_float(f["epochs"], "epochs"),
            batch_size=_int_or_none(f["batch_size"], False, "batch_size"),
            lr=_float(f["lr"], "lr"),
            warmup_ratio=_float(f["warmup_ratio"], "warmup_ratio"),
            seed=_int_or_none(f["seed"], False, "seed"),
            eval_steps=_int_or_none(f["eval_steps"], False, "eval_steps") or 0,
            logging_steps=_int_or_none(f["logging_steps"], False, "logging_steps"),
            eval_split=str(f["eval_split"]),
            eval_max_pairs=_int_or_none(f.get("eval_max_pairs"), name="eval_max_pairs"),
            loss_params=params,
            recipe_params=recipe_params,
            group_by_length=bool(f.get("group_by_length", True)),
            matryoshka_dims=dims,
            data_source=str(f["data_source"]),
            label=str(f.get("label") or "").strip(),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"A setting is not a valid number: {exc}") from None
    check_model(config.model)
    return config


# --- preview and estimate -----------------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    rows: pd.DataFrame  # five rows with role-annotated headers
    roles: str  # markdown: which column plays which role
    source: str  # where the data comes from
    available_rows: int  # rows the recipe produced before max_train_samples


@functools.lru_cache(maxsize=16)
def _prepared(recipe: str, seed: int, max_rows: int | None, data_source: str, params: tuple = ()):
    from lab.recipes import prepare

    return prepare(recipe, seed=seed, max_rows=max_rows, data_source=data_source, params=dict(params))


def preview(
    recipe: str,
    seed: int = 42,
    max_rows: int | None = None,
    data_source: str = "auto",
    n: int = 5,
    params: dict[str, Any] | None = None,
) -> Preview:
    """The first `n` rows exactly as the loss will get them (same seed, same limit), with column roles."""
    if recipe not in RECIPES:
        raise ConfigError(f"Unknown recipe '{recipe}'.")
    data = _prepared(recipe, int(seed), max_rows, data_source, tuple(sorted((params or {}).items())))
    fmt = RECIPES[recipe].format
    head = data.rows.head(n).copy()
    for col in head.columns:
        if head[col].dtype == float:
            head[col] = head[col].round(3)
    roles = " · ".join(
        [f"**{i + 1}. `{c}`**: {fmt.role_of(c)}" for i, c in enumerate(fmt.inputs)]
        + ([f"**label `{fmt.label}`**: {fmt.role_of(fmt.label)}"] if fmt.label else [])
    )
    roles += "  \nText columns reach the loss *by position*; a column named `label`/`score` is the target."
    return Preview(head, roles, data.source.describe(), data.transformed_rows)


def estimate(config: RunConfig, available_rows: int | None = None) -> dict[str, float]:
    """Steps and a rough wall-time for the run on this machine (training + STS-B evals + start-up)."""
    rows = config.max_train_samples or available_rows or 0
    if available_rows:
        rows = min(rows, available_rows)
    steps = max(1, math.ceil(config.epochs * math.ceil(max(rows, 1) / config.batch_size)))
    try:
        kind = check_model(config.model, check_hub=False).kind
    except ValueError:
        kind = "hub"
    gpu = 20.0 if WARMUP.cuda else 1.0
    columns = len(RECIPES[config.recipe].format.inputs)
    speed = _SPEED.get(kind, 5.0) * gpu * (3 / max(columns, 1)) ** 0.5
    train_s = steps * config.batch_size / speed
    pairs = config.eval_max_pairs or (1500 if config.eval_split == "validation" else 1379)
    one_eval_s = 2 * pairs / (_ENCODE.get(kind, 60.0) * gpu)
    evals = 2 + (steps // config.eval_steps if config.eval_steps else 0)
    startup_s = (0.0 if WARMUP.ready("sentence_transformers") else 12.0) + (0.5 if kind == "tiny" else 2.0)
    return {
        "steps": steps,
        "rows": rows,
        "train_s": train_s,
        "eval_s": evals * one_eval_s,
        "total_s": startup_s + train_s + evals * one_eval_s,
        "first_loss_s": startup_s + one_eval_s + config.logging_steps * config.batch_size / speed,
    }


# --- background warm-up of heavy imports ----------------------------------------------------------
class Warmup:
    """Imports the heavy libraries in a daemon thread after launch, so the first page is never blocked."""

    MODULES = (("sentence_transformers", "sentence-transformers"), ("umap", "UMAP"))

    def __init__(self) -> None:
        self.state: dict[str, str] = {m: "waiting" for m, _ in self.MODULES}
        self.seconds: dict[str, float] = {}
        self.cuda = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lab-warmup", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        for module, _ in self.MODULES:
            self.state[module] = "loading"
            t0 = time.perf_counter()
            try:
                importlib.import_module(module)
                self.state[module] = "ready"
                if module == "sentence_transformers":
                    torch = importlib.import_module("torch")
                    self.cuda = bool(torch.cuda.is_available())
                    hardware_profile()  # detect() may import torch: do it here, not in a page load
            except Exception as exc:  # a missing optional library must not stop the app
                self.state[module] = f"failed ({type(exc).__name__})"
            self.seconds[module] = time.perf_counter() - t0

    def ready(self, module: str) -> bool:
        return self.state.get(module) == "ready"

    def all_done(self) -> bool:
        return all(s not in ("waiting", "loading") for s in self.state.values())

    def describe(self) -> str:
        parts = []
        for module, name in self.MODULES:
            s = self.state[module]
            took = f" ({self.seconds[module]:.0f} s)" if module in self.seconds and s == "ready" else ""
            parts.append(f"{name} **{s}**{took}")
        return "Libraries: " + " · ".join(parts)


WARMUP = Warmup()


# --- export -------------------------------------------------------------------------------------------
def export_zip(run_id: str):
    """A fresh zip of the run's model (and its training script) in a temp dir; raises FileNotFoundError."""
    from lab.export import zip_model

    record = load_run(run_id)
    if record is None:
        raise FileNotFoundError("No such run.")
    return zip_model(store().model_dir(run_id), run_id, _config_or_none(record.config))


def export_script(run_id: str) -> str:
    from lab.export import training_script

    record = load_run(run_id)
    if record is None:
        raise FileNotFoundError("No such run.")
    config = _config_or_none(record.config)
    if config is None:
        raise ConfigError("This run's stored config can no longer be read by this version of the lab.")
    return training_script(config, run_id)


def _config_or_none(data: dict[str, Any]) -> RunConfig | None:
    try:
        return RunConfig.from_dict(data)
    except (ConfigError, TypeError):
        return None
