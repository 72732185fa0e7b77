"""The evaluation cache: the Evaluate tab's default tasks for the bundled MiniLM (STS-B validation and Banking77's
quick subset of 770 test sentences) as an evaluation job, twice in a row on one run store; the second reads the
scores the first computed (same weights, same tasks). Writes bench/results/eval_cache.{json,md}.

Usage: .venv/bin/python bench/eval_cache.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from common import ROOT, save


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["LAB_RUNS_DIR"] = tempfile.mkdtemp(prefix="lab-bench-eval-cache-")
    from lab.host.paths import runs_dir
    from lab.jobs.evaluate import EvalConfig
    from lab.jobs.queue import JobManager
    from lab.service.evaluations import QUICK_BANKING77
    from lab.store import RunStore

    manager = JobManager(RunStore(runs_dir()))
    results = []
    try:
        for attempt in ("first", "again"):
            t0 = time.perf_counter()
            run_id = manager.submit(EvalConfig(models=("all-MiniLM-L6-v2",), tasks=("sts-validation", "banking77"),
                                               max_test=QUICK_BANKING77))
            status = manager.wait(run_id)
            seconds = time.perf_counter() - t0
            rows = [e for e in manager.snapshot(run_id).events if e.kind == "table"][-1].rows
            results.append({"attempt": attempt, "status": status, "seconds": seconds, "rows": rows})
            print(f"{attempt}: {seconds:.1f} s, cached: {[r['cached'] for r in rows]}", flush=True)
    finally:
        manager.close()
    first, again = results
    score = {r["task"]: r.get("spearman_cosine", r.get("accuracy")) for r in first["rows"]}
    lines = [
        "# The evaluation cache: the same weights evaluated twice",
        "",
        f"`python bench/eval_cache.py`, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPU cores. The bundled "
        "all-MiniLM-L6-v2 on the Evaluate tab's defaults (STS-B validation; Banking77 quick, 770 test sentences), "
        "from the job's submission to its end.",
        "",
        "| | time | from the cache |",
        "|---|---:|---|",
        f"| first | {first['seconds']:.1f} s | {', '.join(str(r['cached']) for r in first['rows'])} |",
        f"| again | **{again['seconds']:.1f} s** | {', '.join(str(r['cached']) for r in again['rows'])} |",
        "",
        f"Scores, identical both times: STS-B spearman_cosine {score['sts-validation']:.4f}, Banking77 accuracy "
        f"{score['banking77']:.4f}. A base model, or a finished run, evaluated by anyone on this server is computed "
        "once.",
    ]
    save("eval_cache", results, lines)


if __name__ == "__main__":
    main()
