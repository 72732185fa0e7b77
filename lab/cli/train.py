"""`python -m lab train`: build a RunConfig from the arguments (or an uploaded file), run it through the job
queue with a progress bar, print the STS-B table before/after and, with --json, one JSON object last."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from lab.cli.args import EXIT_RUN_FAILED, CliError, _store
from lab.config import RunConfig, check_fit, check_upload_rows
from lab.errors import ConfigError
from lab.evaluation.sts import format_table
from lab.events import Eval, Failed, Finished, Log, Stage, Started, Table
from lab.host.allocator import keep_freed_memory
from lab.host.distributed import is_main, world_size
from lab.host.hub import configure_offline
from lab.jobs.queue import JobManager
from lab.models import check_matryoshka, check_model
from lab.recipes.upload import recipe_for
from lab.sources import SourceInfo
from lab.upload import display_name, load_upload, max_upload_bytes, parse_mapping
from lab.upload.saved import save_upload


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    try:
        dims = tuple(int(d) for d in args.matryoshka.split(",") if d.strip())
    except ValueError:
        raise ConfigError(f"--matryoshka expects comma-separated whole numbers, got '{args.matryoshka}'") from None
    return RunConfig(
        model=args.model,
        recipe=args.recipe,
        loss=args.loss,
        pooling=args.pooling,
        max_seq_length=args.max_seq_length,
        max_train_samples=args.max_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup_ratio=args.warmup,
        seed=args.seed,
        eval_steps=args.eval_steps,
        logging_steps=args.logging_steps,
        eval_split=args.eval_split,
        eval_max_pairs=args.eval_max_pairs,
        loss_params=dict(args.knob),
        recipe_params=dict(args.recipe_knob),
        matryoshka_dims=dims,
        data_source=args.data_source,
        group_by_length=args.group_by_length,
        upload_id=args.upload_id,
        label=args.label,
    )


def _upload_from_args(args: argparse.Namespace) -> None:
    """--data FILE: validate it, keep the checked rows in the store, and train on them like a recipe."""

    if not args.data_format:
        raise CliError("--data needs --format (pair-class, pair-score, triplet, pair or single)")
    path = Path(args.data)
    if not path.is_file():
        raise CliError(f"--data: no such file: {args.data}")
    if path.stat().st_size > max_upload_bytes():
        raise CliError(f"--data: the file is {path.stat().st_size:,} bytes; the limit is {max_upload_bytes():,}")
    args.recipe = recipe_for(args.data_format)
    check_fit(args.recipe, args.loss)
    mapping = parse_mapping(args.columns, args.data_format) if args.columns else None
    result = load_upload(path.read_bytes(), path.name, args.data_format, mapping)
    for note in result.notes:
        print(f"· {note}", file=sys.stderr)
    check_upload_rows(args.loss, result.distinct_rows)
    args.upload_id = save_upload(result.rows, args.data_format, display_name(path.name), owner="cli",
                                 notes=tuple(result.notes))


def cmd_train(args: argparse.Namespace) -> int:
    if args.runs_dir:
        os.environ["LAB_RUNS_DIR"] = args.runs_dir  # uploads live beside the runs
    args.upload_id = ""
    if args.data:
        _upload_from_args(args)
    config = _config_from_args(args)
    configure_offline()
    keep_freed_memory()  # the CLI trains and exits: its memory may stay at its peak (lab/host/allocator.py)
    # fail fast with a clear message, before any heavy import
    check_matryoshka(check_model(config.model, allow_local=True), config.matryoshka_dims)

    # Under torchrun every process trains; only rank 0 keeps a run in the store and prints.
    main_process = is_main()
    store_dir = args.runs_dir if main_process else tempfile.mkdtemp(prefix="lab-rank-")
    manager = JobManager(_store(store_dir))
    run_id = manager.submit(config, owner="cli")
    signal.signal(signal.SIGTERM, lambda *_: manager.cancel(run_id))
    if not main_process:
        manager.wait(run_id)
        return 0 if manager.snapshot(run_id).status == "completed" else EXIT_RUN_FAILED
    where = f" on {world_size()} processes" if world_size() > 1 else ""
    print(f"run {run_id}{where}: {config.model} · {config.recipe} · {config.loss}", file=sys.stderr)
    try:
        _follow(manager, run_id)
    except KeyboardInterrupt:
        print("\ncancelling (Ctrl-C again to abort)…", file=sys.stderr)
        manager.cancel(run_id)
        manager.wait(run_id)
    snap = manager.snapshot(run_id)
    summary = _summary(snap, manager.store.model_dir(run_id))
    if summary["status"] == "completed" or summary["metrics_before"]:

        print(f"\nSTS-B {config.eval_split} (before → after)")
        print(format_table(summary["metrics_before"], summary["metrics_after"] or None))
    for table in summary["tables"].values():
        print(f"\n{_table_text(table)}")
    print(f"\nstatus: {summary['status']}. {snap.message}".rstrip())
    if summary["source"]:
        print(f"data: {summary['source']}")
    if summary["train_samples_per_s"]:
        print(f"throughput: {summary['train_samples_per_s']:.1f} samples/s · model: {summary['model_dir']}")
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["status"] == "completed" else EXIT_RUN_FAILED


def _follow(manager, run_id: str) -> None:
    """Drive a progress bar on stderr from the job's events until it ends."""

    bar, seen, stage = None, 0, ""
    try:
        while True:
            snap = manager.snapshot(run_id)
            for event in snap.events[seen:]:
                if isinstance(event, Stage) and event.name != "train":
                    stage = event.message
                    _say(bar, f"· {stage}")
                elif isinstance(event, Started):
                    if bar is not None:  # a pipeline's next training stage: a bar of its own
                        bar.close()
                    bar = tqdm(total=event.total_steps, desc=event.stage or "train", unit="step", file=sys.stderr,
                               leave=True)
                    _say(bar, _started_line(event))
                elif isinstance(event, Log) and bar is not None:
                    bar.update(event.step - bar.n)
                    bar.set_postfix(loss=f"{event.loss:.4f}", sps=f"{event.samples_per_s:.0f}")
            seen = len(snap.events)
            if snap.status not in ("queued", "running"):
                return
            time.sleep(0.2)
    finally:
        if bar is not None:
            bar.close()


