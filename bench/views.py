"""What the teaching views cost: the same run with every view on and with all off, interleaved (on, off, off, on,
…), timed from submit to finished, on the Train tab's default (MiniLM, MNRL) and the tiny-BERT preset. Writes
bench/results/views.{json,md}. Goal (#14): views on ≤ 1.10 × views off.

Usage: .venv/bin/python bench/views.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, save

FORMS = {
    "default (MiniLM, MNRL, 320 triplets)": {},
    "tiny-BERT preset (MNRL from random)": "Training helps: MNRL from random weights (tiny BERT, ~40 s)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["LAB_RUNS_DIR"] = tempfile.mkdtemp(prefix="lab-bench-views-")
    sys.path.insert(0, str(ROOT))
    from lab import service
    from lab.events import View
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    manager = JobManager(RunStore(Path(os.environ["LAB_RUNS_DIR"])))
    rows = []
    try:
        for name, form in FORMS.items():
            if isinstance(form, str):
                form = service.PRESETS[form].form
            # a first run, not counted: the base model's STS-B score goes into the cache for all that follow
            warm = manager.submit(service.build_config({**service.DEFAULT_FORM, **form, "data_source": "offline",
                                                        "views": False}))
            manager.wait(warm, 3600)
            order = [True, False, False, True] * args.repeats
            for views in order[: 2 * args.repeats]:
                config = service.build_config({**service.DEFAULT_FORM, **form, "data_source": "offline",
                                               "views": views})
                t0 = time.perf_counter()
                run_id = manager.submit(config)
                status = manager.wait(run_id, 3600)
                seconds = time.perf_counter() - t0
                snap = manager.snapshot(run_id)
                if status != "completed":
                    raise SystemExit(f"{name}: {status}: {snap.message}")
                n_views = sum(1 for e in snap.events if isinstance(e, View))
                row = {"run": name, "views": views, "seconds": seconds, "view_events": n_views,
                       "after": snap.events[-1].metrics_after["spearman_cosine"]}
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        manager.close()
    lines = ["# Teaching views: cost (`bench/views.py`)", "",
             f"Each run {args.repeats}× with every view on and {args.repeats}× with all off, interleaved, after one "
             "uncounted run that puts the base model's score in the cache; wall time from submit to finished (data, "
             "base evaluation, training, evaluations, save); this machine (2 cores).",
             "", "| run | views on (median s) | views off (median s) | on / off | view events | STS-B after on = off |",
             "|---|---:|---:|---:|---:|---|"]
    for name in FORMS:
        on = [r for r in rows if r["run"] == name and r["views"]]
        off = [r for r in rows if r["run"] == name and not r["views"]]
        m_on, m_off = statistics.median(r["seconds"] for r in on), statistics.median(r["seconds"] for r in off)
        same = len({round(r["after"], 6) for r in on + off}) == 1
        lines.append(f"| {name} | {m_on:.1f} | {m_off:.1f} | {m_on / m_off:.3f} | {on[0]['view_events']} | "
                     f"{'yes' if same else 'no'} |")
    save("views", rows, lines)


if __name__ == "__main__":
    main()
