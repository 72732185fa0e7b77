"""The room's replay: a set of finished runs the instructor publishes, which every participant can play back —
curves and every teaching view — while the queue trains their own. One set per server, kept in the cache folder
(a restart keeps it); only finished runs anyone may read are published (never a private upload's run)."""

from __future__ import annotations

import json
from typing import Any

from lab.errors import ConfigError
from lab.host.paths import cache_dir
from lab.service.access import is_private
from lab.service.live import manager
from lab.store import valid_run_id, write_json_atomic

MAX_RUNS = 12
MAX_FILE_BYTES = 16_384
_FILE = "replay.json"


def publish(run_ids: list[str] | None) -> list[str]:
    """Replace the room's replay with these finished, public training runs (the instructor's call)."""
    run_ids = list(dict.fromkeys(run_ids or []))
    if len(run_ids) > MAX_RUNS:
        raise ConfigError(f"A replay holds at most {MAX_RUNS} runs.")
    for run_id in run_ids:
        record = manager().store.load(run_id, with_events=False) if valid_run_id(run_id) else None
        if record is None or record.config.get("kind", "training") != "training":
            raise ConfigError(f"'{str(run_id)[:24]}' is not a training run on this server.")
        if record.status != "completed":
            raise ConfigError(f"Run {run_id[:8]} has not completed: only finished runs replay.")
        if is_private(record.config):
            raise ConfigError(f"Run {run_id[:8]} trained on a private upload: it cannot be shown to the room.")
    path = cache_dir() / _FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"runs": run_ids})
    return run_ids


def published() -> list[tuple[str, str]]:
    """(label, run id) of the replay's runs that still exist, in the published order; [] when none."""
    path = cache_dir() / _FILE
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        ids = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
    except (OSError, ValueError, AttributeError):
        return []
    out = []
    for run_id in ids[:MAX_RUNS] if isinstance(ids, list) else []:
        record = manager().store.load(run_id, with_events=False) if valid_run_id(run_id) else None
        if record is not None and record.status == "completed" and not is_private(record.config):
            out.append((_label(run_id, record.config), run_id))
    return out


def _label(run_id: str, config: dict[str, Any]) -> str:
    return f"{config.get('model')} · {config.get('recipe')} · {config.get('loss')} · {run_id[:6]}"
