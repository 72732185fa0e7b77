"""lab.service (form → config, compatible losses, preview, estimate) and the UI's import rules."""

from __future__ import annotations

import time

import helpers
import pytest

from lab import service
from lab.errors import ConfigError, ModelError
from lab.losses import LOSSES
from lab.recipes import RECIPES
from lab.service import live


def test_loss_choices_only_fit_the_recipe():
    for key, recipe in RECIPES.items():
        offered = [k for _, k in service.loss_choices(key)]
        assert offered and all(recipe.format_key in LOSSES[k].formats for k in offered)
        assert all(" — " in label for label, _ in service.loss_choices(key))  # a description each
    assert service.loss_choices("nope") == []


def test_build_config_from_form_values():
    config = service.build_config(
        {"model": "tiny-bert", "recipe": "nli-triplets", "loss": "mnrl", "max_train_samples": 64.0,
         "batch_size": 16.0, "eval_max_pairs": 0, "pooling": "model default", "matryoshka_dims": "64, 32"},
        {"scale": 25, "margin": 3},  # margin belongs to another loss: ignored
    )
    assert config.max_train_samples == 64 and config.batch_size == 16 and config.eval_max_pairs is None
    assert config.loss_params == {"scale": 25.0} and config.matryoshka_dims == (64, 32) and config.pooling is None


