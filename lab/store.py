"""Runs on disk: one folder per run with config, status, an append-only event log, metrics, the model.

Writes are crash-safe: JSON files are replaced atomically (write, fsync, rename) and events are
appended one line at a time and fsynced, so a killed server leaves every run readable.

Many processes may share one store (the app, a CLI run, a second app). The process that creates a run holds
an exclusive OS lock on its `writer.lock` until the run ends; the kernel drops it when that process dies. So
any reader knows whether a queued or running run still has a live writer: one without is shown (and saved)
as `interrupted` with its events, and a live one is never touched by anyone else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.events import Event, event_from_dict

try:
    import fcntl
except ImportError:  # no flock (Windows): every run counts as having a live writer until its status says it ended
    fcntl = None

ACTIVE = ("queued", "running")
_RUN_ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass
class RunRecord:
    run_id: str
    config: dict[str, Any]
    meta: dict[str, Any]  # status, created, started, finished, owner, message, metrics…
    events: list[Event] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.meta.get("status", "unknown")


def valid_run_id(run_id: str) -> bool:
    return isinstance(run_id, str) and bool(_RUN_ID.fullmatch(run_id))


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._writing: dict[str, int] = {}  # run id -> fd holding its writer lock (runs this process writes)

    def run_dir(self, run_id: str) -> Path:
        if not valid_run_id(run_id):
            raise KeyError(f"Not a run id: {run_id!r}")
        return self.root / run_id

    def model_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "model"

    # --- writing -------------------------------------------------------------------------------
    def create(self, run_id: str, config: dict[str, Any], **meta: Any) -> None:
        """A new run, written by this process until `release(run_id)` (or until this process dies)."""
        d = self.run_dir(run_id)
        d.mkdir(parents=True, exist_ok=False)
        fd = _try_lock(d / "writer.lock", exclusive=True)
        if fd is None:  # nobody can hold the lock of a folder that did not exist: a clash of random ids
            raise FileExistsError(f"Run {run_id} is being written by another process.")
        with self._lock:
            self._writing[run_id] = fd
        write_json_atomic(d / "config.json", config)
        write_json_atomic(d / "run.json", {"run_id": run_id, "status": "queued", "created": time.time(), **meta})
        (d / "events.jsonl").touch()

    def append_event(self, run_id: str, event: Event) -> None:
        line = json.dumps(event.to_dict(), default=str)
        with self._lock, open(self.run_dir(run_id) / "events.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def update_meta(self, run_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            path = self.run_dir(run_id) / "run.json"
            meta = json.loads(path.read_text(encoding="utf-8"))
            meta.update(changes)
            write_json_atomic(path, meta)
            return meta

    def write_metrics(self, run_id: str, metrics: dict[str, Any]) -> None:
        write_json_atomic(self.run_dir(run_id) / "metrics.json", metrics)

    def release(self, run_id: str) -> None:
        """This process is done writing the run (its final status is stored): others may settle or delete it."""
        with self._lock:
            fd = self._writing.pop(run_id, None)
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock

    def delete(self, run_id: str) -> None:
        self.release(run_id)
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def writer_alive(self, run_id: str) -> bool:
        """Whether some process (this one included) still writes the run."""
        with self._lock:
            if run_id in self._writing:
                return True
        path = self.run_dir(run_id) / "writer.lock"
        if fcntl is None:
            return True  # no way to tell: assume so, and touch nothing
        if not path.exists():
            return False
        fd = _try_lock(path, exclusive=False)
        if fd is None:
            return True
        os.close(fd)
        return False

    def mark_interrupted(self) -> list[str]:
        """Runs left queued/running by a process that is gone become `interrupted` (what a starting manager calls);
        runs whose writer is alive, in this process or another, are left alone."""
        return [run_id for run_id in self.run_ids() if self._settle(run_id, self._read_meta(run_id)) is not None]

    def _settle(self, run_id: str, meta: dict[str, Any] | None) -> dict[str, Any] | None:
        """The run's meta saved as `interrupted` if it is queued/running and its writer is gone; None otherwise.

        The check and the write happen under the writer lock itself, so a run is never settled while a live
        process writes it, and two readers settling at once write it once.
        """
        if fcntl is None or not meta or meta.get("status") not in ACTIVE:
            return None
        with self._lock:
            if run_id in self._writing:
                return None
        fd = _try_lock(self.run_dir(run_id) / "writer.lock", exclusive=True)
        if fd is None:
            return None
        try:
            meta = self._read_meta(run_id)
            if not meta or meta.get("status") not in ACTIVE:
                return None
            return self.update_meta(run_id, status="interrupted", finished=time.time(),
                                    message=f"The process running it stopped while this run was {meta['status']}.")
        finally:
            os.close(fd)

    # --- reading -------------------------------------------------------------------------------
    def stamp(self, run_id: str) -> tuple[int, ...] | None:
        """Changes whenever the run's status or events change (sizes and modification times); None if missing."""
        try:
            d = self.run_dir(run_id)
            meta, events = (d / "run.json").stat(), (d / "events.jsonl").stat()
        except (OSError, KeyError):
            return None
        return meta.st_mtime_ns, meta.st_size, events.st_mtime_ns, events.st_size

    def run_ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if valid_run_id(p.name) and (p / "run.json").is_file())

    def _read_meta(self, run_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.run_dir(run_id) / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            return None

    def read_metrics(self, run_id: str) -> dict[str, Any]:
        try:
            return json.loads((self.run_dir(run_id) / "metrics.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            return {}

    def read_events(self, run_id: str) -> list[Event]:
        events = []
        try:
            lines = (self.run_dir(run_id) / "events.jsonl").read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                events.append(event_from_dict(json.loads(line)))
            except (ValueError, TypeError):
                continue  # a torn last line after a kill: every complete line before it still counts
        return events

    def load(self, run_id: str, with_events: bool = True) -> RunRecord | None:
        if not valid_run_id(run_id):
            return None
        meta = self._read_meta(run_id)
        if meta is None:
            return None
        meta = self._settle(run_id, meta) or meta  # a dead writer's run reads as interrupted (and is saved so)
        try:
            config = json.loads((self.run_dir(run_id) / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
        return RunRecord(run_id, config, meta, self.read_events(run_id) if with_events else [])

    def list_runs(self) -> list[RunRecord]:
        """Every stored run (without events), newest first."""
        runs = [r for r in (self.load(i, with_events=False) for i in self.run_ids()) if r]
        return sorted(runs, key=lambda r: r.meta.get("created", 0), reverse=True)


def _try_lock(path: Path, exclusive: bool) -> int | None:
    """An open descriptor holding a non-blocking flock on `path` (created if missing), or None if another holds it.

    The descriptor is not inherited by child processes (O_CLOEXEC), so only this process keeps the lock alive.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
