"""The Train tab's handlers called directly (no server), with a fake runner that emits events instantly."""

from __future__ import annotations

import json
import threading

import gradio as gr
import pytest
from helpers import named_view, serve_fake_runs, train_form_values

from lab import service
from lab.events import Eval, Finished, Log, Stage, Started
from lab.ui import compare_tab, run_view, train_form, train_tab
from lab.ui.app import build_app

M = {f"{s}_{sim}": 0.5 for s in ("pearson", "spearman") for sim in ("cosine", "euclidean", "manhattan", "dot")}
gate = threading.Event()
OWNER = "a" * 32


def fake_runner(config, ctx):
    ctx.emit(Stage(name="data", message="Preparing data"))
    ctx.emit(Eval(step=0, phase="before", metrics=M))
    ctx.emit(Started(total_steps=4, train_rows=64, row_counts={"used": 64, "transformed": 100},
                     source={"name": "NLI", "origin": "bundled", "detail": "x"}, device="cpu", versions={}))
    ctx.emit(Stage(name="train", message="Training"))
    for step in (1, 2):
        ctx.emit(Log(step=step, total_steps=4, loss=3.0 / step, lr=1e-5, epoch=0.5, samples_per_s=10.0))
    gate.wait(10)  # hold the run "running" until the test lets it finish
    ctx.emit(Eval(step=4, phase="after", metrics={**M, "spearman_cosine": 0.6}))
    return Finished(status="cancelled" if ctx.stop.is_set() else "completed", metrics_before=M,
                    metrics_after={**M, "spearman_cosine": 0.6}, train_samples_per_s=10, train_runtime_s=1,
                    steps=4, model_dir=str(ctx.run_dir / "model"))


@pytest.fixture()
def manager(tmp_path, monkeypatch):
    yield from serve_fake_runs(tmp_path, fake_runner, gate, monkeypatch)


def _change_key(run_id: str, progress: str | None = None) -> dict:
    from lab.ui import routes

    return json.loads(routes.answer(run_id, progress))


def _wire(value) -> dict:
    """A value as the browser receives it (JSON: tuples become lists, NaN becomes null)."""
    import orjson

    return json.loads(orjson.dumps(value))


def test_build_app_names_its_endpoints():
    demo = build_app()
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"start", "poll", "cancel", "runs", "overlay", "project", "neighbours", "similarity",
            "export_zip", "show_code", "read_upload", "use_upload", "negatives", "evaluate", "poll_evaluation",
            "cancel_evaluation"} <= names


def test_start_poll_skip_and_finish(manager):
    out = train_tab.start(None, OWNER, **train_form_values())
    run_id = out[0]
    assert isinstance(run_id, str) and len(run_id) == 24
    manager_job = manager.snapshot(run_id)
    assert manager_job is not None
    # Wait until the fake run is held at "running" with two log points.
    for _ in range(100):
        snap = manager.snapshot(run_id)
        if snap.status == "running" and sum(isinstance(e, Log) for e in snap.events) == 2:
            break
        threading.Event().wait(0.05)
    out = run_view.poll(run_id, None)
    view = named_view(out)
    status, loss, evals = view["status"], view["loss"].value, view["evals"].value
    assert "step 2/4" in status
    assert [row[0] for row in loss["data"]] == [1, 2] and evals["data"][0][2] == "before"
    assert view["loss"].x_lim == view["evals"].x_lim == [0, 4]  # a plain run's step axis spans the run from its start
    seen = out[-1]
    again = run_view.poll(run_id, seen)  # nothing changed: every output skipped
    # New points: the change-key route hands a tab whose progress key is behind the status line, the charts and
    # the stage list (JSON built once per run version), the values the full poll sends; none once it caught up.
    answer = _change_key(run_id, progress="-")
    progress = dict(zip(run_view.PROGRESS, answer["view"], strict=True))
    status_p, loss_p, evals_p, stages_p = (progress[k] for k in ("status", "loss", "evals", "stages"))
    assert status_p == status and loss_p == _wire(loss) and evals_p == _wire(evals)
    assert [r[0] for r in loss_p["data"]] == [1, 2] and stages_p == ""
    assert answer["progress"] == service.change_keys(run_id)[1] and answer["key"] == service.change_keys(run_id)[0]
    assert "view" not in _change_key(run_id, progress=answer["progress"])
    assert "view" not in _change_key(run_id)  # a tab that follows no progress (the Evaluate tab) gets keys only
    assert all(isinstance(v, dict) and v.get("__type__") == "update" and len(v) == 1 for v in again[:-1])
    # A second Start while this one runs is refused with a warning, not a second job.
    with pytest.warns(UserWarning):
        refused = train_tab.start(run_id, OWNER, **train_form_values())
    assert refused[0] == gr.skip()
    gate.set()
    manager.wait(run_id, 10)
    out = run_view.poll(run_id, seen)
    done = named_view(out)
    assert "Done" in done["status"]
    # a finished run's last view is the full poll's: the route never hands out its progress
    assert "view" not in _change_key(run_id, progress="-")
    table = done["sts_table"]
    assert table.loc[0, "spearman after"] == 0.6
    timer = out[-2]
    assert timer.active is False


