"""Does the lab's pretrained plain base beat random tiny-bert after MNRL, and at which settings? The chapter CPU
preset's MNRL run (bundled NLI triplets, batch 32, whole STS-B validation split), swept over learning rate and
epochs for each base, one run per cell, interleaved base by base. Writes bench/results/plain_vs_random.{json,md}.

Usage: .venv/bin/python bench/plain_vs_random.py [--lrs 2e-4,5e-4,1e-3] [--epochs 2,4]
       [--bases tiny-bert,lab-plain-bert] [--plain-dir FOLDER]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", default="2e-4,5e-4,1e-3")
    parser.add_argument("--epochs", default="2,4")
    parser.add_argument("--bases", default="tiny-bert,lab-plain-bert")
    parser.add_argument("--name", default="plain_vs_random")
    parser.add_argument("--plain-dir", default="", help="another pretraining of lab-plain-bert (pretrain.py --out)")
    args = parser.parse_args()
    if args.plain_dir:
        os.environ["LAB_PLAIN_MODEL_DIR"] = args.plain_dir
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["LAB_RUNS_DIR"] = tempfile.mkdtemp(prefix="lab-bench-plain-")
    sys.path.insert(0, str(ROOT))
    from lab.config import RunConfig
    from lab.jobs.queue import JobManager
    from lab.service.chapter import SIZE
    from lab.store import RunStore

    manager = JobManager(RunStore(Path(os.environ["LAB_RUNS_DIR"])))
    rows = []
    try:
        for epochs in [float(e) for e in args.epochs.split(",")]:
            for lr in [float(x) for x in args.lrs.split(",")]:
                for base in args.bases.split(","):
                    settings = {**SIZE["cpu"].common, "epochs": epochs, "lr": lr}
                    config = RunConfig(model=base, recipe="nli-triplets", loss="mnrl", seed=42, eval_steps=0,
                                       logging_steps=20, **settings)
                    t0 = time.perf_counter()
                    run_id = manager.submit(config)
                    status = manager.wait(run_id, 3600)
                    snap = manager.snapshot(run_id)
                    if status != "completed":
                        raise SystemExit(f"{base} lr {lr} epochs {epochs}: {status}: {snap.message}")
                    fin = snap.events[-1]
                    row = {"base": base, "lr": lr, "epochs": epochs, "steps": fin.steps,
                           "before": fin.metrics_before["spearman_cosine"],
                           "after": fin.metrics_after["spearman_cosine"], "seconds": time.perf_counter() - t0}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    finally:
        manager.close()
    bases = args.bases.split(",")
    lines = [f"# MNRL after, by base, learning rate and epochs (`bench/{Path(__file__).name}`)", "",
             "Bundled NLI triplets (6,804), batch 32, seed 42; STS-B validation spearman_cosine on the whole split; "
             "one run per cell on this machine (2 cores).", "",
             "| epochs | lr | " + " | ".join(bases) + " | difference |", "|---:|---:|" + "---:|" * (len(bases) + 1)]
    for epochs in sorted({r["epochs"] for r in rows}):
        for lr in sorted({r["lr"] for r in rows}):
            cell = {r["base"]: r for r in rows if r["epochs"] == epochs and r["lr"] == lr}
            if len(cell) != len(bases):
                continue
            after = [cell[b]["after"] for b in bases]
            lines.append(f"| {epochs:g} | {lr:g} | " + " | ".join(f"{a:.3f} ({cell[b]['seconds']:.0f} s)"
                         for a, b in zip(after, bases, strict=True)) + f" | {after[-1] - after[0]:+.3f} |")
    save(f"{args.name}", rows, lines)


if __name__ == "__main__":
    main()
