"""The command line: `python -m lab train|eval|runs|recipes|losses`. Errors are one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

from lab.config import ConfigError, RunConfig
from lab.models import ModelError

EXIT_USAGE = 2
EXIT_RUN_FAILED = 1


class CliError(Exception):
    pass


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def _nonneg_int(text: str) -> int:
    value = _positive_int(text) if text.strip() not in ("0",) else 0
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None


def _knob(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got '{text}'")
    name, value = text.split("=", 1)
    return name.strip(), value.strip()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, no usage dump
        raise CliError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lab", description="Contrastive Lab: train and evaluate embedding models.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train one model to the end and print STS-B before/after")
    t.add_argument("--model", default="all-MiniLM-L6-v2", help="catalog key, Hub id or a saved model folder")
    t.add_argument("--recipe", default="nli-triplets")
    t.add_argument("--loss", default="mnrl")
    t.add_argument("--max-train", type=_positive_int, default=1000, help="max training rows (after the recipe)")
    t.add_argument("--epochs", type=_float, default=1.0)
    t.add_argument("--batch-size", type=_positive_int, default=32)
    t.add_argument("--lr", type=_float, default=2e-5)
    t.add_argument("--warmup", type=_float, default=0.1, help="warmup as a fraction of the steps")
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--eval-steps", type=_nonneg_int, default=0, help="evaluate STS-B every K steps (0: before/after)")
    t.add_argument("--logging-steps", type=_positive_int, default=5)
    t.add_argument("--eval-split", choices=["validation", "test"], default="validation")
    t.add_argument("--eval-max-pairs", type=_positive_int, default=None)
    t.add_argument("--pooling", choices=["mean", "cls"], default=None)
    t.add_argument("--max-seq-length", type=_positive_int, default=None)
    t.add_argument("--knob", type=_knob, action="append", default=[], help="loss knob NAME=VALUE, e.g. scale=20")
    t.add_argument("--data", default=None, help="train on your own file (CSV, TSV, JSONL or parquet)")
    t.add_argument("--format", dest="data_format", default=None,
                   choices=["pair-class", "pair-score", "triplet", "pair", "single"], help="the format of --data")
    t.add_argument("--columns", default="", help="map file columns to the format, e.g. anchor=question,positive=answer")
    t.add_argument("--recipe-knob", type=_knob, action="append", default=[],
                   help="recipe knob NAME=VALUE, e.g. del_ratio=0.6 (see `python -m lab recipes`)")
    t.add_argument("--matryoshka", default="", help="comma-separated dims, e.g. 384,256,128,64")
    t.add_argument("--data-source", choices=["auto", "offline", "hub"], default="auto")
    t.add_argument("--label", default="")
    t.add_argument("--no-group-by-length", dest="group_by_length", action="store_false",
                   help="random batches (default: batches of similar-length texts, less padding)")
    t.add_argument("--runs-dir", default=None, help="run store directory (default: $LAB_RUNS_DIR or ./runs)")
    t.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    e = sub.add_parser("eval", help="STS-B table for a model")
    e.add_argument("--model", default="all-MiniLM-L6-v2", help="catalog key, Hub id, saved model folder or run id")
    e.add_argument("--split", choices=["validation", "test"], default="validation")
    e.add_argument("--max-pairs", type=_positive_int, default=None)
    e.add_argument("--runs-dir", default=None)
    e.add_argument("--json", action="store_true")

    m = sub.add_parser("mteb", help="MTEB Banking77Classification: accuracy / F1 for a model")
    m.add_argument("--model", default="all-MiniLM-L6-v2", help="catalog key, Hub id, saved model folder or run id")
    m.add_argument("--route", choices=["auto", "hub", "offline"], default="auto",
                   help="hub: the mteb task's own data; offline: the bundled copy, same protocol")
    m.add_argument("--max-test", type=_positive_int, default=None, help="stratified test subset (default: all 3,080)")
    m.add_argument("--runs-dir", default=None)
    m.add_argument("--json", action="store_true")

    r = sub.add_parser("runs", help="list stored runs")
    r.add_argument("--runs-dir", default=None)
    r.add_argument("--json", action="store_true")

    sub.add_parser("recipes", help="list data recipes")
    sub.add_parser("losses", help="list losses and the data they take")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (CliError, ConfigError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _store(runs_dir: str | None):
    from lab.paths import runs_dir as default_runs_dir
    from lab.store import RunStore

    return RunStore(runs_dir or default_runs_dir())


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
    from pathlib import Path

    from lab.losses import check_fit
    from lab.recipes.upload import recipe_for, save_upload
    from lab.upload import display_name, load_upload, max_upload_bytes, parse_mapping

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
    args.upload_id = save_upload(result.rows, args.data_format, display_name(path.name), owner="cli",
                                 notes=tuple(result.notes))


def cmd_train(args: argparse.Namespace) -> int:
    from lab.hub import configure_offline
    from lab.models import check_model

    if args.runs_dir:
        os.environ["LAB_RUNS_DIR"] = args.runs_dir  # uploads live beside the runs
    args.upload_id = ""
    if args.data:
        _upload_from_args(args)
    config = _config_from_args(args)
    configure_offline()
    check_model(config.model, allow_local=True)  # fail fast with a clear message, before any heavy import

    import tempfile

    from lab.distributed import is_main, world_size
    from lab.training.jobs import JobManager

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
        from lab.evaluation.sts import format_table

        print(f"\nSTS-B {config.eval_split} (before → after)")
        print(format_table(summary["metrics_before"], summary["metrics_after"] or None))
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
    from tqdm import tqdm

    from lab.training.events import Log, Stage, Started

    bar, seen, stage = None, 0, ""
    try:
        while True:
            snap = manager.snapshot(run_id)
            for event in snap.events[seen:]:
                if isinstance(event, Stage) and event.name != "train":
                    stage = event.message
                    (bar.write if bar else lambda m: print(m, file=sys.stderr))(f"· {stage}")
                elif isinstance(event, Started):
                    bar = tqdm(total=event.total_steps, desc="train", unit="step", file=sys.stderr, leave=True)
                    src = event.source
                    bar.write(f"· data: {src['name']} ({src['origin']}), {event.row_counts['used']:,} rows used")
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
    from lab.training.events import Failed, Finished, Started

    finished = next((e for e in reversed(snap.events) if isinstance(e, Finished)), None)
    started = next((e for e in snap.events if isinstance(e, Started)), None)
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
        "config": snap.config,
    }


def _eval_of(events, phase: str) -> dict[str, float]:
    from lab.training.events import Eval

    return next((e.metrics for e in events if isinstance(e, Eval) and e.phase == phase), {})


def _describe_source(source: dict) -> str:
    from lab.sources import SourceInfo

    return SourceInfo(**source).describe()


def cmd_eval(args: argparse.Namespace) -> int:
    from lab.hub import configure_offline
    from lab.models import resolve_model

    configure_offline()
    name = resolve_model(args.model, args.runs_dir)

    from lab.evaluation.sts import evaluate_sts, format_table
    from lab.models import load_model

    t0 = time.perf_counter()
    metrics = evaluate_sts(load_model(name, allow_local=True), args.split, args.max_pairs)
    elapsed = time.perf_counter() - t0
    print(f"STS-B {args.split} — {args.model}")
    print(format_table(metrics))
    if args.json:
        print(json.dumps({"model": args.model, "split": args.split, "metrics": metrics, "elapsed_s": elapsed}))
    return 0


def cmd_mteb(args: argparse.Namespace) -> int:
    from lab.evaluation.mteb import TASK_NAME, evaluate_banking77, format_table, resolve_route
    from lab.hub import configure_offline
    from lab.models import load_model, resolve_model

    configure_offline()
    resolve_route(args.route)  # fail fast (e.g. --route hub offline), before loading a model
    if args.max_test is not None and args.max_test < 77:
        raise CliError(f"--max-test: must be at least 77 (one test sentence per intent), got {args.max_test}")
    name = resolve_model(args.model, args.runs_dir)
    result = evaluate_banking77(load_model(name, allow_local=True), route=args.route, max_test=args.max_test)
    print(f"MTEB {TASK_NAME} — {args.model}")
    print(format_table(result, names=[args.model]))
    if args.json:
        print(json.dumps({"model": args.model, **result}))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    store = _store(args.runs_dir)
    rows = []
    for r in store.list_runs():
        metrics = store.read_metrics(r.run_id)
        rows.append(
            {
                "run_id": r.run_id,
                "kind": r.config.get("kind", "training"),
                "status": r.status,
                "created": r.meta.get("created"),
                "model": r.config.get("model") or ", ".join(r.config.get("models", [])),
                "recipe": r.config.get("recipe"),
                "loss": r.config.get("loss"),
                "spearman_cosine_before": metrics.get("metrics_before", {}).get("spearman_cosine"),
                "spearman_cosine_after": metrics.get("metrics_after", {}).get("spearman_cosine"),
            }
        )
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no runs yet")
        return 0

    def score(x: float | None) -> str:
        return f"{x:.4f}" if x is not None else "-"

    print(f"{'run id':<25} {'status':<12} {'model':<20} {'recipe':<14} {'loss':<12} {'before':>7} {'after':>7}")
    for row in rows:
        print(
            f"{row['run_id']:<25} {row['status']:<12} {str(row['model'])[:20]:<20} {str(row['recipe']):<14} "
            f"{str(row['loss']):<12} {score(row['spearman_cosine_before']):>7} {score(row['spearman_cosine_after']):>7}"
        )
    return 0


def cmd_recipes(args: argparse.Namespace) -> int:
    from lab.losses import fitting_losses
    from lab.recipes import RECIPES

    for key, r in RECIPES.items():
        kind = "pipeline" if r.pipeline else r.format_key
        print(f"{key:<18} {kind:<11} columns: {', '.join(r.format.columns)}")
        print(f"{'':<18} {r.description}")
        knobs = ", ".join(f"{k.name}={k.default}" for k in r.knobs)
        print(f"{'':<18} losses: {', '.join(fitting_losses(r.format_key))}" + (f"; knobs: {knobs}" if knobs else ""))
    return 0


def cmd_losses(args: argparse.Namespace) -> int:
    from lab.losses import LOSSES

    for key, s in LOSSES.items():
        knobs = ", ".join(f"{k.name}={k.default}" for k in s.knobs) or "-"
        print(f"{key:<12} takes: {' / '.join(s.formats):<16} knobs: {knobs}")
        print(f"{'':<12} {s.description}")
    return 0


COMMANDS = {
    "train": cmd_train,
    "eval": cmd_eval,
    "mteb": cmd_mteb,
    "runs": cmd_runs,
    "recipes": cmd_recipes,
    "losses": cmd_losses,
}

if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
