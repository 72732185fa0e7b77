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


def test_the_dictionary_bomb_is_refused_over_http_with_bounded_memory(app, client, tmp_path):
    """The reported attack: ~1.4 kB of parquet whose text column is a pandas category of 150,000 copies of one
    10 kB string (1.5 GB decoded). The app says why and its memory hardly moves (it grew ~6 GB before)."""
    import io
    from pathlib import Path

    import pandas as pd
    from gradio_client import handle_file

    frame = pd.DataFrame({"anchor": pd.Categorical(["x" * 10_000] * 150_000), "positive": ["p"] * 150_000})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, compression="zstd")
    bomb = tmp_path / "bomb.parquet"
    bomb.write_bytes(buffer.getvalue())
    del frame

    def peak_mb() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    Path("/proc/self/clear_refs").write_text("5")  # the app runs in this process: reset its peak RSS
    before = peak_mb()
    status = client.predict(handle_file(str(bomb)), "pair", api_name="/read_upload")[-1]
    grew = peak_mb() - before
    print(f"\ndictionary bomb ({bomb.stat().st_size:,} bytes): peak RSS {before:.0f} → {before + grew:.0f} MB")
    assert "unpacks to" in status and grew < 300, (status, grew)
    assert service.uploads.HELD.bytes_held() < 50_000_000
    _still_serves(client)


# --- private means private: a run trained on an upload, read by another browser through every path ------------
ALICE, BOB = "a1" * 16, "b0" * 16


@pytest.fixture()
def private_run(app):
    """Alice's finished run on her upload "secret-file.csv", with curves, metrics and a (stub) model folder."""
    import pandas as pd

    from lab.events import Eval, Finished, Log, Started
    from lab.upload.saved import save_upload

    upload_id = save_upload(pd.DataFrame({"anchor": ["zebra quartz one", "zebra quartz two"],
                                          "positive": ["p1", "p2"]}), "pair", "secret-file.csv", owner=ALICE)
    store, run_id = service.store(), "5e" * 12
    store.create(run_id, {"model": "tiny-bert", "recipe": "upload-pair", "loss": "mnrl", "upload_id": upload_id,
                          "label": "alice's secret experiment"}, owner=ALICE)
    m = {"spearman_cosine": 0.61}
    for event in (Started(total_steps=2, train_rows=2, row_counts={"used": 2},
                          source={"name": "Your upload: secret-file.csv", "origin": "upload"}, device="cpu",
                          versions={}),
                  Eval(step=0, phase="before", metrics={"spearman_cosine": 0.5}), Log(step=1, total_steps=2, loss=0.7,
                  lr=1e-4, epoch=1, samples_per_s=1), Eval(step=2, phase="after", metrics=m),
                  Finished(status="completed", metrics_before={"spearman_cosine": 0.5}, metrics_after=m,
                           train_samples_per_s=1, train_runtime_s=1, steps=2, model_dir="")):
        store.append_event(run_id, event)
    store.write_metrics(run_id, {"metrics_before": {"spearman_cosine": 0.5}, "metrics_after": m, "steps": 2})
    store.update_meta(run_id, status="completed")
    store.release(run_id)
    (store.model_dir(run_id)).mkdir()
    (store.model_dir(run_id) / "modules.json").write_text("[]")
    yield run_id, upload_id
    service.delete_run(run_id, admin=True)


