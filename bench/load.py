"""Load benchmark (not a test): 30 simulated users follow a training job once a second over plain HTTP.

Launches `python app.py` on a free 127.0.0.1 port with a temp run store, trains the same job twice (alone, then
with the users), and writes p50/p95 latency, errors and the training slowdown to bench/results/load.*.
Each user does what a browser tab does every second: GET the change key (`/lab/api/change-key/<job>`), and
when it changed, call the queue=False gradio poll (`/gradio_api/run/poll`, its own session) for the new view.
Plain HTTP, not 30 gradio_client objects, which would be the bottleneck themselves. `--mode gradio` makes
every tick a gradio poll, as the lab did before the change key.

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


async def _user(url: str, run_id: str, mode: str, stop: asyncio.Event, ticks: list[float], polls: list[float],
                errors: list[str]) -> None:
    session = secrets.token_hex(5)  # like a browser tab: its own session, so its `seen` state skips unchanged ticks
    last_key = last_progress = ""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await asyncio.sleep(secrets.randbelow(1000) / 1000)  # tabs don't tick in lockstep
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                endpoint = "poll"
                if mode == "key":  # as the tab's script: the layout key first, else the progress key
                    r = await client.get(f"/lab/api/change-key/{run_id}")
                    if r.status_code != 200:
                        errors.append(f"key {r.status_code}: {r.text[:120]}")
                    keys = r.json() if r.status_code == 200 else {"key": last_key, "progress": last_progress}
                    endpoint = ("poll" if keys["key"] != last_key else
                                "poll_progress" if keys["progress"] != last_progress else None)
                    last_progress = keys["progress"] if endpoint != "poll" else last_progress
                    last_key = keys["key"]
                if endpoint:
                    t1 = time.perf_counter()
                    body = {"data": [run_id, None], "session_hash": session}
                    r = await client.post(f"/gradio_api/run/{endpoint}", json=body)
                    if r.status_code != 200 or "error" in r.json():
                        errors.append(f"{endpoint} {r.status_code}: {r.text[:120]}")
                    polls.append(time.perf_counter() - t1)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                errors.append(type(exc).__name__)
            ticks.append(time.perf_counter() - t0)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))


async def _with_users(url: str, runs_dir: Path, run_id: str, users: int, mode: str):
    ticks: list[float] = []
    polls: list[float] = []
    errors: list[str] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_user(url, run_id, mode, stop, ticks, polls, errors)) for _ in range(users)]
    result = await asyncio.to_thread(_wait_done, runs_dir, run_id)
    stop.set()
    await asyncio.gather(*tasks)
    return result, ticks, polls, errors


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process (and its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def _summary(ticks: list[float], polls: list[float], errors: list[str], loaded: dict, alone_s: float,
             cpu_s: float) -> dict:
    tick_ms, poll_ms = [x * 1000 for x in ticks], [x * 1000 for x in polls]
    slowdown = loaded["train_runtime_s"] / alone_s - 1
    return {
        "ticks": len(tick_ms), "ticks_per_s": round(len(tick_ms) / loaded["wall_s"], 1),
        "tick_p50_ms": round(_pct(tick_ms, 50), 1), "tick_p95_ms": round(_pct(tick_ms, 95), 1),
        "tick_max_ms": round(max(tick_ms), 1) if tick_ms else None,
        "gradio_polls": len(poll_ms), "gradio_polls_per_s": round(len(poll_ms) / loaded["wall_s"], 1),
        "gradio_poll_p50_ms": round(_pct(poll_ms, 50), 1), "gradio_poll_p95_ms": round(_pct(poll_ms, 95), 1),
        "errors": len(errors), "error_samples": errors[:5],
        "train_runtime_s": round(loaded["train_runtime_s"], 2), "wall_s": round(loaded["wall_s"], 2),
        "server_cpu_s": round(cpu_s, 2), "slowdown_pct": round(100 * slowdown, 1),
        "goal_met": {"p95_le_300ms": _pct(tick_ms, 95) <= 300, "slowdown_le_10pct": slowdown <= 0.10,
                     "zero_errors": not errors},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--samples", type=int, default=960)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--modes", default="key,gradio", help="comma list of: key (the lab's tab), gradio (no key)")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m in ("key", "gradio")]
    form = {"model": args.model, "max_train_samples": args.samples, "batch_size": 16, "logging_steps": 2,
            "eval_steps": 20, "eval_max_pairs": 200, "seed": 42}
    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    runs_dir, port = tmp / "runs", _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _launch(runs_dir, port)
    loaded: dict[str, dict] = {}
    alone: list[dict] = []
    try:
        _wait_ready(url)
        _wait_done(runs_dir, _start(url, {**form, "model": "tiny-bert", "max_train_samples": 32}))  # warm imports

        def measure_alone() -> None:
            cpu0 = _server_cpu_s(server.pid)
            alone.append({**_wait_done(runs_dir, _start(url, form)), "cpu_s": _server_cpu_s(server.pid) - cpu0})

        measure_alone()
        for mode in modes:  # alone, each mode, alone again: the baseline brackets the loaded runs
            cpu0 = _server_cpu_s(server.pid)
            done, ticks, polls, errors = asyncio.run(_with_users(url, runs_dir, _start(url, form), args.users, mode))
            loaded[mode] = (done, ticks, polls, errors, _server_cpu_s(server.pid) - cpu0)
        measure_alone()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    alone_s = statistics.mean(a["train_runtime_s"] for a in alone)
    result = {
        "users": args.users, "tick_interval_s": 1.0, "job": form,
        "train_runtime_alone_s": [round(a["train_runtime_s"], 2) for a in alone],
        "server_cpu_alone_s": [round(a["cpu_s"], 2) for a in alone],
        "modes": {mode: _summary(ticks, polls, errors, done, alone_s, cpu)
                  for mode, (done, ticks, polls, errors, cpu) in loaded.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), {platform.python_version()}; "
                   "load generator on the same machine",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "".join(
        f"| {MODE_NAMES[mode]} | {m['ticks_per_s']} | {m['tick_p50_ms']} / {m['tick_p95_ms']} / {m['tick_max_ms']} ms "
        f"| {m['gradio_polls_per_s']} ({m['gradio_poll_p50_ms']} / {m['gradio_poll_p95_ms']} ms) | {m['errors']} "
        f"| {m['train_runtime_s']} s | {m['slowdown_pct']} % | {m['server_cpu_s']} s |\n"
        for mode, m in result["modes"].items())
    (RESULTS / "load.md").write_text(
        f"# Load: {args.users} users following a training job once a second\n\n"
        f"Job: {args.model}, {args.samples} NLI triplets, MNRL, batch 16, loss logged every 2 steps, STS-B eval "
        f"every 20 steps (200 pairs). {result['machine']}.\n\n"
        f"Training alone: {', '.join(f'{a} s' for a in result['train_runtime_alone_s'])} (before and after the "
        f"loaded runs; server CPU {', '.join(f'{c} s' for c in result['server_cpu_alone_s'])}).\n\n"
        "| each tab every second | ticks/s | tick latency p50 / p95 / max | gradio polls/s (p50 / p95) | errors "
        "| training time | slowdown | server CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|\n" + rows +
        "\nGoals: tick p95 ≤ 300 ms, slowdown ≤ 10 %, zero errors. A tick is what a tab does each second: the "
        "change-key GET, plus the gradio poll when the key changed (the gradio row: the gradio poll every time).\n\n"
        f"`python bench/load.py --users {args.users} --samples {args.samples}`, {result['date']}.\n")
    print(json.dumps(result, indent=2))
    return 0


MODE_NAMES = {"key": "change-key GET, gradio poll only on change (the lab)",
              "gradio": "gradio poll (queue=False) every second"}


if __name__ == "__main__":
    sys.exit(main())