def _summary(snap, model_dir) -> dict[str, Any]:
    finished = next((e for e in reversed(snap.events) if isinstance(e, Finished)), None)
    # A pipeline's first training stage may be a cross-encoder on its own data: the source is the one named.
    started = next((e for e in snap.events if isinstance(e, Started) and e.source), None)
    failed = next((e for e in snap.events if isinstance(e, Failed)), None)
    return {
        "run_id": snap.run_id,
        "status": snap.status,
        "message": failed.message if failed else snap.message,
        "metrics_before": finished.metrics_before if finished else _eval_of(snap.events, "before"),
        "metrics_after": finished.metrics_after if finished else {},
        "train_samples_per_s": finished.train_samples_per_s if finished else 0.0,
        "train_runtime_s": finished.train_runtime_s if finished else 0.0,
        "steps": finished.steps if finished else 0,
        "model_dir": str(model_dir) if finished else "",
        "source": _describe_source(started.source) if started else "",
        "row_counts": started.row_counts if started else {},
        "tables": {e.name: {"title": e.title, "rows": e.rows, "note": e.note}
                   for e in snap.events if isinstance(e, Table)},
        "config": snap.config,
    }


def _say(bar, message: str) -> None:
    """A progress line on stderr (above the bar, if there is one): stdout is kept for the results."""
    if bar is None:
        print(message, file=sys.stderr)
    else:
        bar.write(message, file=sys.stderr)


def _table_text(table: dict) -> str:
    """A pipeline's result table (e.g. Augmented SBERT's comparison) as aligned text."""

    frame = pd.DataFrame(table["rows"])
    body = frame.to_string(index=False, float_format=lambda x: f"{x:.4f}") if len(frame) else "(empty)"
    return "\n".join(part for part in (table["title"], body, table["note"]) if part)


def _started_line(event) -> str:
    counts = ", ".join(f"{n:,} {k}" for k, n in event.row_counts.items())
    if event.source.get("name"):
        return f"· data: {event.source['name']} ({event.source.get('origin', '?')}), rows: {counts}"
    return f"· {event.stage or 'train'} rows: {counts}"


def _eval_of(events, phase: str) -> dict[str, float]:
    return next((e.metrics for e in events if isinstance(e, Eval) and e.phase == phase and not e.subset), {})


def _describe_source(source: dict) -> str:
    return SourceInfo(**source).describe()
