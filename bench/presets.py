"""Each Train-tab preset, run as the app runs it, on this machine: does it show its lesson? Writes
bench/results/presets.{json,md}: before/after on the whole STS-B split, the curve's noise band, the loss's first and
last logged values, and the wall time (one run each; repeat with --repeats).

Usage: .venv/bin/python bench/presets.py [--only SUBSTRING] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, save


def measure(manager, name: str, form: dict) -> dict:
    from lab import service
    from lab.charts.curves import base_band
    from lab.events import Log

    config = service.build_config({**service.DEFAULT_FORM, **form, "data_source": "offline"})
    t0 = time.perf_counter()
    run_id = manager.submit(config)
    status = manager.wait(run_id, 3600)
    seconds = time.perf_counter() - t0
    snap = manager.snapshot(run_id)
    if status != "completed":
        raise SystemExit(f"{name}: {status}: {snap.message}")
    finished = snap.events[-1]
    logs = [e.loss for e in snap.events if isinstance(e, Log)]
    row = {
        "preset": name, "model": config.model, "recipe": config.recipe, "loss": config.loss,
        "rows": next(e.train_rows for e in snap.events if e.kind == "started"), "steps": finished.steps,
        "before": finished.metrics_before["spearman_cosine"], "after": finished.metrics_after["spearman_cosine"],
        "curve_band": base_band(snap.events), "loss_first": logs[0], "loss_last": sum(logs[-3:]) / len(logs[-3:]),
        "seconds": seconds,
    }
    row["delta"] = row["after"] - row["before"]
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="presets whose name contains this")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["LAB_RUNS_DIR"] = tempfile.mkdtemp(prefix="lab-bench-presets-")
    sys.path.insert(0, str(ROOT))
    from lab import service
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    manager = JobManager(RunStore(Path(os.environ["LAB_RUNS_DIR"])))
    rows = []
    try:
        for _ in range(args.repeats):
            for name, preset in service.PRESETS.items():
                if args.only.lower() in name.lower():
                    rows.append(measure(manager, name, preset.form))
    finally:
        manager.close()
    lines = ["# Presets, measured (bench/presets.py)", "",
             f"{os.cpu_count()} CPU cores, torch threads: {os.environ.get('OMP_NUM_THREADS', 'all')}; {args.repeats} "
             "run(s) of each (seeded: a repeat gives the same scores); STS-B validation, whole split (1,500 pairs) "
             "before/after; `band`: the live curve's 95 % bootstrap noise on its pairs (500 for tiny BERT, 200 for "
             "MiniLM).", "",
             "| preset | rows | steps | STS-B before | after | Δ | curve band ± | loss first → last | time |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['preset']} | {r['rows']:,} | {r['steps']} | {r['before']:.4f} | {r['after']:.4f} | "
                     f"{r['delta']:+.4f} | {r['curve_band'] or float('nan'):.3f} | {r['loss_first']:.3f} → "
                     f"{r['loss_last']:.3f} | {r['seconds']:.0f} s |")
    save("presets", rows, lines)


if __name__ == "__main__":
    main()
