"""Stored runs for the UI, as the reading browser may see them (service/access.py has the rule): the runs it may
read with their metrics, its own, the leaderboard (a private run there shows its metrics only), and the
instructor's live-first list.
"""

from __future__ import annotations

import math

from lab.service.access import clean_owner, may_read
from lab.service.live import manager, store
from lab.store import RunRecord


def _all_runs() -> list[RunRecord]:
    """Every stored run, newest first, each with its final metrics (metrics.json) in `meta["metrics"]`."""
    runs = store()
    records = runs.list_runs()
    for r in records:
        if "metrics" not in r.meta:
            r.meta["metrics"] = runs.read_metrics(r.run_id)
    return records


def _readable(record: RunRecord, owner: object, admin: bool) -> bool:
    return may_read(record.config, record.meta.get("owner", ""), owner, admin)


def list_runs(owner: object = None, admin: bool = False) -> list[RunRecord]:
    """The runs this browser may read (everyone's public runs and its own private ones), newest first."""
    return [r for r in _all_runs() if _readable(r, owner, admin)]


def load_run(run_id: str, owner: object = None, admin: bool = False) -> RunRecord | None:
    """A stored run with its events, if this browser may read it; None otherwise (as for no such run)."""
    try:
        record = store().load(run_id)
    except (KeyError, OSError):
        return None
    return record if record is not None and _readable(record, owner, admin) else None


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
    mine = [r for r in _all_runs() if r.meta.get("owner") == owner and _is_training(r)]
    live = manager()
    for r in mine:
        snap = live.snapshot(r.run_id) if r.status in ("queued", "running") else None
        if snap is not None:  # memory is fresher than run.json for live runs
            r.meta["status"], r.meta["position"] = snap.status, snap.position
    return mine


def leaderboard(owner: object = None, admin: bool = False) -> list[RunRecord]:
    """Every finished training run (everyone's), best STS-B spearman after training first. A private run this
    browser may not read is there with its metrics only: its config is replaced by `{"private": True}`."""
    finished = [r for r in _all_runs() if _is_training(r) and r.status in ("completed", "cancelled")
                and _after(r) is not None]
    shown = [r if _readable(r, owner, admin) else _metrics_only(r) for r in finished]
    return sorted(shown, key=lambda r: -_after(r))


def _metrics_only(record: RunRecord) -> RunRecord:
    meta = {k: record.meta[k] for k in ("status", "created", "metrics") if k in record.meta}
    return RunRecord(record.run_id, {"private": True}, meta)


def _after(record: RunRecord) -> float | None:
    value = ((record.meta.get("metrics") or {}).get("metrics_after") or {}).get("spearman_cosine")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def all_runs_live_first() -> list[RunRecord]:
    """Every run (training and evaluation) for the instructor: live ones first, then newest first."""
    records = _all_runs()
    return sorted(records, key=lambda r: r.status not in ("queued", "running"))
