"""Runs on disk: one folder per run with config, status, an append-only event log, metrics, the model.

Writes are crash-safe: JSON files are replaced atomically (write, fsync, rename) and events are
appended one line at a time and fsynced, so a killed server leaves every run readable. On start-up a
run that was queued or running is marked `interrupted`, keeping its events.
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
    return isinstance(run_id, str) and bool(_RUN_ID.match(run_id))


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

    def run_dir(self, run_id: str) -> Path:
        if not valid_run_id(run_id):
            raise KeyError(f"Not a run id: {run_id!r}")
        return self.root / run_id

    def model_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "model"

    # --- writing -------------------------------------------------------------------------------
    def create(self, run_id: str, config: dict[str, Any], **meta: Any) -> None:
        d = self.run_dir(run_id)
        d.mkdir(parents=True, exist_ok=False)
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

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def mark_interrupted(self) -> list[str]:
        """Called at start-up: runs left queued/running by a dead process become `interrupted`."""
        marked = []
        for run_id in self.run_ids():
            meta = self._read_meta(run_id)
            if meta and meta.get("status") in ACTIVE:
                self.update_meta(
                    run_id,
                    status="interrupted",
                    finished=time.time(),
                    message="The server stopped while this run was " + meta["status"] + ".",
                )
                marked.append(run_id)
        return marked

    # --- reading -------------------------------------------------------------------------------
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
        try:
            config = json.loads((self.run_dir(run_id) / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
        return RunRecord(run_id, config, meta, self.read_events(run_id) if with_events else [])

    def list_runs(self) -> list[RunRecord]:
        """Every stored run (without events), newest first."""
        runs = [r for r in (self.load(i, with_events=False) for i in self.run_ids()) if r]
        return sorted(runs, key=lambda r: r.meta.get("created", 0), reverse=True)
