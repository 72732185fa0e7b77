"""SIGKILL in the middle of a training, then a restart: finished runs intact, the killed one `interrupted`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.events import Log
from lab.jobs.queue import JobManager
from lab.store import RunStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TINY = ["--model", "tiny-bert", "--recipe", "nli-scores", "--loss", "cosine", "--eval-max-pairs", "30"]


def _cli(runs: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "LAB_RUNS_DIR": str(runs)}
    return subprocess.Popen([sys.executable, "-m", "lab", "train", *TINY, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_sigkill_mid_training_then_restart(tmp_path):
    runs = tmp_path / "runs"
    finished = _cli(runs, "--max-train", "32", "--json")
    out, _ = finished.communicate(timeout=300)
    done_id = json.loads(out.strip().splitlines()[-1])["run_id"]

    victim = _cli(runs, "--max-train", "5000", "--batch-size", "8", "--logging-steps", "1")
    store = RunStore(runs)
    deadline = time.monotonic() + 300
    victim_id = None
    while time.monotonic() < deadline:
        victim_id = next((r for r in store.run_ids() if r != done_id), None)
        if victim_id and sum(isinstance(e, Log) for e in store.read_events(victim_id)) >= 3:
            break
        time.sleep(0.2)
    else:
        victim.kill()
        pytest.fail("the second run never logged")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    logged = sum(isinstance(e, Log) for e in store.read_events(victim_id))

    # Every file in the store is still valid JSON / JSONL after the kill.
    for path in runs.rglob("*.json"):
        json.loads(path.read_text())
    for path in runs.rglob("events.jsonl"):
        lines = path.read_text().splitlines()
        for line in lines[:-1]:
            json.loads(line)

    manager = JobManager(RunStore(runs))  # what a restarted server does first
    try:
        killed = manager.snapshot(victim_id)
        assert killed.status == "interrupted"
        assert sum(isinstance(e, Log) for e in killed.events) >= min(logged, 3)  # the curve up to the kill
        done = manager.snapshot(done_id)
        assert done.status == "completed"
        assert manager.store.read_metrics(done_id)["metrics_after"]
        from sentence_transformers import SentenceTransformer

        assert SentenceTransformer(str(manager.store.model_dir(done_id))).encode(["ok"]).shape == (1, 128)
        assert [r.run_id for r in manager.store.list_runs()] == [victim_id, done_id]
    finally:
        manager.close()


def test_a_failure_while_saving_fails_the_run_and_the_worker_goes_on(tmp_path, tiny_config, monkeypatch):
    from sentence_transformers import SentenceTransformer

    manager = JobManager(RunStore(tmp_path / "runs"))
    try:
        real_save = SentenceTransformer.save

        def full_disk(self, path, *args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(SentenceTransformer, "save", full_disk)
        bad = manager.submit(tiny_config(eval_steps=0))
        assert manager.wait(bad, 300) == "failed"
        assert "No space left on device" in manager.snapshot(bad).message
        monkeypatch.setattr(SentenceTransformer, "save", real_save)
        good = manager.submit(tiny_config(eval_steps=0))
        assert manager.wait(good, 300) == "completed"
    finally:
        manager.close()
