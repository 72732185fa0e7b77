"""Load benchmark (not a test): 30 simulated users poll a training job once a second over plain HTTP.

Launches `python app.py` on a free 127.0.0.1 port with a temp run store, trains the same job twice (alone, then
with the pollers), and writes p50/p95 poll latency, errors and the training slowdown to bench/results/load.*.
Each user speaks HTTP like a browser tab (the queue=False `/gradio_api/run/poll` endpoint with its own session),
not through 30 gradio_client objects, which would be the bottleneck themselves.

    .venv/bin/python bench/load.py [--users 30] [--samples 320]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(runs_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "LAB_RUNS_DIR": str(runs_dir),
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "TOKENIZERS_PARALLELISM": "false",
           "GRADIO_TEMP_DIR": str(runs_dir.parent / "gradio")}
    return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_ready(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/gradio_api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the app did not come up")


def _start(url: str, form: dict) -> str:
    from gradio_client import Client  # one client for one call is fine; pollers speak HTTP

    client = Client(url, verbose=False)
    return client.predict(job_id=None, owner=secrets.token_hex(16), **form, api_name="/start")[0]


def _wait_done(runs_dir: Path, run_id: str, timeout_s: float = 900) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            meta = json.loads((runs_dir / run_id / "run.json").read_text())
            if meta.get("status") not in ("queued", "running"):
                metrics = json.loads((runs_dir / run_id / "metrics.json").read_text())
                return {"status": meta["status"], "wall_s": meta["finished"] - meta["started"], **metrics}
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"run {run_id} did not finish")


async def _user(url: str, run_id: str, stop: asyncio.Event, latencies: list[float], errors: list[str]) -> None:
    session = secrets.token_hex(5)  # like a browser tab: its own session, so its `seen` state skips unchanged ticks
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await asyncio.sleep(secrets.randbelow(1000) / 1000)  # tabs don't tick in lockstep
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                r = await client.post("/gradio_api/run/poll", json={"data": [run_id, None], "session_hash": session})
                if r.status_code != 200 or "error" in r.json():
                    errors.append(f"{r.status_code}: {r.text[:120]}")
            except (httpx.HTTPError, ValueError) as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))


async def _with_users(url: str, runs_dir: Path, run_id: str, users: int) -> tuple[dict, list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_user(url, run_id, stop, latencies, errors)) for _ in range(users)]
    result = await asyncio.to_thread(_wait_done, runs_dir, run_id)
    stop.set()
    await asyncio.gather(*tasks)
    return result, latencies, errors


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--samples", type=int, default=320)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    args = ap.parse_args()
    form = {"model": args.model, "max_train_samples": args.samples, "batch_size": 16, "logging_steps": 2,
            "eval_steps": 10, "eval_max_pairs": 200, "seed": 42}
    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    runs_dir, port = tmp / "runs", _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _launch(runs_dir, port)
    try:
        _wait_ready(url)
        _wait_done(runs_dir, _start(url, {**form, "model": "tiny-bert", "max_train_samples": 32}))  # warm imports
        alone = _wait_done(runs_dir, _start(url, form))
        loaded, latencies, errors = asyncio.run(_with_users(url, runs_dir, _start(url, form), args.users))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    ms = [x * 1000 for x in latencies]
    slowdown = loaded["train_runtime_s"] / alone["train_runtime_s"] - 1
    result = {
        "users": args.users, "poll_interval_s": 1.0, "job": form, "polls": len(ms), "errors": len(errors),
        "error_samples": errors[:5], "poll_p50_ms": round(_pct(ms, 50), 1), "poll_p95_ms": round(_pct(ms, 95), 1),
        "poll_max_ms": round(max(ms), 1) if ms else None, "polls_per_s": round(len(ms) / loaded["wall_s"], 1),
        "train_runtime_alone_s": round(alone["train_runtime_s"], 2),
        "train_runtime_with_users_s": round(loaded["train_runtime_s"], 2),
        "wall_alone_s": round(alone["wall_s"], 2), "wall_with_users_s": round(loaded["wall_s"], 2),
        "slowdown_pct": round(100 * slowdown, 1),
        "goal_met": {"p95_le_300ms": _pct(ms, 95) <= 300, "slowdown_le_10pct": slowdown <= 0.10,
                     "zero_errors": not errors},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), {platform.python_version()}; "
                   "load generator on the same machine",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "load.md").write_text(
        f"# Load: {args.users} users polling once a second while a job trains\n\n"
        f"Job: {args.model}, {args.samples} NLI triplets, MNRL, batch 16, STS-B eval every 10 steps (200 pairs). "
        "Each user polls `/gradio_api/run/poll` (queue=False) over HTTP with its own session, so unchanged "
        f"ticks are skipped per tab as in a browser; {result['machine']}.\n\n"
        "| measure | value | goal |\n|---|---|---|\n"
        f"| polls (total / per s) | {len(ms)} / {result['polls_per_s']} | |\n"
        f"| poll latency p50 | {result['poll_p50_ms']} ms | |\n"
        f"| poll latency p95 | {result['poll_p95_ms']} ms | ≤ 300 ms |\n"
        f"| poll latency max | {result['poll_max_ms']} ms | |\n"
        f"| errors | {len(errors)} | 0 |\n"
        f"| training time alone → with users | {result['train_runtime_alone_s']} s → "
        f"{result['train_runtime_with_users_s']} s | |\n"
        f"| training slowdown | {result['slowdown_pct']} % | ≤ 10 % |\n\n"
        f"`python bench/load.py --users {args.users} --samples {args.samples}`, {result['date']}.\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
