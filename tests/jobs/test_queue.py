"""The job queue with a fake runner: FIFO order, evaluations behind trainings, cancel (queued and running),
failures, persistence."""

from __future__ import annotations

import threading
import time

import pytest

from lab.config import RunConfig
from lab.errors import QueueFull
from lab.events import Finished, Stage
from lab.jobs.evaluate import EvalConfig
from lab.jobs.job import EVAL_YIELDS
from lab.jobs.queue import JobManager
from lab.store import RunStore


class FakeRunner:
    """Runs until released (or stopped); records the order jobs ran in."""

    def __init__(self, fail_labels=()):
        self.order: list[str] = []
        self.release = threading.Event()
        self.fail_labels = set(fail_labels)

    def __call__(self, config, ctx):
        self.order.append(config.label)
        ctx.emit(Stage(name="train", message=f"training {config.label}"))
        if config.label in self.fail_labels:
            raise RuntimeError(f"boom in {config.label}")
        while not self.release.is_set() and not ctx.stop.is_set():
            time.sleep(0.01)
        status = "cancelled" if ctx.stop.is_set() else "completed"
        return Finished(
            status=status,
            metrics_before={},
            metrics_after={"spearman_cosine": 0.5},
            train_samples_per_s=1.0,
            train_runtime_s=1.0,
            steps=1,
            model_dir="",
        )


def _config(label):
    return RunConfig(model="tiny-bert", label=label)


def _wait_status(manager, run_id, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manager.snapshot(run_id).status == status:
            return
        time.sleep(0.01)
    raise AssertionError(f"{run_id} never reached {status}: {manager.snapshot(run_id).status}")


@pytest.fixture()
def setup(tmp_path):
    runner = FakeRunner(fail_labels={"bad"})
    manager = JobManager(RunStore(tmp_path), runner=runner)
    yield manager, runner
    runner.release.set()
    manager.close()


def test_jobs_run_in_submission_order_with_queue_positions(setup):
    manager, runner = setup
    a, b, c = (manager.submit(_config(x)) for x in "abc")
    _wait_status(manager, a, "running")
    assert manager.position(b) == 1 and manager.position(c) == 2
    runner.release.set()
    for run_id in (a, b, c):
        assert manager.wait(run_id, 5) == "completed"
    assert runner.order == ["a", "b", "c"]


def test_an_evaluation_lets_trainings_go_first_but_not_for_ever(setup):
    manager, runner = setup
    first = manager.submit(_config("a"))
    _wait_status(manager, first, "running")
    evaluation = manager.submit(EvalConfig(models=("tiny-bert",), label="E"))
    later = [manager.submit(_config(x)) for x in "bcde"]
    assert EVAL_YIELDS == 3
    # positions say the order they will start in: three trainings pass the evaluation, the fourth waits behind it
    assert [manager.position(r) for r in later[:3]] == [1, 2, 3]
    assert manager.position(evaluation) == 4 and manager.position(later[3]) == 5
    runner.release.set()
    for run_id in (first, evaluation, *later):
        assert manager.wait(run_id, 5) == "completed"
    assert runner.order == ["a", "b", "c", "d", "E", "e"]


def test_cancel_while_queued_skips_the_job(setup):
    manager, runner = setup
    a, b = manager.submit(_config("a")), manager.submit(_config("b"))
    _wait_status(manager, a, "running")
    assert manager.cancel(b)
    assert manager.snapshot(b).status == "cancelled"
    runner.release.set()
    assert manager.wait(a, 5) == "completed"
    assert runner.order == ["a"]
    assert not manager.cancel(b)  # already over


def test_cancel_while_running_stops_cooperatively(setup):
    manager, _ = setup
    a = manager.submit(_config("a"))
    _wait_status(manager, a, "running")
    assert manager.cancel(a)
    assert manager.wait(a, 5) == "cancelled"


def test_a_failing_job_is_recorded_and_the_worker_goes_on(setup):
    manager, runner = setup
    bad, good = manager.submit(_config("bad")), manager.submit(_config("good"))
    runner.release.set()
    assert manager.wait(bad, 5) == "failed"
    assert manager.wait(good, 5) == "completed"
    snap = manager.snapshot(bad)
    assert "boom in bad" in snap.message
    assert snap.events[-1].kind == "failed"


def test_job_ids_are_unguessable_and_state_is_persisted(setup, tmp_path):
    manager, runner = setup
    ids = {manager.submit(_config(str(i))) for i in range(5)}
    assert len(ids) == 5 and all(len(i) == 24 for i in ids)
    runner.release.set()
    for run_id in ids:
        manager.wait(run_id, 5)
    stored = RunStore(tmp_path).load(sorted(ids)[0])
    assert stored.status == "completed" and [e.kind for e in stored.events] == ["stage", "finished"]


def test_version_changes_with_every_event(setup):
    manager, runner = setup
    a = manager.submit(_config("a"))
    v0 = manager.keys(a)[0]
    _wait_status(manager, a, "running")
    assert manager.keys(a)[0] > v0


def test_queue_limit(tmp_path):
    runner = FakeRunner()
    manager = JobManager(RunStore(tmp_path), runner=runner, max_queue=1)
    try:
        first = manager.submit(_config("a"))
        _wait_status(manager, first, "running")
        manager.submit(_config("b"))
        with pytest.raises(QueueFull):
            manager.submit(_config("c"))
    finally:
        runner.release.set()
        manager.close()


def test_per_owner_waiting_limit_and_owner_only_cancel(tmp_path):
    from lab.errors import NotAllowed

    runner = FakeRunner()
    manager = JobManager(RunStore(tmp_path), runner=runner, max_waiting_per_owner=1)
    try:
        running = manager.submit(_config("a"), owner="alice")
        _wait_status(manager, running, "running")
        waiting = manager.submit(_config("b"), owner="alice")
        with pytest.raises(QueueFull, match="already have 1 run"):
            manager.submit(_config("c"), owner="alice")
        other = manager.submit(_config("d"), owner="bob")  # bob's share is separate
        with pytest.raises(NotAllowed):
            manager.cancel(waiting, owner="bob")
        assert manager.cancel(waiting, owner="bob", admin=True)  # the instructor may
        assert manager.cancel(other, owner="bob")
        with pytest.raises(NotAllowed):
            manager.delete(running, owner="alice")  # still running
        runner.release.set()
        manager.wait(running, 5)
        with pytest.raises(NotAllowed):
            manager.delete(running, owner="bob")
        assert manager.delete(running, owner="alice")
        assert manager.snapshot(running) is None and not manager.store.run_dir(running).exists()
    finally:
        runner.release.set()
        manager.close()


def test_a_group_of_runs_queues_as_one_request_all_or_none(tmp_path):
    runner = FakeRunner()
    manager = JobManager(RunStore(tmp_path), runner=runner, max_queue=4, max_waiting_per_owner=1)
    try:
        ids = manager.submit_all([_config("a"), _config("b"), _config("c")], owner="alice")
        assert len(set(ids)) == 3
        _wait_status(manager, ids[0], "running")
        with pytest.raises(QueueFull, match="already have 2 run"):
            manager.submit_all([_config("d"), _config("e")], owner="alice")  # her group still waits
        with pytest.raises(QueueFull, match="queue is full"):
            manager.submit_all([_config("f"), _config("g"), _config("h")], owner="bob")  # 2 + 3 > 4: none queued
        assert len([r for r in manager.store.list_runs()]) == 3
    finally:
        runner.release.set()
        manager.close()
