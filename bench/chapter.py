"""The chapter's comparisons, measured offline on this machine with small CPU sizes; writes bench/results/chapter.*.

1. random vs mined hard negatives (MNRL, STS-B)      4. domain adaptation with vs without TSDAE (MedQuAD retrieval)
2. Augmented SBERT: gold+silver vs gold only (STS-B)  5. Banking77 (MTEB protocol): base vs an MNRL-trained model
3. TSDAE before/after (STS-B)
Usage: .venv/bin/python bench/chapter.py [--samples 1000] [--only hard,augsbert,tsdae,domain,banking77]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def run(manager, **config) -> tuple[str, object]:
    from lab.config import RunConfig

    t0 = time.perf_counter()
    run_id = manager.submit(RunConfig(model="all-MiniLM-L6-v2", data_source="offline", **config))
    status = manager.wait(run_id)
    snap = manager.snapshot(run_id)
    if status != "completed":
        raise SystemExit(f"{config}: {status}: {snap.message}")
    print(f"  {config.get('recipe')}/{config.get('loss')}: {time.perf_counter() - t0:.0f} s", flush=True)
    return run_id, snap


def tables(snap) -> dict:
    return {e.name: e.rows for e in snap.events if e.kind == "table"}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--only", default="hard,augsbert,tsdae,domain,banking77")
    args = p.parse_args()
    wanted = set(args.only.split(","))
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    out_path = RESULTS / "chapter.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    n = args.samples
    with tempfile.TemporaryDirectory() as runs:
        manager = JobManager(RunStore(runs))
        if "hard" in wanted:
            print("1. random vs mined negatives", flush=True)
            rows = {}
            for recipe in ("nli-triplets", "nli-triplets-hard"):
                _, snap = run(manager, recipe=recipe, loss="mnrl", max_train_samples=n, batch_size=32)
                fin = snap.events[-1]
                rows[recipe] = {"before": fin.metrics_before["spearman_cosine"],
                                "after": fin.metrics_after["spearman_cosine"], "steps": fin.steps}
            results["hard_negatives"] = {"samples": n, "spearman_cosine": rows}
        if "augsbert" in wanted:
            print("2. Augmented SBERT", flush=True)
            _, snap = run(manager, recipe="augsbert", loss="cosine", max_train_samples=n, batch_size=16,
                          recipe_params={"gold_fraction": 0.2})
            results["augsbert"] = {"pairs": n, "gold_fraction": 0.2, **tables(snap)}
        if "tsdae" in wanted:
            print("3. TSDAE", flush=True)
            _, snap = run(manager, recipe="tsdae", loss="tsdae", max_train_samples=n, batch_size=16)
            fin = snap.events[-1]
            results["tsdae"] = {"sentences": n, "before": fin.metrics_before, "after": fin.metrics_after,
                                "samples_per_s": fin.train_samples_per_s}
        if "domain" in wanted:
            print("4. Domain adaptation", flush=True)
            _, snap = run(manager, recipe="domain-adapt", loss="mnrl", max_train_samples=n // 2, batch_size=32,
                          recipe_params={"tsdae_samples": n // 2, "eval_queries": 500})
            results["domain_adaptation"] = {"nli_triplets": n // 2, "tsdae_sentences": n // 2, **tables(snap)}
        if "banking77" in wanted:
            print("5. Banking77", flush=True)
            from lab.evaluation.mteb import evaluate_banking77
            from lab.models import load_model

            run_id, _ = run(manager, recipe="nli-3class", loss="softmax", max_train_samples=n, batch_size=16)
            scores = {}
            for name, path in (("base", "all-MiniLM-L6-v2"), ("softmax-trained", str(manager.store.model_dir(run_id)))):
                r = evaluate_banking77(load_model(path, allow_local=True), route="offline")
                scores[name] = {k: r[k] for k in ("accuracy", "f1", "elapsed_s")}
                print(f"  {name}: accuracy {r['accuracy']:.4f}", flush=True)
            results["banking77"] = {"softmax_train_rows": n, **scores}
        manager.close()
    results["machine"] = {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