def test_another_browser_sees_a_private_runs_metrics_only(app, client, private_run):
    from gradio_client.exceptions import AppError

    run_id, _ = private_run
    secret = ("secret-file", "alice's secret", "upload-pair")
    # the Train tab's poll of the run's id: nothing
    assert client.predict(job_id=run_id, owner=BOB, api_name="/poll")[0].startswith("No run yet")
    assert "Done" in client.predict(job_id=run_id, owner=ALICE, api_name="/poll")[0]
    # Compare: not among the runs to pick; on the leaderboard with its metrics only
    board, picks, *_ = client.predict([], BOB, api_name="/runs")
    assert run_id not in str(picks) and not any(s in str(board) for s in secret)
    assert run_id[:8] in str(board) and "private upload" in str(board) and "0.61" in str(board)
    assert run_id in str(client.predict([], ALICE, api_name="/runs")[1])
    # its curves, its training script
    assert client.predict([run_id], BOB, api_name="/overlay") == (None, None)
    assert client.predict([run_id], ALICE, api_name="/overlay")[0] is not None
    with pytest.raises(AppError, match="Start a run first"):  # as if there were no such run
        client.predict(run_id, BOB, api_name="/show_code")
    assert "def main" in str(client.predict(run_id, ALICE, api_name="/show_code"))
    # its model: Explore and Evaluate
    for api, args in (("/project", (f"run:{run_id}", "banking77", 100, "pca", BOB)),
                      ("/neighbours", (f"run:{run_id}", "a man", 3, BOB)),
                      ("/similarity", (f"run:{run_id}", "a", "b", BOB)),
                      ("/evaluate", (None, BOB, [f"run:{run_id}"], [], ["sts-validation"], True))):
        # refused by the page's own choices (this browser was never offered the run), or by the service
        with pytest.raises(AppError, match="another person's uploaded file|not in the list of choices"):
            client.predict(*args, api_name=api)
    for call in (lambda: service.explore.projection_figures(f"run:{run_id}", "banking77", 100, "pca", owner=BOB),
                 lambda: service.explore.neighbour_tables(f"run:{run_id}", "a man", 3, BOB),
                 lambda: service.explore.pair_similarity(f"run:{run_id}", "a", "b", BOB),
                 lambda: service.evaluations.start([f"run:{run_id}"], ["sts-validation"], True, owner=BOB)):
        with pytest.raises((service.NotAllowed, service.explore.ExploreError), match="another person's uploaded"):
            call()
    assert service.manager().active() == []
    _still_serves(client)


def test_the_instructor_and_the_owner_may_read_it(app, private_run):
    from lab.ui import compare_tab

    run_id, _ = private_run
    assert service.load_run(run_id, BOB) is None
    assert service.load_run(run_id, ALICE) is not None and service.load_run(run_id, admin=True) is not None
    assert "alice" in str(compare_tab.config_diff(run_id, run_id, False, ALICE))
    assert compare_tab.config_diff(run_id, run_id, False, BOB).empty
    assert service.evaluations.labels_for([f"run:{run_id}"], BOB)[f"run:{run_id}"].endswith("(private)")


def test_deleting_the_run_deletes_its_upload_and_an_owner_may_delete_an_upload(app, private_run):
    import pandas as pd

    from lab.upload.saved import save_upload, upload_meta

    run_id, upload_id = private_run
    with pytest.raises(service.NotAllowed):
        service.delete_run(run_id, BOB)
    assert service.delete_run(run_id, ALICE)
    with pytest.raises(service.ConfigError, match="no longer on the server"):
        upload_meta(upload_id)
    another = save_upload(pd.DataFrame({"anchor": ["q", "r"], "positive": ["a", "b"]}), "pair", "x.csv", owner=ALICE)
    with pytest.raises(service.ConfigError, match="another session"):
        service.delete_my_upload(another, BOB)
    service.delete_my_upload(another, ALICE)
    with pytest.raises(service.ConfigError, match="no longer on the server"):
        upload_meta(another)


@pytest.mark.slow
def test_a_model_trained_on_an_upload_carries_none_of_its_rows(tmp_path, monkeypatch):
    """The saved model card (what a zip or a push takes along) holds no sentence of the private upload."""
    import pandas as pd

    from lab.config import RunConfig
    from lab.jobs.queue import JobManager
    from lab.store import RunStore
    from lab.upload.saved import save_upload

    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path / "runs"))
    rows = pd.DataFrame({"anchor": [f"zebra quartz marmalade {i}" for i in range(24)],
                         "positive": [f"violet tangerine oboe {i}" for i in range(24)]})
    upload_id = save_upload(rows, "pair", "secret.csv", owner=ALICE)
    manager = JobManager(RunStore(tmp_path / "runs"))
    try:
        run_id = manager.submit(RunConfig(model="tiny-bert", recipe="upload-pair", loss="mnrl", upload_id=upload_id,
                                          max_train_samples=24, batch_size=8, eval_max_pairs=20), owner=ALICE)
        assert manager.wait(run_id, 300) == "completed"
        card = (manager.store.model_dir(run_id) / "README.md").read_text(encoding="utf-8")
    finally:
        manager.close()
    assert "zebra" not in card and "violet" not in card and "trained-on-a-private-upload" in card
