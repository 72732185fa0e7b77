"""Security checks on the launched app: no file access beyond gradio's cache, downloads from per-run temp copies,
private uploads, unguessable job ids, no secret in the page config, and a push token that is never kept.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import helpers
import httpx
import pytest

from lab import service
from lab.errors import ConfigError


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    gradio_tmp = tmp_path_factory.mktemp("gradio")
    os.environ.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", LAB_RUNS_DIR=str(runs),
                      GRADIO_TEMP_DIR=str(gradio_tmp), LAB_INSTRUCTOR_SECRET="room-secret-4f9a")
    from lab.ui.app import build_app, launch

    helpers.reset_service()
    demo = build_app()
    url = launch(demo, quiet=True, server_port=None)
    (runs / "secret.txt").write_text("run store content", encoding="utf-8")
    yield url.rstrip("/"), runs, gradio_tmp
    demo.close()
    os.environ.pop("LAB_INSTRUCTOR_SECRET", None)
    helpers.reset_service()


def test_launch_settings_keep_file_access_closed():
    from lab.ui.app import launch_kwargs

    kwargs = launch_kwargs()
    assert kwargs["allowed_paths"] == [] and kwargs["run_history"] is False and kwargs["ssr_mode"] is False
    assert kwargs["enable_monitoring"] is False and kwargs["max_file_size"]


def test_file_route_cannot_read_the_run_store_or_the_system(app):
    url, runs, _ = app
    targets = [runs / "secret.txt", runs, "/etc/passwd", Path.cwd() / "app.py", Path.cwd() / "README.md",
               f"{runs}/../{runs.name}/secret.txt", "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd"]
    for target in targets:
        r = httpx.get(f"{url}/gradio_api/file={target}", timeout=10)
        assert r.status_code in (403, 404), (target, r.status_code)
        assert "run store content" not in r.text and "root:" not in r.text
    for target in (runs / "secret.txt", "/etc/passwd"):  # refused by gradio's file rules, not merely unrouted
        assert httpx.get(f"{url}/gradio_api/file={target}", timeout=10).status_code == 403


def test_page_config_has_no_instructor_secret_and_no_run_store_path(app):
    url, runs, _ = app
    config = httpx.get(f"{url}/config", timeout=10).text
    assert "room-secret-4f9a" not in config and str(runs) not in config
    assert "Instructor" in config  # the tab exists because the secret is set


def test_downloads_come_from_a_per_export_temp_copy(tmp_path):
    from lab.service.export import zip_model

    model = tmp_path / "runs" / ("a" * 24) / "model"
    model.mkdir(parents=True)
    (model / "modules.json").write_text("[]", encoding="utf-8")
    first, second = zip_model(model, "a" * 24), zip_model(model, "a" * 24)
    assert first.parent != second.parent and first.is_file()
    assert Path(tempfile.gettempdir()) in first.parents and tmp_path not in first.parents


def test_a_session_cannot_use_another_sessions_upload(monkeypatch):
    import pandas as pd

    from lab.upload.saved import check_upload_access, save_upload

    alice, bob = service.new_owner(), service.new_owner()
    rows = pd.DataFrame({"anchor": ["a", "b"], "positive": ["c", "d"]})
    upload_id = save_upload(rows, "pair", "mine.csv", owner=alice)
    assert check_upload_access(upload_id, alice)["name"] == "mine.csv"
    for intruder in (bob, "", "cli"):
        with pytest.raises(ConfigError, match="belongs to another session"):
            check_upload_access(upload_id, intruder)
    from lab.config import RunConfig

    config = RunConfig(model="tiny-bert", recipe="upload-pair", loss="mnrl", upload_id=upload_id)
    monkeypatch.setattr(service.manager(), "submit", lambda *a, **k: pytest.fail("reached the queue"))
    with pytest.raises(ConfigError, match="belongs to another session"):
        service.start(config, bob)  # training on it is refused before it is queued
    with pytest.raises(ConfigError, match="not valid"):
        check_upload_access("../../etc/passwd", alice)


def test_job_and_owner_ids_are_unguessable(app):
    from lab.store import valid_run_id

    owners = {service.new_owner() for _ in range(2000)}
    assert len(owners) == 2000 and all(re.fullmatch(r"[0-9a-f]{32}", o) for o in owners)  # 128 bits each
    manager = service.manager()
    ids = []
    for _ in range(3):
        config = service.build_config({"model": "tiny-bert", "max_train_samples": 16})
        run_id = service.start(config, service.new_owner())
        manager.cancel(run_id, admin=True)
        ids.append(run_id)
    assert len(set(ids)) == 3 and all(valid_run_id(i) for i in ids)  # 96 random bits (secrets.token_hex(12))
    assert len({i[:6] for i in ids}) == 3  # no shared prefix, no counter


def test_someone_elses_run_cannot_be_cancelled_through_the_app(app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, _, _ = app
    alice, mallory = service.new_owner(), service.new_owner()
    client = Client(url, verbose=False)
    tiny = {"model": "tiny-bert", "max_train_samples": 2000, "batch_size": 8, "logging_steps": 1, "eval_steps": 0,
            "eval_max_pairs": 20}
    run_id = client.predict(job_id=None, owner=alice, **tiny, api_name="/start")[0]
    try:
        for intruder in (mallory, None, "", "not-an-owner"):
            with pytest.raises(AppError, match="Only the person who started this run"):
                client.predict(run_id, intruder, api_name="/cancel")
        assert service.is_live(run_id, alice)
        assert "Stopping" in client.predict(run_id, alice, api_name="/cancel") or not service.is_live(run_id, alice)
    finally:
        service.cancel(run_id, admin=True)
        service.manager().wait(run_id, 120)


def test_instructor_unlock_is_per_session_and_needs_the_secret(app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, _, _ = app
    guest, instructor = Client(url, verbose=False), Client(url, verbose=False)
    with pytest.raises(AppError, match="not the instructor secret"):
        guest.predict("guess", api_name="/instructor_unlock")
    with pytest.raises(AppError, match="Unlock instructor mode first"):
        guest.predict(api_name="/admin_runs")
    instructor.predict("room-secret-4f9a", api_name="/instructor_unlock")
    instructor.predict(api_name="/admin_runs")
    out = instructor.predict('{"batch_size": 24}', api_name="/save_room_defaults")
    assert "batch_size=24" in out and service.form_defaults()["batch_size"] == 24
    with pytest.raises(AppError, match="Unlock instructor mode first"):  # still locked for the guest
        guest.predict('{"batch_size": 8}', api_name="/save_room_defaults")
    instructor.predict("{}", api_name="/save_room_defaults")


def test_a_push_token_is_used_for_the_call_and_never_kept(app):
    from gradio_client import Client

    url, runs, gradio_tmp = app
    token = "hf_" + "SECRETTOKEN" * 3
    client = Client(url, verbose=False)
    out = client.predict(None, "me/model", token, True, api_name="/push")
    assert "Not pushed" in out and token not in out
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:  # not one of the Run A choices: gradio refuses it before the handler
        client.predict("f" * 24, "bad repo", token, True, api_name="/push")
    assert token not in str(err.value)
    for root in (runs, gradio_tmp):
        for path in Path(root).rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                assert token.encode() not in path.read_bytes(), path
