"""ZeroGPU mode, run locally: the real `spaces` decorator (a pass-through off ZeroGPU) under the lab's simulation
of its semantics (the call forked into a child, values streamed back through a queue, nothing shared in memory):
a run's events, model and store entry arrive intact; the duration comes from the plan and is clamped; refusals say
what would work; a closed call leaves an interrupted run with its curve; Cancel reaches the call through the disk.
"""

from __future__ import annotations

import os

import pytest
import spaces

from lab import service
from lab.errors import GpuRefused
from lab.events import Eval, Finished, Log, Stage, Started
from lab.host import zerogpu as host
from lab.jobs import gpu_call
from lab.service import zerogpu

OWNER = "ab" * 16


def _task(config, run_id, run_dir, step=None):
    """The call's body as the app's (lab/ui/zerogpu.py), plus the pid of the process it runs in."""
    yield Stage(name="pid", message=str(os.getpid()))
    yield from zerogpu.stream(config, run_id, run_dir, step)


def _call(durations=None):
    def duration(config, run_id, run_dir, step=None):  # as the app's (lab/ui/zerogpu.py)
        seconds = zerogpu.duration_s(config, step)
        if durations is not None:
            durations.append(seconds)
        return seconds

    decorated = spaces.GPU(duration=duration)(_task)
    assert decorated is _task  # off ZeroGPU the real decorator hands the function back
    return zerogpu.simulate(decorated, duration)


@pytest.fixture(autouse=True)
def _simulated(monkeypatch):
    import helpers

    monkeypatch.setenv("LAB_ZEROGPU", "simulate")
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    monkeypatch.delenv("LAB_ZEROGPU_QUOTA_S", raising=False)
    monkeypatch.delenv("LAB_ZEROGPU_MAX_S", raising=False)
    monkeypatch.setattr(gpu_call, "_spent_s", 0.0)  # a fresh visitor for each test
    helpers.reset_service()
    yield
    helpers.reset_service()


def _start(config):
    run_id = zerogpu.begin(config, OWNER)
    return run_id, _call()(config, run_id, str(service.store().run_dir(run_id)))


def test_the_mode_is_detected_from_the_environment(monkeypatch):
    assert host.mode() == "simulate"
    monkeypatch.delenv("LAB_ZEROGPU")
    assert host.mode() == "" and host.cuda_allowed()
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")  # what `spaces` and gradio read on a ZeroGPU Space
    assert host.mode() == "zerogpu" and not host.cuda_allowed()  # the server never touches CUDA there
    from lab.host.hardware import detect

    assert detect().name == "zerogpu"


def test_a_run_trained_in_a_forked_call_arrives_intact(tiny_config):
    config = tiny_config()
    run_id, call = _start(config)
    assert service.snapshot(run_id, OWNER).status == "running"  # followed like any run from the first moment
    for _ in zerogpu.follow(run_id, call):
        pass
    snap = service.snapshot(run_id, OWNER)
    assert snap.status == "completed", snap.message
    stored = service.store().load(run_id)
    assert stored.status == "completed" and [e.kind for e in stored.events] == [e.kind for e in snap.events]
    pid = next(e for e in snap.events if isinstance(e, Stage) and e.name == "pid").message
    assert int(pid) != os.getpid()  # trained in a child, which handed back only events and files
    started = next(e for e in snap.events if isinstance(e, Started))
    assert started.device == "cpu"
    assert any(isinstance(e, Log) for e in snap.events) and any(isinstance(e, Eval) for e in snap.events)
    finished = next(e for e in snap.events if isinstance(e, Finished))
    assert finished.status == "completed" and finished.steps == 3
    import json

    metrics = json.loads((service.store().run_dir(run_id) / "metrics.json").read_text())
    assert metrics["metrics_after"] == finished.metrics_after and metrics["steps"] == 3
    from lab.models import load_model

    model = load_model(str(service.store().model_dir(run_id)), allow_local=True)  # saved by the call, on disk
    assert model.encode(["a sentence"]).shape == (1, 128)