@pytest.mark.parametrize(
    ("form", "error", "text"),
    [
        ({"loss": "softmax"}, ConfigError, "softmax"),
        ({"batch_size": 0}, ConfigError, "batch_size"),
        ({"matryoshka_dims": "a,b"}, ConfigError, "Matryoshka"),
        ({"model": "not a model!"}, ModelError, "not a known model"),
        ({"hub_id": "someone/some-model"}, ModelError, "Hub"),
        ({"lr": 1.5e3}, ConfigError, "lr"),
    ],
)
def test_build_config_errors_are_user_facing(form, error, text, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(error, match=text):
        service.build_config(form)


def test_preview_shows_roles_and_the_rows_the_loss_gets():
    prev = service.preview("nli-triplets", seed=42, max_rows=64, data_source="offline")
    assert list(prev.rows.columns) == ["anchor", "positive", "negative"] and len(prev.rows) == 5
    assert "anchor" in prev.roles and "should be far" in prev.roles
    assert "bundled" in prev.source and prev.available_rows > 64
    from lab.recipes import prepare

    full = prepare("nli-triplets", seed=42, max_rows=64, data_source="offline")
    assert full.rows.head(5).equals(prev.rows)
    scores = service.preview("stsb-scores", seed=1, max_rows=None, data_source="offline")
    assert "score" in scores.rows.columns and "similarity score" in scores.roles


def test_estimate_counts_steps():
    config = service.build_config({"model": "tiny-bert", "max_train_samples": 100, "batch_size": 16, "epochs": 2})
    est = service.estimate(config, available_rows=50)
    assert est["rows"] == 50 and est["steps"] == 2 * 4
    assert 0 < est["first_loss_s"] < est["total_s"]


def test_presets_build_valid_configs():
    for name, preset in service.PRESETS.items():
        config = service.build_config({**service.DEFAULT_FORM, **preset.form})
        assert preset.lesson and preset.shows, name
        assert config.loss in LOSSES, name


def test_warmup_reports_state():
    w = service.Warmup()
    assert "waiting" in w.describe() and not w.all_done()


# --- many users, instructor mode, room defaults, push (a fake runner: no model is trained) ---------------------
class _HeldRunner:
    """Holds each job until released or stopped; the metric comes from the run label ("0.7" → 0.7)."""

    def __init__(self):
        import threading

        self.release = threading.Event()

    def __call__(self, config, ctx):
        import time

        from lab.events import Finished

        while not self.release.is_set() and not ctx.stop.is_set():
            time.sleep(0.01)
        return Finished(status="cancelled" if ctx.stop.is_set() else "completed", metrics_before={},
                        metrics_after={"spearman_cosine": float(config.label or 0.5)}, train_samples_per_s=1.0,
                        train_runtime_s=1.0, steps=1, model_dir="")


@pytest.fixture()
def held(monkeypatch, tmp_path):
    """service.manager() with a held fake runner and the env's limits (3 waiting overall, 1 per session)."""
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    monkeypatch.setenv("LAB_MAX_QUEUE", "3")
    monkeypatch.setenv("LAB_MAX_WAITING_PER_SESSION", "1")
    helpers.reset_service()
    real = service.manager()  # built from the env: check the limits, then swap in the fake runner
    assert (real.max_queue, real.max_waiting_per_owner) == (3, 1)
    real.close()
    runner = _HeldRunner()
    live._manager = JobManager(RunStore(tmp_path / "runs"), runner=runner, max_queue=3, max_waiting_per_owner=1)
    yield runner
    runner.release.set()
    helpers.reset_service()


def _tiny(label: str = ""):
    return service.build_config({"model": "tiny-bert", "label": label})


def _running(run_id):
    """Wait until the worker has taken this run out of the queue (it is held there by the fake runner)."""
    deadline = time.monotonic() + 10
    while service.snapshot(run_id).status != "running":
        assert time.monotonic() < deadline, "the worker never started the run"
        time.sleep(0.01)


def _wait(run_id, status="completed"):
    assert service.manager().wait(run_id, 10) == status


def test_owners_my_runs_queue_places_and_limits(held):
    from lab.errors import NotAllowed, QueueFull

    alice, bob = service.new_owner(), service.new_owner()
    assert alice != bob and service.clean_owner(alice) == alice
    assert service.clean_owner("../x") == service.clean_owner(None) == service.clean_owner(123) == ""
    running = service.start(_tiny("0.6"), alice)
    _running(running)
    waiting = service.start(_tiny("0.7"), bob)
    with pytest.raises(QueueFull, match=r"already have 1 run\(s\) waiting"):
        service.start(_tiny(), bob)
    assert service.manager().wait(running, 0.2) == "running"  # held by the fake runner: still running
    assert [r.run_id for r in service.my_runs(alice)] == [running]
    (mine,) = service.my_runs(bob)
    assert mine.run_id == waiting and mine.status == "queued" and mine.meta["position"] == 1
    assert service.my_runs("") == [] and service.my_runs("not-an-owner") == []
    with pytest.raises(NotAllowed, match="Only the person who started"):
        service.cancel(waiting, alice)
    with pytest.raises(NotAllowed):
        service.cancel(waiting, "")  # no owner never means "anyone"
    assert service.cancel(waiting, bob) and not service.cancel("f" * 24, bob)
    held.release.set()
    _wait(running)


def test_global_queue_limit_message(held):
    from lab.errors import QueueFull

    _running(service.start(_tiny(), service.new_owner()))  # out of the queue: 3 more may wait
    for _ in range(3):
        service.start(_tiny(), service.new_owner())
    with pytest.raises(QueueFull, match=r"queue is full \(3 waiting\)"):
        service.start(_tiny(), service.new_owner())


def test_start_handler_turns_queue_full_into_a_warning(held, monkeypatch):
    from lab.ui import train_form, train_tab

    warnings = []
    monkeypatch.setattr(train_tab.gr, "Warning", lambda message, *a, **k: warnings.append(message))
    owner = service.new_owner()
    values = {k: service.DEFAULT_FORM.get(k) for k in train_form.input_keys()}  # knobs: None, their defaults
    values |= {"model": "tiny-bert", "hub_id": ""}
    first = train_tab.start(None, owner, **values)
    assert len(first[0]) == 24
    _running(first[0])
    same = train_tab.start(None, owner, **values)  # identical settings: the running run is followed, none queued
    assert same[0] == first[0] and same[3].visible is True and not warnings  # with "Train again anyway"
    second = train_tab.start(None, owner, **(values | {"seed": 2}))  # the first runs: this is the 1 waiting
    assert len(second[0]) == 24 and second[0] != first[0] and not warnings
    third = train_tab.start(None, owner, **(values | {"seed": 3}))
    assert warnings == ["You already have 1 run(s) waiting in the queue (limit 1). Wait for it to start, or "
                        "cancel it."]
    assert third == (train_tab.gr.skip(),) * len(third)  # the page keeps following the run it has


def test_leaderboard_sorts_finished_training_runs_and_skips_evaluations(held):
    from lab.jobs.evaluate import EvalConfig

    held.release.set()
    ids = {label: service.start(_tiny(label), service.new_owner()) for label in ("0.3", "0.9", "0.6")}
    for run_id in ids.values():
        _wait(run_id)
    evaluation = service.manager().submit(EvalConfig(models=("tiny-bert",)), owner=service.new_owner())
    service.manager().wait(evaluation, 10)
    board = [r.run_id for r in service.leaderboard()]
    assert board == [ids["0.9"], ids["0.6"], ids["0.3"]] and evaluation not in board


def test_instructor_secret_compare(monkeypatch):
    monkeypatch.delenv("LAB_INSTRUCTOR_SECRET", raising=False)
    assert not service.instructor_enabled() and not service.check_instructor("")
    monkeypatch.setenv("LAB_INSTRUCTOR_SECRET", "s3cret-room")
    assert service.instructor_enabled() and service.check_instructor("s3cret-room")
    for wrong in ("", "s3cret", "s3cret-room!", None, 42, ["s3cret-room"]):
        assert not service.check_instructor(wrong)


def test_admin_handlers_need_the_unlock(held, monkeypatch):
    import gradio as gr

    from lab.ui import admin_tab

    monkeypatch.setenv("LAB_INSTRUCTOR_SECRET", "s3cret-room")
    with pytest.raises(gr.Error, match="not the instructor secret"):
        admin_tab.unlock("guess", False, None)
    unlocked, box, *_ = admin_tab.unlock("s3cret-room", False, None)
    assert unlocked is True and box == ""
    run = service.start(_tiny(), service.new_owner())
    for fn, args in ((admin_tab.admin_cancel, (run,)), (admin_tab.admin_delete, (run,)),
                     (admin_tab.save_defaults, ("{}",)), (admin_tab.admin_runs, ())):
        with pytest.raises(gr.Error, match="Unlock instructor mode first"):
            fn(*args, False)
    assert "Cancel requested" in admin_tab.admin_cancel(run, True)
    _wait(run, "cancelled")
    frame, _, _, _ = admin_tab.admin_runs(True)
    assert run in list(frame["id"])
    assert "Deleted" in admin_tab.admin_delete(run, True) and service.load_run(run) is None


def test_room_defaults_are_validated_saved_atomically_and_applied(monkeypatch):
    monkeypatch.setenv("LAB_HARDWARE", "cpu")
    base = service.form_defaults()
    assert base["batch_size"] == 16 and base["max_train_samples"] == 320
    saved = service.save_room_defaults({"model": "tiny-bert", "batch_size": 32.0, "matryoshka_dims": "32, 64"})
    assert saved == {"model": "tiny-bert", "batch_size": 32, "matryoshka_dims": "64,32"}
    path = service.room_defaults_path()
    assert path.is_file() and not path.with_suffix(".json.tmp").exists()
    assert {**service.form_defaults()}["batch_size"] == 32 and service.form_defaults()["model"] == "tiny-bert"
    for bad, text in (({"batch_size": -1}, "batch_size"), ({"nope": 1}, "Unknown setting"),
                      ({"loss": "softmax"}, "softmax"), ({"lr": "fast"}, "lr must be a number"),
                      ([1, 2], "JSON object"), ({"hub_id": "x/y"}, "Unknown setting")):
        with pytest.raises(ConfigError, match=text):
            service.save_room_defaults(bad)
    assert service.form_defaults()["batch_size"] == 32  # a rejected save leaves the old defaults
    path.write_text("{torn", encoding="utf-8")
    assert service.room_defaults() == {}  # a damaged file never breaks a page load
    service.save_room_defaults({})
    assert service.form_defaults() == base


def test_gpu_profile_defaults(monkeypatch):
    monkeypatch.setattr(service.defaults, "_profile", None)
    monkeypatch.setenv("LAB_HARDWARE", "gpu")
    try:
        d = service.form_defaults()
        assert d["batch_size"] == 32 and d["max_train_samples"] == 50_000 and d["eval_max_pairs"] == 0
        service.build_config(d)  # the GPU defaults are a valid run
    finally:
        service.defaults._profile = None


def test_push_errors_are_messages_and_never_show_the_token(held, monkeypatch):
    from lab.ui import compare_tab

    token = "hf_" + "x" * 30
    assert "Pick a run" in compare_tab.push(None, "me/model", token, True)
    run = service.start(_tiny(), service.new_owner())
    held.release.set()
    _wait(run)
    for repo, tok, text in (("not a repo", token, "your-name/model-name"), ("me/../x", token, "your-name"),
                            ("me/model", "", "token with write access"), ("me/model", token, "no saved model")):
        out = compare_tab.push(run, repo, tok, True)
        assert text in out and token not in out, out


def test_change_key_moves_with_the_job_and_its_queue(held):
    """The layout key a tab polls each second changes exactly when the job's view would: its status, its place
    in the queue and the queue's length."""
    assert service.change_key(None) == service.change_key("../x") == service.change_key("F" * 24) == "none"
    assert service.change_keys("f" * 24) == (f"stored:{'f' * 24}",) * 2  # unknown here: nothing will change
    running = service.start(_tiny("0.6"), service.new_owner())
    _running(running)
    waiting = service.start(_tiny("0.7"), service.new_owner())
    first = service.change_key(waiting)
    assert first == service.change_key(waiting) and first.endswith(":1:1")  # nothing happened: same key
    service.start(_tiny(), service.new_owner())  # someone queues behind: "1 of 2" now
    behind = service.change_key(waiting)
    assert behind != first and behind.endswith(":1:2")
    assert service.change_key(running).count(":") == 1  # running: no queue place in its key
    held.release.set()
    _wait(running)
    _wait(waiting)
    done = service.change_key(waiting)
    assert done != behind and done == service.change_key(waiting)
    assert service.WARMUP.key() == "|".join(service.WARMUP.state.values())


def test_progress_points_move_only_the_progress_key(tmp_path, monkeypatch):
    """A loss or evaluation point or a new stage changes the progress key alone (the tab takes the new status,
    charts and stage list from the change-key route); a table changes both (the full gradio poll renders it)."""
    import threading

    from lab.events import Eval, Finished, Log, Stage, Table
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    steps = [threading.Event() for _ in range(4)]
    done = [threading.Event() for _ in range(4)]

    def runner(config, ctx):
        for gate, ack, event in zip(steps, done, (
                Log(step=1, total_steps=2, loss=1.0, lr=0, epoch=0, samples_per_s=1),
                Eval(step=1, phase="during", metrics={"spearman_cosine": 0.5}),
                Stage(name="save", message="Saving"),
                Table(name="comparison", title="Comparison", rows=[{"model": "a", "score": 1.0}])), strict=True):
            gate.wait(5)
            ctx.emit(event)
            ack.set()
        return Finished(status="completed", metrics_before={}, metrics_after={}, train_samples_per_s=1.0,
                        train_runtime_s=1.0, steps=1, model_dir="")

    helpers.reset_service()
    live._manager = JobManager(RunStore(tmp_path / "runs"), runner=runner)
    try:
        run_id = service.start(_tiny(), service.new_owner())
        for _ in range(100):
            if service.snapshot(run_id).status == "running":
                break
            threading.Event().wait(0.02)
        layout, progress = service.change_keys(run_id)
        either = service.any_change_key(run_id)
        for i, moves_layout in enumerate((False, False, False, True)):
            steps[i].set()
            assert done[i].wait(5)
            new_layout, new_progress = service.change_keys(run_id)
            assert new_progress != progress and (new_layout != layout) == moves_layout, i
            assert service.any_change_key(run_id) != either, i  # what the Evaluate tab follows: every change
            layout, progress, either = new_layout, new_progress, service.any_change_key(run_id)
        service.manager().wait(run_id, 5)
        assert service.change_keys(run_id)[0] != layout  # finishing is a layout change
    finally:
        helpers.reset_service()
