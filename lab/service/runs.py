"""Stored runs for the UI: all of them with their metrics, this browser's own, the leaderboard, and the
instructor's live-first list.
"""

from __future__ import annotations

import math

from lab.service.access import clean_owner
from lab.service.live import manager, store
from lab.store import RunRecord


def list_runs() -> list[RunRecord]:
    """Stored runs, newest first, each with its final metrics (metrics.json) in `meta["metrics"]`."""
    runs = store()
    records = runs.list_runs()
    for r in records:
        if "metrics" not in r.meta:
            r.meta["metrics"] = runs.read_metrics(r.run_id)
    return records


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


def all_runs_live_first() -> list[RunRecord]:
    """Every run (training and evaluation) for the instructor: live ones first, then newest first."""
    records = list_runs()
    return sorted(records, key=lambda r: r.status not in ("queued", "running"))
