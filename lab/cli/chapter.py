"""`python -m lab chapter`: queue the chapter's comparisons (lab/service/chapter.py) at the size asked for, follow
them on stderr, and print the table beside the chapter's published numbers (with --json, one JSON object last)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

from lab.cli.args import EXIT_RUN_FAILED, CliError, _store
from lab.host.hub import configure_offline, hub_available
from lab.jobs.queue import JobManager
from lab.service import chapter


def cmd_chapter(args: argparse.Namespace) -> int:
    configure_offline()
    if args.size == "gpu" and not hub_available():
        raise CliError("--size gpu trains bert-base-uncased on MNLI from the Hugging Face Hub, which is not "
                       "reachable here; --size cpu runs offline")
    manager = JobManager(_store(args.runs_dir))
    jobs = chapter.submit(manager, args.size, seed=args.seed)  # no owner: the CLI is not held to a room's limit
    ids = [j[k] for j in jobs for k in ("run_id", "eval_id") if j[k]]
    signal.signal(signal.SIGTERM, lambda *_: [manager.cancel(i) for i in ids])
    t0 = time.perf_counter()
    try:
        for job in jobs:
            for key in ("run_id", "eval_id"):
                if job[key]:
                    status = manager.wait(job[key])
                    print(f"{job['row'].name}{' · Banking77' if key == 'eval_id' else ''}: {status} "
                          f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ncancelling…", file=sys.stderr)
        for i in ids:
            manager.cancel(i)
        for i in ids:
            manager.wait(i)
    rows = chapter.table(manager.store, jobs)
    manager.close()
    print(chapter.text_table(rows, args.size))
    print(f"total: {time.perf_counter() - t0:.0f} s")
    if args.json:
        print(json.dumps({"size": args.size, "describe": chapter.SIZE[args.size].describe,
                          "published": chapter.PUBLISHED, "seconds": round(time.perf_counter() - t0, 1),
                          "rows": rows}))
    return 0 if all(r["status"] == "completed" for r in rows) else EXIT_RUN_FAILED
