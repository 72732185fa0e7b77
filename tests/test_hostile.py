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


def _raw_call(url: str, api: str, overrides: dict[str, str]) -> str:
    """POST /gradio_api/call/<api> as raw JSON text (so NaN and 1e400 go through, as an attacker sends them) with
    the endpoint's defaults and `overrides` (values as JSON literals); returns the event stream's last message."""
    import json

    import httpx

    info = httpx.get(f"{url}/gradio_api/info", timeout=10).json()["named_endpoints"][f"/{api}"]["parameters"]
    values = [overrides.get(p["parameter_name"], json.dumps(p.get("parameter_default"))) for p in info]
    r = httpx.post(f"{url}/gradio_api/call/{api}", content='{"data": [' + ", ".join(values) + "]}",
                   headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 200, r.text
    stream = httpx.get(f"{url}/gradio_api/call/{api}/{r.json()['event_id']}", timeout=60).text
    return stream.strip().splitlines()[-1]


# Each whole-number field of Start, with the settings under which it is read (a knob counts for its loss/recipe).
WHOLE_FIELDS = {"max_train_samples": {}, "batch_size": {}, "seed": {}, "eval_steps": {}, "logging_steps": {},
                "eval_max_pairs": {}, "max_seq_length": {}, "mini_batch_size": {"loss": '"cached-mnrl"'},
                "recipe_range_max": {"recipe": '"nli-triplets-hard"'}}


@pytest.mark.parametrize("field", list(WHOLE_FIELDS))
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400", "-1e400"])
def test_non_finite_numbers_in_whole_number_fields_get_a_message(app, client, field, literal):
    owner = f'"{service.new_owner()}"'
    last = _raw_call(app, "start", {"owner": owner, "model": '"tiny-bert"', **WHOLE_FIELDS[field], field: literal})
    # our own message, or gradio's range check for -inf ("Value -inf is less than minimum value 1.")
    assert last.startswith('data: {"error": "'), last
    assert any(w in last for w in ("whole number", "finite number", "less than minimum")), last
    assert service.manager().active() == []  # nothing was queued
    _still_serves(client)


@pytest.mark.parametrize("api, field", [("negatives", "anchors"), ("negatives", "seed"), ("project", "size"),
                                        ("neighbours", "k")])
def test_non_finite_numbers_elsewhere_get_a_message(app, client, api, field):
    overrides = {"choice": '"base:tiny-bert"'} if api != "negatives" else {}
    last = _raw_call(app, api, {**overrides, field: "NaN"})
    assert "whole number" in last, last
    _still_serves(client)


def test_a_matryoshka_dimension_larger_than_the_model_is_refused_at_start(app, client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="larger than the embedding of 'tiny-bert' \\(128 dimensions\\)"):
        client.predict(job_id=None, owner=service.new_owner(), **TINY, matryoshka_dims="512,64", api_name="/start")
    assert service.manager().active() == []


def test_the_cli_refuses_a_too_large_matryoshka_dimension(capsys, tmp_path):
    from lab import cli

    assert cli.main(["train", "--model", "tiny-bert", "--matryoshka", "256,64", "--runs-dir", str(tmp_path)]) == 2
    assert "larger than the embedding of 'tiny-bert' (128 dimensions)" in capsys.readouterr().err


def _upload(client, tmp_path, text: str, fmt: str, roles: list[str], owner: str, name: str = "data.csv"):
    """Upload `text` as a file through the app and press "Use this data"; returns (read status, use answer)."""
    from gradio_client import handle_file

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read = client.predict(handle_file(str(path)), fmt, api_name="/read_upload")
    padded = [*roles, *([None] * (3 - len(roles)))]
    return read[-1], client.predict(fmt, *padded, owner, api_name="/use_upload")


def test_a_few_del_characters_do_not_make_a_text_file_binary(app, client, tmp_path):
    rows = "".join(f"question {i}\x7f,answer {i}\n" for i in range(6))
    status, (recipe, upload_id, text) = _upload(client, tmp_path, "anchor,positive\n" + rows, "pair",
                                                ["anchor", "positive"], service.new_owner())
    assert "6 rows" in status and "binary" not in status
    assert recipe["value"] == "upload-pair" and len(upload_id) == 24


def test_labels_that_differ_only_in_case_are_one_class_and_the_page_says_so(app, client, tmp_path):
    labels = ["yes", "YES", "no", "Yes ", "no", "yes"]
    rows = "".join(f"premise {i},hypothesis {i},{lab}\n" for i, lab in enumerate(labels))
    _, (_, upload_id, text) = _upload(client, tmp_path, "premise,hypothesis,label\n" + rows, "pair-class",
                                      ["premise", "hypothesis", "label"], service.new_owner())
    assert "differ only in upper/lower case were merged" in text and "'no' → 0, 'yes' → 1" in text
    from lab.upload.saved import load_saved_upload

    assert sorted(set(load_saved_upload(upload_id)[0]["label"])) == [0, 1]


def test_an_upload_of_identical_rows_is_refused_for_in_batch_negative_losses(app, client, tmp_path):
    from gradio_client.exceptions import AppError

    owner = service.new_owner()
    _, (_, upload_id, text) = _upload(client, tmp_path, "anchor,positive\n" + "same question,same answer\n" * 8,
                                      "pair", ["anchor", "positive"], owner)
    assert "All 8 rows are identical" in text
    with pytest.raises(AppError, match="Every row of this upload is the same, so the 'mnrl' loss"):
        client.predict(job_id=None, owner=owner, **TINY, recipe="upload-pair", loss="mnrl", upload_id=upload_id,
                       api_name="/start")
    assert service.manager().active() == []
    _still_serves(client)


def test_the_cli_refuses_identical_rows_for_mnrl(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "same.csv"
    data.write_text("anchor,positive\n" + "same question,same answer\n" * 8, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "lab", "train", "--model", "tiny-bert", "--data", str(data),
                          "--format", "pair", "--loss", "mnrl", "--runs-dir", str(tmp_path / "runs")],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 2 and "Every row of this upload is the same" in out.stderr, out.stderr


def test_parallel_wrong_secrets_never_lock_out_or_delay_the_instructor(app):
    """Twelve clients guess at once, each past its own limit; the instructor's page unlocks at once all the while,
    and a client over its limit is refused with the time to wait."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client
    from gradio_client.exceptions import AppError

    def guess(i: int) -> list[str]:
        client, answers = Client(app, verbose=False), []
        for j in range(7):
            try:
                client.predict(f"wrong-{i}-{j}", api_name="/instructor_unlock")
            except AppError as exc:
                answers.append(str(exc))
        return answers

    with ThreadPoolExecutor(12) as pool:
        guessers = [pool.submit(guess, i) for i in range(12)]
        time.sleep(0.5)  # the guessing is under way
        t0 = time.perf_counter()
        instructor = Client(app, verbose=False)
        unlocked = instructor.predict("room-secret-4f9a", api_name="/instructor_unlock")
        took = time.perf_counter() - t0
        answers = [g.result() for g in guessers]
    assert "Unlocked" in str(unlocked) and took < 5, took
    for per_client in answers:  # 5 wrong answers, then refused without a comparison, with the wait
        assert sum("not the instructor secret" in a for a in per_client) == 5
        assert sum("Too many wrong secrets from this session: try again in" in a for a in per_client) == 2