def test_the_duration_comes_from_the_plan_and_is_clamped(tiny_config, monkeypatch):
    small = tiny_config()
    plan = zerogpu.gpu_plan(small)
    assert plan.fits and plan.requested_s == host.call_seconds(plan.plan_s) >= host.MIN_CALL_S
    assert zerogpu.duration_s(small) == plan.requested_s
    big = tiny_config(model="all-MiniLM-L6-v2", max_train_samples=200_000, batch_size=32)
    big_plan = zerogpu.gpu_plan(big)
    assert big_plan.requested_s > host.MAX_CALL_S and not big_plan.fits
    assert zerogpu.duration_s(big) == host.MAX_CALL_S  # never more than the tier allows
    monkeypatch.setenv("LAB_ZEROGPU_MAX_S", "60")
    assert zerogpu.duration_s(big) == 60
    fit = zerogpu.gpu_plan(big).rows_that_fit
    assert 0 < fit < 200_000 and fit % 32 == 0
    assert host.call_seconds(zerogpu.gpu_plan(big.replace(max_train_samples=fit)).plan_s) <= 60
    assert host.call_seconds(zerogpu.gpu_plan(big.replace(max_train_samples=fit + 32 * 20)).plan_s) > 60
    durations: list[int] = []
    run_id = zerogpu.begin(small, OWNER)
    for _ in zerogpu.follow(run_id, _call(durations)(small, run_id, str(service.store().run_dir(run_id)))):
        pass
    assert durations == [zerogpu.duration_s(small)]  # what the call asked ZeroGPU for


def test_a_run_over_the_maximum_is_refused_before_anything_is_stored(tiny_config, monkeypatch):
    monkeypatch.setenv("LAB_ZEROGPU_MAX_S", "60")
    big = tiny_config(model="all-MiniLM-L6-v2", max_train_samples=200_000, batch_size=32)
    with pytest.raises(GpuRefused) as refused:
        zerogpu.begin(big, OWNER)
    assert service.store().run_ids() == []
    text = zerogpu.refusal_text(refused.value, big)
    fit = zerogpu.gpu_plan(big).rows_that_fit
    assert "larger than the maximum allowed (60s)" in text and f"Max train samples ≤ {fit:,}" in text
    assert "CPU" in text and "min" in text  # the CPU path, with its time
    note = zerogpu.plan_note(big)
    assert "Too long for one call" in note and f"≤ {fit:,}" in note


def test_a_spent_quota_removes_the_run_and_says_what_fits(tiny_config, monkeypatch):
    monkeypatch.setenv("LAB_ZEROGPU_QUOTA_S", "10")  # less than any call's start-up
    config = tiny_config()
    run_id, call = _start(config)
    with pytest.raises(GpuRefused) as refused:
        list(zerogpu.follow(run_id, call))
    assert refused.value.left_s == 10 and refused.value.requested_s == zerogpu.duration_s(config)
    assert service.store().run_ids() == [] and service.snapshot(run_id, OWNER) is None  # nothing ran: no run kept
    text = zerogpu.refusal_text(refused.value, config)
    assert "vs. 10s left" in text and "no size of this run fits in 10 s" in text and "CPU" in text


def _spaces_error(title, message):
    import gradio as gr

    return gr.Error(message, title=title)  # what spaces' `error()` raises (its str() is the message's repr)


def test_spaces_own_refusals_are_read_with_their_numbers(tiny_config):
    quota = zerogpu.as_refusal(_spaces_error("ZeroGPU quota exceeded", "You have exceeded your free ZeroGPU quota "
                                             "(120s requested vs. 45s left). Try again in 0:12:00. "))
    assert (quota.requested_s, quota.left_s) == (120, 45)
    assert str(quota).startswith("You have exceeded")  # the message itself, not its repr
    too_long = zerogpu.as_refusal(_spaces_error("ZeroGPU illegal duration", "The requested GPU duration (400s) is "
                                                "larger than the maximum allowed"))
    assert (too_long.requested_s, too_long.left_s) == (400, None)
    busy = zerogpu.as_refusal(_spaces_error("ZeroGPU quota exceeded", "Space app has reached its GPU limit. "))
    text = zerogpu.refusal_text(busy, tiny_config())
    assert "no GPU for this run right now" in text and "Max train samples" not in text  # no size would help
    assert zerogpu.as_refusal(RuntimeError("CUDA error: device-side assert")) is None


