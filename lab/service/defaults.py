"""Run defaults, in layers: the lab's, then this hardware profile's, then the room's (saved by the instructor)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.host.hardware import CPU, Profile, detect
from lab.host.paths import runs_dir
from lab.host.zerogpu import on_zero_gpu
from lab.service.form import build_config
from lab.service.presets import DEFAULT_FORM
from lab.store import write_json_atomic

_profile: Profile | None = None
_FORM_NONE_IS_ZERO = ("max_seq_length", "eval_max_pairs", "max_train_samples")  # the form's 0 means "none"


def hardware_profile() -> Profile:
    """lab.host.hardware.detect(), once per process. Until torch is loaded (the warm-up thread loads it, then calls
    this) a page load gets the CPU profile unless the environment names the hardware: never a 5 s import there.
    """
    global _profile
    if _profile is None:
        told = (os.environ.get("LAB_HARDWARE", "").strip() or os.environ.get("ACCELERATOR", "").strip()
                or on_zero_gpu())
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
    write_json_atomic(path, saved)
    return saved


def _form_value(config: RunConfig, key: str) -> Any:
    value = getattr(config, key)
    if key == "matryoshka_dims":
        return ",".join(str(d) for d in value)
    if key == "pooling":
        return value or ""
    return 0 if value is None and key in _FORM_NONE_IS_ZERO else value
