"""Identical configs in a room: 30 participants who press Start on the same settings train once. A run whose config
(model, data, loss, knobs, seed, sizes: everything but the label) matches a finished, running or queued run this
browser may read is served from that run — its result at once, or its live curve — unless the participant asks to
train again anyway."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lab.config import RunConfig
from lab.service.access import clean_owner, may_read
from lab.service.live import manager, start

REUSABLE = ("completed", "running", "queued")
_IGNORED = ("label",)  # a name only: the same training


def identity(config: dict[str, Any]) -> str:
    """A key for "the same training": the config without its label, canonical JSON, hashed."""
    kept = {k: v for k, v in config.items() if k not in _IGNORED}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:32]


def find_identical(config: RunConfig, owner: object = None) -> tuple[str, str] | None:
    """(run id, status) of the newest run with this config that this browser may read and that finished well or is
    still coming; None when there is none."""
    key = identity(config.to_dict())
    reader = clean_owner(owner)
    for record in manager().store.list_runs():  # newest first
        if record.config.get("kind", "training") != "training" or identity(record.config) != key:
            continue
        snap = manager().snapshot(record.run_id)  # the live status (the store's lags a running job)
        status = snap.status if snap is not None else record.status
        if status in REUSABLE and may_read(record.config, record.meta.get("owner", ""), reader):
            return record.run_id, status
    return None


def start_or_reuse(config: RunConfig, owner: str | None, reuse: bool = True) -> tuple[str, str | None]:
    """(run id, None) for a newly queued run, or (an identical run's id, its status) when one can be shared."""
    if reuse:
        found = find_identical(config, owner)
        if found is not None:
            return found
    return start(config, owner), None
