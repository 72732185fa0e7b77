"""The process-global JobManager (created lazily, queue limits from the environment) and the calls on
live jobs: start, cancel, delete, snapshot, change keys.
"""

from __future__ import annotations

import os
import threading

from lab.config import RunConfig, check_upload_rows
from lab.host.paths import runs_dir
from lab.jobs.dispatch import run_job
from lab.jobs.isolation import isolated
from lab.jobs.job import JobSnapshot
from lab.jobs.queue import JobManager
from lab.models import check_model
from lab.service.access import clean_owner, may_read, require_owner
from lab.store import RunStore, valid_run_id
from lab.upload.saved import check_upload_access, delete_upload

_lock = threading.Lock()
_manager: JobManager | None = None


def manager() -> JobManager:
    """The one JobManager (and its worker thread) of this process, created on first use.

    Queue limits come from the environment: LAB_MAX_QUEUE (waiting runs, everyone; default 100) and
    LAB_MAX_WAITING_PER_SESSION (waiting runs per browser; default 1, 0 = no limit). Each run trains in its
    own process (lab/jobs/isolation.py); LAB_RUN_PROCESS=0 trains in a thread of the server instead.
    """
    global _manager
    with _lock:
        if _manager is None:
            runner = isolated(run_job) if run_in_process() else run_job
            _manager = JobManager(RunStore(runs_dir()), runner=runner,
                                  max_queue=_env_int("LAB_MAX_QUEUE", 100, low=1),
                                  max_waiting_per_owner=_env_int("LAB_MAX_WAITING_PER_SESSION", 1, low=0))
        return _manager


def run_in_process() -> bool:
    return os.environ.get("LAB_RUN_PROCESS", "1").strip().lower() not in ("0", "false", "no", "off")


def _env_int(name: str, default: int, low: int) -> int:
    try:
        value = int(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default  # a typo in the server's environment must not stop the app
    return value if value >= low else default


def store() -> RunStore:
    return manager().store


def snapshot(run_id: str | None, owner: object = None, admin: bool = False) -> JobSnapshot | None:
    """A run's state as this browser may see it: None for no such run, and for a private run of someone else."""
    if not run_id or not isinstance(run_id, str):
        return None
    try:
        snap = manager().snapshot(run_id)
    except (KeyError, OSError, ValueError):
        return None
    return snap if snap is not None and may_read(snap.config, snap.owner, owner, admin) else None


def change_keys(run_id: str | None) -> tuple[str, str]:
    """(layout key, progress key): short strings that change whenever a tab following this run must render it
    again — all of it (it starts, a table arrives, it ends, its queue place moves), or only its progress (a loss
    or evaluation point, a new stage: the status line, charts and stage list the change-key route carries).

    Cheap (memory, or two file stats for a stored run): open tabs ask for them every second over plain HTTP and
    call a gradio poll only when one changes. "none": a malformed run id; "stored:<id>[:<stamp>]": not live in
    this process (a finished run, one another process writes, whose stamp moves as its files grow, or no such
    run).
    """
    if not run_id or not isinstance(run_id, str) or not valid_run_id(run_id):
        return "none", "none"
    keys = manager().keys(run_id)
    if keys is None:  # not live here: a finished run, or one another process writes (its files move as it goes)
        stamp = manager().store.stamp(run_id)
        key = f"stored:{run_id}" + (":" + "-".join(map(str, stamp)) if stamp else "")
        return key, key
    version, layout, position, queue_length = keys
    waiting = f":{position}:{queue_length}" if position is not None else ""  # "3rd of 7" changes as others queue
    return f"{run_id}:{layout}{waiting}", f"{run_id}:{version}"


def change_key(run_id: str | None) -> str:
    """The layout key of `change_keys`: changes with everything but progress (points and stages)."""
    return change_keys(run_id)[0]


def any_change_key(run_id: str | None) -> str:
    """Both keys of `change_keys` in one: for a view that renders everything on every change (what a tab whose
    `state.follow` takes no progress outputs compares)."""
    return "|".join(change_keys(run_id))


def start(config: RunConfig, owner: str | None = "") -> str:
    """Queue a run for this owner; raises NotAllowed (no valid owner id), QueueFull (a limit is reached) or
    ModelError."""
    return manager().submit(config, owner=check_start(config, owner))


def check_start(config: RunConfig, owner: str | None) -> str:
    """What every start checks (raises NotAllowed or ModelError/ConfigError); returns the clean owner id."""
    owner = require_owner(owner)
    check_model(config.model)  # cheap; a bad Hub id is rejected here rather than in the worker
    if config.upload_id:
        check_upload_rows(config.loss, check_upload_access(config.upload_id, owner).get("distinct_rows"))
    return owner


def cancel(run_id: str | None, owner: str | None = "", admin: bool = False) -> bool:
    """Stop a live run of this owner (any run for the instructor); NotAllowed for someone else's run."""
    if not run_id or not isinstance(run_id, str):
        return False
    return manager().cancel(run_id, owner=clean_owner(owner), admin=admin)


def delete_run(run_id: str | None, owner: str | None = "", admin: bool = False) -> bool:
    """Delete a finished run (its folder too): the owner's own, or any for the instructor. Its private upload
    goes with it once no other stored run trains on it."""
    if not run_id or not isinstance(run_id, str) or not valid_run_id(run_id):
        return False
    record = manager().store.load(run_id, with_events=False)
    deleted = manager().delete(run_id, owner=clean_owner(owner), admin=admin)
    upload_id = (record.config if record else {}).get("upload_id")
    if deleted and upload_id and not any(r.config.get("upload_id") == upload_id for r in manager().store.list_runs()):
        delete_upload(upload_id)
    return deleted


def delete_my_upload(upload_id: str | None, owner: str | None) -> None:
    """A browser deletes one of its own uploads (its runs keep their results; they can no longer be repeated)."""
    check_upload_access(str(upload_id or ""), require_owner(owner))
    delete_upload(str(upload_id))


def is_live(run_id: str | None, owner: object = None) -> bool:
    """Whether this browser's own run is still queued or running (following a shared identical run is not)."""
    snap = snapshot(run_id, owner)
    return snap is not None and snap.status in ("queued", "running") and snap.owner == clean_owner(owner)


def queue_length() -> int:
    """Runs waiting in the queue now (everyone's)."""
    return manager().queue_length()