def test_cancel(manager):
    run_id = train_tab.start(None, OWNER, **train_form_values())[0]
    for _ in range(100):
        if manager.snapshot(run_id).status == "running":
            break
        threading.Event().wait(0.05)
    assert "Stopping" in train_tab.cancel(run_id, OWNER)
    gate.set()
    assert manager.wait(run_id, 10) == "cancelled"
    assert "Cancelled" in named_view(run_view.poll(run_id, None))["status"]
    assert train_tab.cancel(run_id, OWNER) == gr.skip()  # nothing left to cancel


def test_bad_input_is_a_gradio_error(manager):
    with pytest.raises(gr.Error, match="Unknown|not a known model"):
        train_tab.start(None, OWNER, **train_form_values(model="no such model!"))
    with pytest.raises(gr.Error, match="batch_size"):
        train_tab.start(None, OWNER, **train_form_values(batch_size=0))
    plan = train_form.plan_preview(OWNER, **train_form_values(batch_size=0))
    assert "batch_size" in plan[0]  # the plan line explains instead of raising


def test_unknown_job_renders_the_empty_state(manager):
    assert "Start" in named_view(run_view.poll("nonexistent", None))["status"]
    assert run_view.poll(None, None)[-2].active is False


def test_compare_handlers(manager):
    ids = []
    for lr in (1e-5, 2e-5):
        run_id = train_tab.start(None, OWNER, **train_form_values(lr=lr))[0]
        gate.set()
        manager.wait(run_id, 10)
        ids.append(run_id)
    table, picked, a, b, mine = compare_tab.runs([], OWNER)
    assert len(table) == 2 and len(mine) == 2 and set(picked.value) == set(ids)
    loss, evals = compare_tab.overlay(ids)
    assert loss["run"].nunique() == 2 and evals["run"].nunique() == 2
    diff = compare_tab.config_diff(ids[0], ids[1], True)
    assert "lr" in diff["setting"].tolist()
    assert "Train" not in str(diff)  # only settings


def test_a_page_load_sets_only_the_defaults_that_differ_from_the_built_form(monkeypatch):
    """The load event must not overwrite what a quick user already changed: with the lab's own defaults it sets
    nothing; with room defaults it sets exactly those fields (and the loss list and knobs a new recipe needs)."""
    monkeypatch.setenv("LAB_HARDWARE", "cpu")
    n_form = len(train_form.FORM_KEYS)
    assert all(v == gr.skip() for v in train_form.on_load())
    service.save_room_defaults({"batch_size": 32, "model": "tiny-bert"})
    out = train_form.on_load()
    set_keys = {k for k, v in zip(train_form.FORM_KEYS, out[:n_form], strict=True) if v != gr.skip()}
    assert set_keys == {"batch_size", "model"} and out[train_form.FORM_KEYS.index("batch_size")] == 32
    assert all(v == gr.skip() for v in out[n_form:])  # same loss and recipe: their knobs stay
    service.save_room_defaults({"recipe": "nli-3class", "loss": "softmax"})
    out = dict(zip(train_form.FORM_KEYS, train_form.on_load()[:n_form], strict=True))
    assert out["recipe"] == "nli-3class" and out["loss"].value == "softmax"
    service.save_room_defaults({})
    # a preset still sets the whole form
    whole = train_form.on_preset(next(iter(service.PRESETS)))
    assert not any(v == gr.skip() for v in whole)
    # no preset (an edit cleared the choice): the form stays as it is, every output skipped
    cleared = train_form.on_preset(None)
    assert len(cleared) == len(whole) and all(v == gr.skip() for v in cleared)


def test_change_key_middleware_answers_its_get_and_hands_on_everything_else(manager):
    import asyncio

    import httpx
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from lab.ui.routes import ChangeKeyRoute

    async def fallback(request):
        return PlainTextResponse("router", status_code=418)

    app = Starlette(routes=[Route("/{rest:path}", fallback, methods=["GET", "POST"])],
                    middleware=[Middleware(ChangeKeyRoute)])
    run_id = "f" * 24  # a well-formed id of no run: its keys do not move during the test

    async def calls():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lab") as client:
            got = {"get": await client.get(f"/lab/api/change-key/{run_id}?progress=-"),
                   "post": await client.post(f"/lab/api/change-key/{run_id}"),
                   "two segments": await client.get(f"/lab/api/change-key/{run_id}/x"),
                   "no id": await client.get("/lab/api/change-key/"),
                   "other path": await client.get("/config")}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, root_path="/space"),
                                     base_url="http://lab") as client:
            got["behind a root path"] = await client.get(f"/space/lab/api/change-key/{run_id}")
        return got

    got = asyncio.run(calls())
    assert got["get"].status_code == 200 and got["get"].headers["cache-control"] == "no-store"
    keys = dict(zip(("key", "progress"), service.change_keys(run_id), strict=True))
    assert got["get"].json() == got["behind a root path"].json() == keys and keys["key"] == f"stored:{run_id}"
    for name in ("post", "two segments", "no id", "other path"):
        assert got[name].status_code == 418, name