def test_a_call_zerogpu_aborts_ends_the_run_with_why(tiny_config):
    config = tiny_config()
    run_id = zerogpu.begin(config, OWNER)

    def events():
        yield Stage(name="train", message="Training")
        raise _spaces_error("ZeroGPU worker error", "GPU task aborted")  # spaces, when ZeroGPU ends the call

    list(zerogpu.follow(run_id, events()))
    snap = service.snapshot(run_id, OWNER)
    assert snap.status == "failed"
    assert f"ran past the {zerogpu.duration_s(config)} s it asked for" in snap.message
    assert "'GPU task aborted'" not in snap.message
    assert "CPU path" in snap.message


def test_a_closed_call_leaves_an_interrupted_run_with_its_curve(tiny_config):
    config = tiny_config(max_train_samples=320)
    run_id, call = _start(config)
    following = zerogpu.follow(run_id, call)
    for _ in following:
        if any(isinstance(e, Log) for e in service.snapshot(run_id, OWNER).events):
            break
    following.close()  # what gradio does to the Start handler when its page is reloaded or closed
    stored = service.store().load(run_id)
    assert stored.status == "interrupted" and stored.meta["message"] == zerogpu.INTERRUPTED
    assert any(isinstance(e, Log) for e in stored.events)  # the curve so far
    assert not any(isinstance(e, Finished) for e in stored.events)


def test_cancel_reaches_the_call_through_the_disk(tiny_config):
    config = tiny_config(max_train_samples=640, eval_steps=0)
    run_id, call = _start(config)
    for _ in zerogpu.follow(run_id, call):
        snap = service.snapshot(run_id, OWNER)
        if snap.status == "running" and any(isinstance(e, Log) for e in snap.events):
            assert service.cancel(run_id, OWNER)
    assert (service.store().run_dir(run_id) / gpu_call.STOP_FILE).exists()
    snap = service.snapshot(run_id, OWNER)
    assert snap.status == "cancelled"
    finished = next(e for e in snap.events if isinstance(e, Finished))
    assert finished.status == "cancelled" and finished.steps < 40  # stopped early, with the model so far
    assert service.has_model(run_id)


@pytest.mark.slow
def test_a_pipeline_is_one_call_per_stage_each_stored_as_it_ends(tiny_config):
    config = tiny_config(recipe="augsbert", loss="cosine", max_train_samples=96, eval_steps=0,
                         recipe_params={"gold_fraction": 0.5, "ce_epochs": 1})
    assert zerogpu.calls(config) == 5
    run_id = zerogpu.begin(config, OWNER)
    run_dir = str(service.store().run_dir(run_id))
    pids, stored_before = set(), []
    durations = []
    for step in range(5):
        if zerogpu.local_step(config, step):  # the comparison needs no GPU: the server runs it, as the app does
            events = zerogpu.stream(config, run_id, run_dir, step, in_call=False)
        else:
            events = _call(durations)(config, run_id, run_dir, step)
        for _ in zerogpu.follow(run_id, events, step == 0, step == 4):
            pass
        events = service.store().load(run_id).events
        pids |= {e.message for e in events if isinstance(e, Stage) and e.name == "pid"}
        stored_before.append(len(events))
        if step < 4:
            assert zerogpu.go_on(run_id)
            assert not any(isinstance(e, Finished) for e in events)  # no result before the last stage's call
    assert len(pids) == 4 and str(os.getpid()) not in pids  # each stage's call its own process: only the disk between
    assert durations[1] == host.MIN_CALL_S  # labelling trains nothing; each stage asks for its own plan
    assert durations[2] == zerogpu.duration_s(config, 2) >= durations[3] == zerogpu.duration_s(config, 3)
    assert zerogpu.gpu_plan(config).requested_s == max(durations)
    assert stored_before == sorted(stored_before) and len(set(stored_before)) == 5  # each stage stored as it ended
    snap = service.snapshot(run_id, OWNER)
    assert snap.status == "completed", snap.message
    tables = {e.name for e in snap.events if e.kind == "table"}
    assert {"silver-labels", "comparison"} <= tables
    assert service.has_model(run_id)


def test_a_cancel_between_two_stage_calls_ends_the_run(tiny_config):
    config = tiny_config(recipe="augsbert", loss="cosine")
    run_id = zerogpu.begin(config, OWNER)
    assert zerogpu.go_on(run_id)
    assert service.cancel(run_id, OWNER)
    assert not zerogpu.go_on(run_id)
    assert service.snapshot(run_id, OWNER).status == "cancelled"
