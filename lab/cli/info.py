"""`python -m lab eval|mteb|runs|recipes|losses`: evaluate a model, list runs, recipes and losses."""

from __future__ import annotations

import argparse
import json
import time

from lab.cli.args import CliError, _store, resolve_model
from lab.evaluation import mteb, sts
from lab.host.hub import configure_offline
from lab.jobs.dispatch import is_pipeline
from lab.losses import LOSSES, fitting_losses
from lab.models import load_model
from lab.recipes import RECIPES


def cmd_eval(args: argparse.Namespace) -> int:
    configure_offline()
    name = resolve_model(args.model, args.runs_dir)

    t0 = time.perf_counter()
    metrics = sts.evaluate_sts(load_model(name, allow_local=True), args.split, args.max_pairs)
    elapsed = time.perf_counter() - t0
    print(f"STS-B {args.split} — {args.model}")
    print(sts.format_table(metrics))
    print(sts.format_geometry(metrics))
    if args.json:
        print(json.dumps({"model": args.model, "split": args.split, "metrics": metrics, "elapsed_s": elapsed}))
    return 0


def cmd_mteb(args: argparse.Namespace) -> int:
    configure_offline()
    mteb.resolve_route(args.route)  # fail fast (e.g. --route hub offline), before loading a model
    if args.max_test is not None and args.max_test < 77:
        raise CliError(f"--max-test: must be at least 77 (one test sentence per intent), got {args.max_test}")
    name = resolve_model(args.model, args.runs_dir)
    result = mteb.evaluate_banking77(load_model(name, allow_local=True), route=args.route, max_test=args.max_test)
    print(f"MTEB {mteb.TASK_NAME} — {args.model}")
    print(mteb.format_table(result, names=[args.model]))
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
    for key, r in RECIPES.items():
        kind = "pipeline" if is_pipeline(key) else r.format_key
        print(f"{key:<18} {kind:<11} columns: {', '.join(r.format.columns)}")
        print(f"{'':<18} {r.description}")
        knobs = ", ".join(f"{k.name}={k.default}" for k in r.knobs)
        print(f"{'':<18} losses: {', '.join(fitting_losses(r.format_key))}" + (f"; knobs: {knobs}" if knobs else ""))
    return 0


def cmd_losses(args: argparse.Namespace) -> int:
    for key, s in LOSSES.items():
        knobs = ", ".join(f"{k.name}={k.default}" for k in s.knobs) or "-"
        print(f"{key:<12} takes: {' / '.join(s.formats):<16} knobs: {knobs}")
        print(f"{'':<12} {s.description}")
    return 0
