"""Hostile and careless use of the running app, through the paths an attacker uses (gradio_client / raw HTTP):
runs without a valid owner, private runs read by others, the instructor's secret under a guessing attack,
non-finite numbers in whole-number fields. Each case asserts its specific message and that the app still serves."""

from __future__ import annotations

import os

import helpers
import pytest

from lab import service

TINY = {"model": "tiny-bert", "max_train_samples": 32, "batch_size": 16, "logging_steps": 1, "eval_steps": 0,
        "eval_max_pairs": 20}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    os.environ.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", LAB_RUNS_DIR=str(runs),
                      GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp("gradio")), LAB_INSTRUCTOR_SECRET="room-secret-4f9a")
    from lab.ui.app import build_app, launch

    helpers.reset_service()
    demo = build_app()
    url = launch(demo, quiet=True, server_port=None)
    yield url.rstrip("/")
    demo.close()
    os.environ.pop("LAB_INSTRUCTOR_SECRET", None)
    helpers.reset_service()


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app, verbose=False)


def _still_serves(client) -> None:
    board = client.predict([], service.new_owner(), api_name="/runs")[0]
    assert "headers" in board


BAD_OWNERS = [None, "", "   ", "not-an-owner", "0F" * 16, "0f" * 15, "0f" * 17, "g" * 32, "0f" * 16 + "\n",
              "../" + "0" * 29]


@pytest.mark.parametrize("owner", BAD_OWNERS, ids=[repr(o)[:20] for o in BAD_OWNERS])
def test_a_start_without_a_well_formed_owner_is_refused_and_queues_nothing(app, client, owner):
    from gradio_client.exceptions import AppError

    before = len(service.store().run_ids())
    with pytest.raises(AppError, match="no valid browser id"):
        client.predict(job_id=None, owner=owner, **TINY, api_name="/start")
    with pytest.raises(AppError, match="no valid browser id"):
        client.predict(None, owner, [], ["tiny-bert"], ["sts-validation"], True, api_name="/evaluate")
    assert len(service.store().run_ids()) == before and service.manager().active() == []
    _still_serves(client)


def test_the_page_enables_start_only_once_it_has_its_owner_id(app):
    from lab.ui.app import build_app

    config = build_app().config
    buttons = {c["props"].get("elem_id"): c["props"] for c in config["components"] if c.get("type") == "button"}
    assert buttons["start"]["interactive"] is False and buttons["eval-start"]["interactive"] is False


def test_ids_with_a_trailing_newline_are_not_ids():
    """`re.match(r"^…$")` accepts a trailing newline; every id check must take the whole string."""
    from lab.service.access import clean_owner
    from lab.store import valid_run_id
    from lab.upload.saved import upload_meta

    assert clean_owner("0f" * 16 + "\n") == "" and not valid_run_id("0f" * 12 + "\n")
    with pytest.raises(service.ConfigError, match="upload id is not valid"):
        upload_meta("0f" * 12 + "\n")
