"""A room of 30 on one 2-core server: each participant presses Start on the Train tab's default run at a random
moment within one minute; how long until everyone has a finished result.

Launches `python app.py` on a free port with a fresh run store (the server warms for `--warm` seconds first, as a
room opens the page before the exercise). Each participant is a real gradio client with its own browser id, calling
the Train tab's Start (`/start`) with the form as it loads (the defaults); the app serves identical settings from
one run (lab/service/identical.py), so the room's 30 clicks are one training. Reported: the time from the first
click to the last result, each participant's wait from their click to their finished result, and the trainer's
utilisation (training wall time over that window). Writes bench/results/room.{json,md}. Goal (#15): every
participant has a finished result within 10 minutes.

Usage: .venv/bin/python bench/room.py [--users 30] [--window 60] [--warm 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402
from load import _free_port, _launch, _wait_ready  # noqa: E402 — the same server set-up as the load bench


def _participant(url: str, runs_dir: Path, offset_s: float, t0: float, out: dict) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)  # the page is open before the exercise starts
    time.sleep(max(0.0, t0 + offset_s - time.monotonic()))
    clicked = time.monotonic()
    run_id = client.predict(job_id=None, owner=secrets.token_hex(16), api_name="/start")[0]
    answered = time.monotonic()
    while True:
        try:
            meta = json.loads((runs_dir / run_id / "run.json").read_text())
            if meta.get("status") not in ("queued", "running"):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    out.update(run_id=run_id, status=meta["status"], click_s=clicked - t0, start_answer_s=answered - clicked,
               wait_s=time.monotonic() - clicked, result_s=time.monotonic() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--window", type=float, default=60.0, help="the clicks fall within this many seconds")
    ap.add_argument("--warm", type=float, default=60.0, help="seconds the server runs before the first click")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lab-room-"))
    runs_dir, port = tmp / "runs", _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _launch(runs_dir, port)
    launched = time.monotonic()
    results: list[dict] = [{} for _ in range(args.users)]
    try:
        _wait_ready(url)
        time.sleep(max(0.0, args.warm - (time.monotonic() - launched)))
        rng = random.Random(args.seed)
        offsets = sorted(rng.uniform(0, args.window) for _ in range(args.users))
        t0 = time.monotonic() + 5.0  # the clients connect first
        threads = [threading.Thread(target=_participant, args=(url, runs_dir, o, t0, r))
                   for o, r in zip(offsets, results, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=1800)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    runs = {}
    for run_id in {r["run_id"] for r in results if r}:
        meta = json.loads((runs_dir / run_id / "run.json").read_text())
        runs[run_id] = {"status": meta["status"], "train_wall_s": meta["finished"] - meta["started"]}
    first_click = min(r["click_s"] for r in results)
    last = max(r["result_s"] for r in results) - first_click
    waits = sorted(r["wait_s"] for r in results)
    busy = sum(r["train_wall_s"] for r in runs.values())
    summary = {
        "users": args.users, "window_s": args.window, "warm_s": args.warm, "participants": results, "runs": runs,
        "time_to_last_result_s": last, "wait_p50_s": statistics.median(waits), "wait_max_s": waits[-1],
        "wait_p95_s": waits[int(0.95 * (len(waits) - 1))], "trainings": len(runs),
        "trainer_utilisation": busy / last if last else 0.0, "all_completed": all(
            r["status"] == "completed" for r in results),
        "start_answer_p95_s": sorted(r["start_answer_s"] for r in results)[int(0.95 * (len(results) - 1))],
        "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
    }
    lines = [
        "# A room of 30: the Train tab's default run, started by everyone within a minute",
        "",
        f"`python bench/room.py --users {args.users} --window {args.window:.0f} --warm {args.warm:.0f}`, "
        f"{summary['date']}, {os.cpu_count()} CPU cores (server and clients on the same machine). Each participant: "
        "a gradio client with its own browser id pressing Start on the default form at a random moment of the window.",
        "",
        "| participants | trainings | first click → last result | wait p50 / p95 / max | Start answered (p95) | "
        "trainer busy | all completed |",
        "|---:|---:|---:|---|---:|---:|---|",
        f"| {args.users} | {len(runs)} | **{last:.0f} s** | {summary['wait_p50_s']:.0f} / "
        f"{summary['wait_p95_s']:.0f} / {summary['wait_max_s']:.0f} s | {summary['start_answer_p95_s']:.2f} s | "
        f"{100 * summary['trainer_utilisation']:.0f} % | {summary['all_completed']} |",
        "",
        "Goal: every participant has a finished result within 10 minutes (600 s).",
    ]
    save("room", summary, lines)
    return 0 if summary["all_completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
