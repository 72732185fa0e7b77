"""The run view's learning-rate chart: its builder, its place in the full poll and in the change-key route's
progress answer, and its component in the built app."""

from __future__ import annotations

import json
import threading

import pytest
from helpers import named_view, serve_fake_runs

from lab import charts, service
from lab.config import RunConfig
from lab.events import Finished, Log, Plan, Stage, Started
from lab.ui import routes, run_view
from lab.ui.app import build_app

SCHEDULE = [(1, 5e-5), (2, 1e-4), (3, 7.5e-5), (4, 5e-5)]  # warm-up to 1e-4, then linear decay
gate = threading.Event()


def _logs(stage: str = "") -> list[Log]:
    return [Log(step=s, total_steps=4, loss=1.0, lr=lr, epoch=s / 4, samples_per_s=1.0, stage=stage)
            for s, lr in SCHEDULE]


def test_lr_frame_is_the_schedule_per_stage():
    frame = charts.lr_frame(_logs())
    assert list(frame.columns) == ["step", "lr", "stage"]
    assert list(zip(frame["step"], frame["lr"], strict=True)) == SCHEDULE
    assert set(frame["stage"]) == {charts.PLAIN_STAGE}
    # a pipeline: every stage it plans to train is a category from the first frame (an empty row until then)
    planned = charts.lr_frame([Plan(stages=[], curves=["tsdae", "fine-tune"]), *_logs("tsdae")])
    assert list(dict.fromkeys(planned["stage"])) == ["tsdae", "fine-tune"]
    assert planned[planned["stage"] == "fine-tune"]["lr"].isna().all()


def fake_runner(config, ctx):
    ctx.emit(Started(total_steps=4, train_rows=64, row_counts={"used": 64}, source={}, device="cpu", versions={}))
    ctx.emit(Stage(name="train", message="Training"))
    for log in _logs():
        ctx.emit(log)
    gate.wait(10)
    return Finished(status="completed", metrics_before={}, metrics_after={}, train_samples_per_s=1.0,
                    train_runtime_s=1.0, steps=4, model_dir="")


@pytest.fixture()
def manager(tmp_path, monkeypatch):
    yield from serve_fake_runs(tmp_path, fake_runner, gate, monkeypatch)


def test_a_live_run_shows_its_learning_rate_in_the_poll_and_in_the_route(manager):
    run_id = service.start(RunConfig(model="tiny-bert"), "b" * 32)
    for _ in range(200):
        snap = manager.snapshot(run_id)
        if snap.status == "running" and sum(isinstance(e, Log) for e in snap.events) == len(SCHEDULE):
            break
        threading.Event().wait(0.02)
    view = named_view(run_view.poll(run_id, None))
    plotted = [(row[0], row[1]) for row in view["lr"].value["data"]]
    assert plotted == SCHEDULE and view["lr"].x_lim == [0, 4]
    assert "lr" in run_view.PROGRESS  # new points reach open tabs without a gradio request
    answer = json.loads(routes.answer(run_id, "-"))
    progress = dict(zip(run_view.PROGRESS, answer["view"], strict=True))
    assert [(row[0], row[1]) for row in progress["lr"]["data"]] == SCHEDULE
    gate.set()


def test_the_train_tab_has_the_chart():
    demo = build_app()
    ids = {c.get("props", {}).get("elem_id") for c in demo.config["components"]}
    assert "lr-plot" in ids


def test_a_finished_runs_view_is_built_once_and_its_store_read_once(manager, monkeypatch):
    """A room opening the same finished run: the events file is parsed once, the view built once."""
    run_id = service.start(RunConfig(model="tiny-bert"), "c" * 32)
    gate.set()
    assert manager.wait(run_id, 10) == "completed"
    manager._jobs.pop(run_id)  # as after a restart: the run now lives only in the store
    loads, renders = [], []
    real_load, real_render = manager.store.load, run_view._render
    monkeypatch.setattr(manager.store, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(run_view, "_render", lambda snap: renders.append(snap.run_id) or real_render(snap))
    views = [named_view(run_view.poll(run_id, None)) for _ in range(20)]
    assert len(loads) == 1 and len(renders) == 1
    assert all("Done" in v["status"] for v in views)


def test_a_private_live_runs_points_go_to_its_owner_only(manager):
    """The change-key route hands a run's new points to tabs that send its owner's id (X-Lab-Owner)."""
    import pandas as pd

    from lab.upload.saved import save_upload

    owner, other = "d" * 32, "e" * 32
    upload_id = save_upload(pd.DataFrame({"anchor": ["q1", "q2"], "positive": ["a1", "a2"]}), "pair", "x.csv",
                            owner=owner)
    gate.clear()
    run_id = service.start(RunConfig(model="tiny-bert", recipe="upload-pair", loss="mnrl", upload_id=upload_id),
                           owner)
    for _ in range(200):
        if sum(isinstance(e, Log) for e in manager.snapshot(run_id).events) == len(SCHEDULE):
            break
        threading.Event().wait(0.02)
    assert "view" in json.loads(routes.answer(run_id, "-", owner))
    for stranger in (other, None, ""):
        answer = json.loads(routes.answer(run_id, "-", stranger))
        assert "view" not in answer and set(answer) == {"key", "progress"}
    assert named_view(run_view.poll(run_id, None, other))["status"].startswith("No run yet")
    gate.set()
