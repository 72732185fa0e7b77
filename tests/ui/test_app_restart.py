"""Kill the real server (`python app.py`) with SIGKILL mid-training, start it again: the finished run is listed
intact, the killed one is `interrupted` with its curve up to the last stored event — all checked through the app.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers import alive, client_view

from lab.events import Log
from lab.store import RunStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TINY = {"model": "tiny-bert", "recipe": "nli-triplets", "loss": "mnrl", "batch_size": 8, "logging_steps": 1,
        "eval_steps": 0, "eval_max_pairs": 20}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(runs: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "LAB_RUNS_DIR": str(runs),
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_TEMP_DIR": str(runs.parent / "gradio")}
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=out)


def _ready(url: str, server: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("the server never came up")


def _processes_of(runs: Path) -> list[int]:
    """Live processes started with this run store in their environment: the server, its runs' fork server and
    the run's own process."""
    mark, found = f"LAB_RUNS_DIR={runs}".encode(), []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and mark in (proc / "environ").read_bytes().split(b"\0") and alive(int(proc.name)):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _rows(plot) -> list:
    """A LinePlot's rows, whether the poll sent the value itself or an update carrying it."""
    return (plot.get("value") or plot)["data"] if isinstance(plot, dict) else []


def _poll_until(client, run_id: str, text: str, timeout_s: float = 240):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = client.predict(run_id, api_name="/poll")
        if isinstance(out[0], str) and text in out[0]:
            return out
        time.sleep(0.5)
    pytest.fail(f"never saw {text!r}")


def test_sigkill_the_app_mid_training_then_restart(tmp_path):
    from gradio_client import Client

    runs, port = tmp_path / "runs", _free_port()
    url, log = f"http://127.0.0.1:{port}", tmp_path / "server.log"
    owner = "ab" * 16
    server = _serve(runs, port, log)
    try:
        _ready(url, server)
        client = Client(url, verbose=False)
        done_id = client.predict(job_id=None, owner=owner, **TINY, max_train_samples=32, api_name="/start")[0]
        _poll_until(client, done_id, "Done")
        victim = client.predict(job_id=None, owner=owner, **TINY, max_train_samples=5000, api_name="/start")[0]
        store = RunStore(runs)
        deadline = time.monotonic() + 240
        while sum(isinstance(e, Log) for e in store.read_events(victim)) < 3:
            assert time.monotonic() < deadline, "the second run never logged"
            time.sleep(0.2)
        assert set(_processes_of(runs)) - {server.pid}, "the run trains in its own process"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    deadline = time.monotonic() + 15
    while _processes_of(runs) and time.monotonic() < deadline:  # the run's process (and its fork server) end too
        time.sleep(0.1)
    assert not _processes_of(runs), "processes outlived the killed server"
    logged = [e for e in store.read_events(victim) if isinstance(e, Log)]
    for path in runs.rglob("*.json"):  # nothing half-written
        json.loads(path.read_text())

    server = _serve(runs, port, log)
    try:
        _ready(url, server)
        client = Client(url, verbose=False)
        killed = client.predict(victim, api_name="/poll")
        killed = client_view(killed)
        assert "Interrupted" in killed["status"], killed["status"]
        assert len(_rows(killed["loss"])) >= min(len(logged), 3)  # the loss curve up to the kill
        assert logged[-1].step in [row[0] for row in _rows(killed["loss"])]
        done = client_view(client.predict(done_id, api_name="/poll"))
        assert "Done" in done["status"] and "spearman" in str(done["sts_table"])  # the STS-B table is intact
        board, _, _, _, mine = client.predict([], owner, api_name="/runs")
        assert done_id[:8] in str(board) and victim[:8] not in str(board)  # the board: finished runs only
        assert done_id[:8] in str(mine) and victim[:8] in str(mine) and "interrupted" in str(mine)
        assert (runs / done_id / "model" / "modules.json").is_file()
        # and the restarted server trains again
        again = client.predict(job_id=None, owner=owner, **TINY, max_train_samples=16, api_name="/start")[0]
        _poll_until(client, again, "Done")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
