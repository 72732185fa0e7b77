"""A run in its own process (lab/jobs/isolation.py): events and outcome come through, cancel reaches it, any
failure (an exception, a SIGKILL) is one failed run with a specific message, and the process is gone afterwards —
also when the server itself is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import helpers
import pytest

from lab.config import RunConfig
from lab.events import Failed, Finished, Log, Stage
from lab.jobs.isolation import isolated
from lab.jobs.queue import JobManager
from lab.store import RunStore

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture()
def manager_for(tmp_path):
    made = []

    def make(runner):
        manager = JobManager(RunStore(tmp_path / "runs"), runner=isolated(runner))
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.close()


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while helpers.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not helpers.alive(pid)


def _stage(snapshot, name: str) -> str:
    return next(e.message for e in snapshot.events if isinstance(e, Stage) and e.name == name)


def test_events_and_result_come_through_and_the_process_ends(manager_for, monkeypatch):
    monkeypatch.setenv("LAB_TEST_MARK", "set-after-the-fork-server-started")
    manager = manager_for(helpers.child_reports)
    run_id = manager.submit(RunConfig(model="tiny-bert"))
    assert manager.wait(run_id, 120) == "completed"
    snap = manager.snapshot(run_id)
    pid = int(_stage(snap, "pid"))
    assert pid != os.getpid()
    assert _stage(snap, "mark") == "set-after-the-fork-server-started"  # the server's environment at submit time
    frozen, collects = _stage(snap, "gc").split()
    assert int(frozen) > 100_000 and collects == "True"  # the fork server's imports: never scanned by a collection
    assert [e.step for e in snap.events if isinstance(e, Log)] == [1, 2, 3]
    assert isinstance(snap.events[-1], Finished) and snap.events[-1].metrics_after == {"spearman_cosine": 0.5}
    assert _gone_within(pid, 10)  # its memory went with it
    assert [type(e).__name__ for e in RunStore(manager.store.root).read_events(run_id)][-1] == "Finished"


@pytest.mark.parametrize(
    ("runner", "grace_s"),
    [
        (helpers.child_waits_for_stop, None),  # stops at its next step
        (helpers.child_ignores_stop, 0.5),  # never reaches one: killed after the grace time, still "cancelled"
    ],
)
def test_cancel_reaches_the_child(manager_for, monkeypatch, runner, grace_s):
    from lab.jobs import isolation

    if grace_s is not None:
        monkeypatch.setattr(isolation, "STOP_GRACE_S", grace_s)
    manager = manager_for(runner)
    run_id = manager.submit(RunConfig(model="tiny-bert"))
    deadline = time.monotonic() + 60
    while not any(isinstance(e, Stage) for e in manager.snapshot(run_id).events):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    pid = int(_stage(manager.snapshot(run_id), "pid"))
    assert manager.cancel(run_id)
    assert manager.wait(run_id, 30) == "cancelled"
    assert _gone_within(pid, 10)


@pytest.mark.parametrize(
    ("runner", "error_type", "says"),
    [
        (helpers.child_raises, "ValueError", "Column 'score' has non-numeric values (row 3: 'abc')."),
        (helpers.child_runs_out_of_memory, "RuntimeError", "cached-mnrl"),
        (helpers.child_is_killed, "ProcessDied", "killed by SIGKILL — most likely the machine ran out of memory"),
    ],
)
def test_a_failure_in_the_child_is_one_failed_run_and_the_worker_goes_on(manager_for, runner, error_type, says):
    manager = manager_for(runner)
    bad = manager.submit(RunConfig(model="tiny-bert"))
    assert manager.wait(bad, 120) == "failed"
    failed = manager.snapshot(bad).events[-1]
    assert isinstance(failed, Failed) and failed.error_type == error_type and says in failed.message
    assert manager.snapshot(bad).message == failed.message
    manager.runner = isolated(helpers.child_reports)  # the same worker runs the next job
    good = manager.submit(RunConfig(model="tiny-bert"))
    assert manager.wait(good, 120) == "completed"


def test_the_child_exits_when_the_server_is_killed(tmp_path):
    pidfile = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(TESTS)!r})
        import helpers
        from lab.config import RunConfig
        from lab.store import RunStore
        from lab.jobs.isolation import isolated
        from lab.jobs.queue import JobManager

        if __name__ == "__main__":
            manager = JobManager(RunStore({str(tmp_path / "runs")!r}), runner=isolated(helpers.child_sleeps))
            manager.submit(RunConfig(model="tiny-bert"))
            time.sleep(600)
    """)
    (tmp_path / "server.py").write_text(script)
    server = subprocess.Popen([sys.executable, str(tmp_path / "server.py")], cwd=TESTS.parent,
                              env={**os.environ, "LAB_TEST_PIDFILE": str(pidfile)})
    try:
        deadline = time.monotonic() + 120
        while not pidfile.exists() or not pidfile.read_text():
            assert server.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.1)
        child = int(pidfile.read_text())
        assert helpers.alive(child)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert _gone_within(child, 15), "the run's process outlived the killed server"


def test_the_app_trains_in_a_process_unless_told_otherwise(monkeypatch):
    from lab.service import live

    helpers.reset_service()
    assert live.manager().runner.__name__ == "isolated_run_job"
    helpers.reset_service()
    monkeypatch.setenv("LAB_RUN_PROCESS", "0")
    assert live.manager().runner.__name__ == "run_job"
    helpers.reset_service()


def test_offline_mode_set_after_the_fork_server_started_reaches_huggingface_hub(tmp_path):
    """huggingface_hub reads HF_HUB_OFFLINE at import, which for a run's process happened in the fork server."""
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(TESTS)!r})
        import helpers
        from lab.config import RunConfig
        from lab.store import RunStore
        from lab.jobs.isolation import isolated, start_server
        from lab.jobs.queue import JobManager

        if __name__ == "__main__":
            start_server()  # the fork server starts with this environment: the Hub "online"
            os.environ["HF_HUB_OFFLINE"] = "1"  # what lab.host.hub.configure_offline does when the Hub is unreachable
            manager = JobManager(RunStore({str(tmp_path / "runs")!r}), runner=isolated(helpers.child_reports_offline))
            run_id = manager.submit(RunConfig(model="tiny-bert"))
            assert manager.wait(run_id, 120) == "completed"
            print("OFFLINE=" + next(e.message for e in manager.snapshot(run_id).events if e.kind == "stage"))
    """)
    (tmp_path / "server.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    out = subprocess.run([sys.executable, str(tmp_path / "server.py")], cwd=TESTS.parent, env=env,
                         capture_output=True, text=True, timeout=300)
    assert "OFFLINE=True" in out.stdout, out.stdout + out.stderr[-2000:]
