"""The app over HTTP with gradio_client: start / poll / cancel a real tiny-bert run through the named endpoints,
as one browser (an owner id) among others: My runs, the leaderboard, owner-only cancel."""

from __future__ import annotations

import time

import pytest
from helpers import client_view

pytestmark = pytest.mark.slow

OWNER = "0f" * 16
TINY = {"model": "tiny-bert", "max_train_samples": 64, "batch_size": 16, "logging_steps": 1, "eval_steps": 2,
        "eval_max_pairs": 20}


def _rows(plot) -> list:
    """A LinePlot's rows, whether the poll sent the value itself or an update carrying it."""
    return (plot.get("value") or plot)["data"] if isinstance(plot, dict) else []


def _poll_until(client, job_id, text, timeout_s=180):
    deadline = time.time() + timeout_s
    last = None
    while time.time() < deadline:
        out = client.predict(job_id, api_name="/poll")
        if isinstance(out[0], str):
            last = out
            if text in out[0]:
                return out
        time.sleep(0.5)
    raise AssertionError(f"never saw {text!r}; last: {last and last[0]}")


def test_start_poll_finish(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    t0 = time.perf_counter()
    out = client.predict(job_id=None, owner=OWNER, **TINY, api_name="/start")
    assert time.perf_counter() - t0 < 5  # Start returns at once
    job_id = out[0]
    started = client_view(out, offset=2)
    assert len(job_id) == 24 and ("Queued" in started["status"] or "Running" in started["status"])
    done = _poll_until(client, job_id, "Done")
    view = client_view(done)
    loss, evals, table = view["loss"], view["evals"], view["sts_table"]
    assert len(_rows(loss)) >= 2 and any("before" in row for row in _rows(evals))
    assert table["headers"][0] == "similarity" and len(table["data"]) == 4
    code = client.predict(job_id, api_name="/show_code")
    assert "SentenceTransformerTrainer" in str(code)
    board, _, _, _, mine = client.predict([], OWNER, api_name="/runs")
    assert job_id[:8] in str(board) and job_id[:8] in str(mine)
    assert job_id[:8] not in str(client.predict([], "1e" * 16, api_name="/runs")[4])  # another browser's list


def test_cancel_a_running_job(url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False)
    job_id = client.predict(job_id=None, owner=OWNER, **{**TINY, "max_train_samples": 2000}, api_name="/start")[0]
    _poll_until(client, job_id, "Training")
    assert "running" in str(client.predict([], OWNER, api_name="/runs")[4])
    with pytest.raises(AppError, match="Only the person who started this run"):
        client.predict(job_id, "1e" * 16, api_name="/cancel")
    assert "Stopping" in client.predict(job_id, OWNER, api_name="/cancel")
    _poll_until(client, job_id, "Cancelled", timeout_s=60)


def test_bad_model_is_an_error_not_a_crash(url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="not a known model"):
        client.predict(job_id=None, owner=OWNER, **{**TINY, "hub_id": "../etc/passwd"}, api_name="/start")
    assert client.predict(None, api_name="/poll")[0].startswith("No run yet")
