"""Load benchmark (not a test): 30 simulated users follow a training job once a second over plain HTTP.

Launches `python app.py` on a free 127.0.0.1 port with a temp run store, trains the same job twice (alone, then
with the users), and writes p50/p95 latency, errors and the training slowdown to bench/results/load.*.
Each user does what a browser tab does every second: GET the change keys (`/lab/api/change-key/<job>?progress=…`,
whose answer carries a live run's new points when the tab's progress key is behind), and when the layout key
changed, call the queue=False gradio poll (`/gradio_api/run/poll`, its own session) for the new view. The tabs
are opened (a gradio session each) once, before the first run, as a room opens the page before training starts.
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
from typing import Any

import httpx
import orjson
import uvloop
from common import RESULTS, ROOT


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


class _Http:
    """A minimal keep-alive HTTP/1.1 client: one connection per simulated tab, like a browser's.

    The users run on the same two cores as the server (real users' browsers do not): httpx spent more CPU per
    request than the lab's change-key route itself, so the simulator was a large share of the load it measured.
    For the same reason the simulator runs on uvloop and parses with orjson.
    """

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, payload: dict | None = None) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = orjson.dumps(payload) if payload is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if payload is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            data = b""
            while size := int((await self.reader.readline()).strip(), 16):
                data += (await self.reader.readexactly(size + 2))[:-2]  # each chunk ends with CRLF
            await self.reader.readline()
        else:
            data = await self.reader.readexactly(length)
        return status, orjson.loads(data) if data else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _open_tabs(url: str, users: int) -> list[str]:
    """Open the users' tabs before anything is measured: one gradio session each, made by a first gradio call as
    a page load makes it (gradio copies every stateful component into a new session: tens of ms of server CPU
    once per tab, not per run followed)."""
    sessions = [secrets.token_hex(5) for _ in range(users)]

    async def open_one(session: str) -> None:
        client = _Http(url)
        status, answer = await client.request("POST", "/gradio_api/run/poll",
                                              {"data": [None, None, None], "session_hash": session})
        client.close()
        if status != 200 or "error" in answer:
            raise RuntimeError(f"could not open a tab: {status} {str(answer)[:200]}")

    await asyncio.gather(*(open_one(s) for s in sessions))
    return sessions


async def _user(url: str, session: str, run_id: str, mode: str, stop: asyncio.Event, ticks: list[float],
                polls: list[float], views: list[int], errors: list[str]) -> None:
    """One open tab (its own gradio session, so its `seen` state skips unchanged ticks) following `run_id`."""
    last_key = last_progress = ""
    client = _Http(url)
    await asyncio.sleep(secrets.randbelow(1000) / 1000)  # tabs don't tick in lockstep
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            endpoint = "poll"
            if mode == "key":  # as the tab's script: keys (and new points' values) from the route, gradio on layout
                path = f"/lab/api/change-key/{run_id}?progress={last_progress or '-'}"
                status, keys = await asyncio.wait_for(client.request("GET", path), 10)
                if status != 200:
                    errors.append(f"key {status}: {str(keys)[:120]}")
                    keys = {"key": last_key, "progress": last_progress}
                endpoint = "poll" if keys["key"] != last_key else None
                if "view" in keys and endpoint is None:
                    views.append(1)  # new points taken from the route's answer: no gradio request
                last_key, last_progress = keys["key"], keys["progress"]
            if endpoint:
                t1 = time.perf_counter()
                body = {"data": [run_id, None, None], "session_hash": session}  # job id, seen, owner
                status, answer = await asyncio.wait_for(client.request("POST", f"/gradio_api/run/{endpoint}", body),
                                                        10)
                if status != 200 or "error" in answer:
                    errors.append(f"{endpoint} {status}: {str(answer)[:120]}")
                polls.append(time.perf_counter() - t1)
        except (TimeoutError, OSError, ValueError, KeyError, IndexError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
            client.close()
            client = _Http(url)
        ticks.append(time.perf_counter() - t0)
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))
    client.close()


async def _with_users(url: str, runs_dir: Path, run_id: str, sessions: list[str], mode: str):
    ticks: list[float] = []
    polls: list[float] = []
    views: list[int] = []
    errors: list[str] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_user(url, session, run_id, mode, stop, ticks, polls, views, errors))
             for session in sessions]
    cpu0 = time.process_time()
    result = await asyncio.to_thread(_wait_done, runs_dir, run_id)
    stop.set()
    await asyncio.gather(*tasks)
    return {**result, "users_cpu_s": time.process_time() - cpu0, "views": len(views)}, ticks, polls, errors


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process (and its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def _summary(trials: list[dict]) -> dict:
    """One mode over its repeats: latencies pooled, each repeat's slowdown against the alone runs around it."""
    tick_ms = [x * 1000 for t in trials for x in t["ticks"]]
    poll_ms = [x * 1000 for t in trials for x in t["polls"]]
    errors = [e for t in trials for e in t["errors"]]
    wall = sum(t["wall_s"] for t in trials)
    slowdowns = [100 * (t["train_runtime_s"] / t["alone_s"] - 1) for t in trials]
    median = statistics.median(slowdowns)
    return {
        "repeats": len(trials), "ticks": len(tick_ms), "ticks_per_s": round(len(tick_ms) / wall, 1),
        "tick_p50_ms": round(_pct(tick_ms, 50), 1), "tick_p95_ms": round(_pct(tick_ms, 95), 1),
        "tick_max_ms": round(max(tick_ms), 1) if tick_ms else None,
        "gradio_polls": len(poll_ms), "gradio_polls_per_s": round(len(poll_ms) / wall, 1),
        "route_views_per_s": round(sum(t["views"] for t in trials) / wall, 1),
        "gradio_poll_p50_ms": round(_pct(poll_ms, 50), 1), "gradio_poll_p95_ms": round(_pct(poll_ms, 95), 1),
        "errors": len(errors), "error_samples": errors[:5],
        "train_runtime_s": [round(t["train_runtime_s"], 2) for t in trials],
        "alone_s": [round(t["alone_s"], 2) for t in trials],
        "server_cpu_s": [round(t["cpu_s"], 2) for t in trials],
        "alone_server_cpu_s": [round(t["alone_cpu_s"], 2) for t in trials],
        "users_cpu_s": [round(t["users_cpu_s"], 2) for t in trials],
        "slowdown_pct": [round(x, 1) for x in slowdowns], "slowdown_median_pct": round(median, 1),
        "goal_met": {"p95_le_300ms": _pct(tick_ms, 95) <= 300, "slowdown_le_10pct": median <= 10,
                     "zero_errors": not errors},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--samples", type=int, default=960)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--modes", default="key,gradio", help="comma list of: key (the lab's tab), gradio (no key)")
    ap.add_argument("--repeats", type=int, default=2, help="alone, each mode, … repeated, then alone once more")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m in ("key", "gradio")]
    form = {"model": args.model, "max_train_samples": args.samples, "batch_size": 16, "logging_steps": 2,
            "eval_steps": 20, "eval_max_pairs": 200, "seed": 42}
    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    runs_dir, port = tmp / "runs", _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _launch(runs_dir, port)
    trials: dict[str, list[dict]] = {m: [] for m in modes}
    alone: list[dict] = []
    try:
        _wait_ready(url)
        _wait_done(runs_dir, _start(url, {**form, "model": "tiny-bert", "max_train_samples": 32}))  # warm imports
        sessions = uvloop.run(_open_tabs(url, args.users))  # the room has the page open before runs start

        def measure_alone() -> None:
            cpu0 = _server_cpu_s(server.pid)
            alone.append({**_wait_done(runs_dir, _start(url, form)), "cpu_s": _server_cpu_s(server.pid) - cpu0})

        # alone, each mode, alone, each mode, …, alone: every loaded run is compared with the alone runs around
        # it, since this shared machine's speed drifts by tens of percent over minutes.
        measure_alone()
        for _ in range(args.repeats):
            batch = []
            for mode in modes:
                cpu0 = _server_cpu_s(server.pid)
                done, ticks, polls, errors = uvloop.run(_with_users(url, runs_dir, _start(url, form), sessions,
                                                                     mode))
                batch.append((mode, {"ticks": ticks, "polls": polls, "errors": errors, "cpu_s":
                                     _server_cpu_s(server.pid) - cpu0, **done}))
            measure_alone()  # closes this repeat and opens the next
            around = statistics.mean(a["train_runtime_s"] for a in alone[-2:])
            around_cpu = statistics.mean(a["cpu_s"] for a in alone[-2:])
            for mode, trial in batch:
                trials[mode].append({**trial, "alone_s": around, "alone_cpu_s": around_cpu})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    result = {
        "users": args.users, "tick_interval_s": 1.0, "job": form, "repeats": args.repeats,
        "modes": {mode: _summary(ts) for mode, ts in trials.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), {platform.python_version()}; "
                   "load generator on the same machine",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "".join(
        f"| {MODE_NAMES[mode]} | {m['ticks_per_s']} | {m['tick_p50_ms']} / {m['tick_p95_ms']} / {m['tick_max_ms']} ms "
        f"| {m['gradio_polls_per_s']} ({m['gradio_poll_p50_ms']} / {m['gradio_poll_p95_ms']} ms) "
        f"| {m['route_views_per_s']} | {m['errors']} "
        f"| {' · '.join(f'{a} → {b} s' for a, b in zip(m['alone_s'], m['train_runtime_s'], strict=True))} "
        f"| {' · '.join(f'{x} %' for x in m['slowdown_pct'])} (median **{m['slowdown_median_pct']} %**) "
        f"| {' · '.join(f'{a} → {b} s' for a, b in zip(m['alone_server_cpu_s'], m['server_cpu_s'], strict=True))} "
        f"| {' · '.join(f'{u} s' for u in m['users_cpu_s'])} |\n"
        for mode, m in result["modes"].items())
    # The hand-written reading below the generated table (from READING on) survives a re-run.
    old = (RESULTS / "load.md").read_text() if (RESULTS / "load.md").exists() else ""
    reading = old[old.index(READING):] if READING in old else ""
    (RESULTS / "load.md").write_text(
        f"# Load: {args.users} users following a training job once a second\n\n"
        f"Job: {args.model}, {args.samples} NLI triplets, MNRL, batch 16, loss logged every 2 steps (the form's "
        f"default), STS-B eval every 20 steps (200 pairs). {result['machine']}. Each loaded run is compared with "
        f"the mean of the runs without users just before and after it ({args.repeats} repeats). The tabs are "
        "opened (a gradio session each) once, before the first run.\n\n"
        "| each tab every second | ticks/s | tick latency p50 / p95 / max | gradio polls/s (p50 / p95) "
        "| new points from the route/s | errors | training alone → with users | slowdown "
        "| web server CPU alone → with users | the 30 simulated users' CPU "
        "|\n|---|---:|---:|---:|---:|---:|---|---|---|---|\n" + rows +
        "\nGoals: tick p95 ≤ 300 ms, slowdown ≤ 10 %, zero errors. A tick is what a tab does each second: the "
        "change-key GET (which carries new points when there are some), plus a gradio poll when the layout key "
        "changed (the gradio row: a gradio poll every time). Each run trains in its own process, so the web "
        "server's CPU is the web work alone.\n\n"
        f"`python bench/load.py --users {args.users} --samples {args.samples} --modes {args.modes} "
        f"--repeats {args.repeats}`, "
        f"{result['date']}.\n" + (f"\n{reading}" if reading else ""))
    print(json.dumps(result, indent=2))
    return 0


READING = "## Reading it"
MODE_NAMES = {"key": "change-key GET with new points, gradio poll on layout changes (the lab)",
              "gradio": "gradio poll (queue=False) every second"}


if __name__ == "__main__":
    sys.exit(main())
