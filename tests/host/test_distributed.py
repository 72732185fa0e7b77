"""`torchrun --nproc_per_node=2 -m lab train …` trains data-parallel on CPU (gloo) with the same outputs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.events import Finished, Log, Started
from lab.store import RunStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_run_shards_the_data_and_writes_one_run(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           "-m", "lab", "train", "--model", "tiny-bert", "--recipe", "nli-triplets", "--loss", "mnrl",
           "--max-train", "64", "--batch-size", "8", "--eval-max-pairs", "30", "--logging-steps", "1", "--json"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "LAB_RUNS_DIR": str(tmp_path / "runs")}
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])  # printed once, by rank 0
    assert summary["status"] == "completed" and result.stdout.count('"run_id"') == 1

    store = RunStore(tmp_path / "runs")
    assert store.run_ids() == [summary["run_id"]]  # the other rank kept nothing
    events = store.read_events(summary["run_id"])
    started = next(e for e in events if isinstance(e, Started))
    # 64 rows, 8 per process per step, 2 processes: 4 steps (one process alone would take 8).
    assert started.total_steps == 4
    assert [e.step for e in events if isinstance(e, Log)] == [1, 2, 3, 4]
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.steps == 4
    assert (Path(summary["model_dir"]) / "model.safetensors").is_file()
