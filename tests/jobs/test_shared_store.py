"""One run store, many processes: a second manager (or the CLI) never touches a run another live process is
writing; a run whose writer was SIGKILLed reads as `interrupted`, with its curve, for every reader."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import helpers

from lab.config import RunConfig
from lab.events import Log
from lab.jobs.queue import JobManager
from lab.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parents[1]


def _writer(runs: Path) -> tuple[subprocess.Popen, str]:
    """Another process with its own JobManager on `runs`, holding one run at "running"; returns it and the run id."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(TESTS)!r})
        import helpers
        from lab.config import RunConfig
        from lab.jobs.queue import JobManager
        from lab.store import RunStore

        manager = JobManager(RunStore({str(runs)!r}), runner=helpers.runner_holds)
        print(manager.submit(RunConfig(model="tiny-bert")), flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    run_id = proc.stdout.readline().strip()
    store = RunStore(runs)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = store.load(run_id)
        if record and record.status == "running" and any(isinstance(e, Log) for e in record.events):
            return proc, run_id
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the other process never started its run")


def _cli_runs(runs: Path) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "lab", "runs", "--json", "--runs-dir", str(runs)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    return {r["run_id"]: r["status"] for r in json.loads(out.stdout)}


def test_a_second_manager_and_the_cli_leave_a_live_run_alone_and_see_a_killed_one_interrupted(tmp_path):
    runs = tmp_path / "runs"
    other, live_id = _writer(runs)
    try:
        manager = JobManager(RunStore(runs), runner=lambda config, ctx: helpers._finished())  # as a second app
        try:
            assert manager.snapshot(live_id).status == "running"  # starting did not mark it interrupted
            assert _cli_runs(runs)[live_id] == "running"
            mine = manager.submit(RunConfig(model="tiny-bert"))  # this process writes its own runs beside it
            assert manager.wait(mine, 30) == "completed"
            assert RunStore(runs).load(live_id).status == "running"

            os.kill(other.pid, signal.SIGKILL)  # the writer dies without a word
            other.wait(timeout=30)
            record = RunStore(runs).load(live_id)
            assert record.status == "interrupted" and any(isinstance(e, Log) for e in record.events)
            assert manager.snapshot(live_id).status == "interrupted"
            assert _cli_runs(runs) == {live_id: "interrupted", mine: "completed"}
        finally:
            manager.close()
    finally:
        if other.poll() is None:
            other.kill()


def test_a_live_writer_in_another_process_is_never_settled_by_a_restart(tmp_path):
    runs = tmp_path / "runs"
    other, live_id = _writer(runs)
    try:
        assert RunStore(runs).writer_alive(live_id)
        assert RunStore(runs).mark_interrupted() == []  # what every manager does when it starts
        assert json.loads((runs / live_id / "run.json").read_text())["status"] == "running"
    finally:
        other.kill()
        other.wait(timeout=30)
    assert RunStore(runs).mark_interrupted() == [live_id]
