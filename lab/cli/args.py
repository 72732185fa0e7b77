"""The command line's parser (subcommands, argument types, one-line errors instead of usage dumps), and the
run store and model names the commands take."""

from __future__ import annotations

import argparse

from lab.errors import ModelError
from lab.formats import UPLOAD_FORMATS
from lab.host.paths import runs_dir as default_runs_dir
from lab.models import check_model
from lab.store import RunStore, valid_run_id

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
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
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
                   choices=list(UPLOAD_FORMATS), help="the format of --data")
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

    c = sub.add_parser("chapter", help="reproduce the chapter's loss comparison and pretraining table")
    c.add_argument("--size", choices=["cpu", "gpu"], default="cpu",
                   help="cpu: the lab's plain base and bundled NLI, minutes on 2 cores; gpu: bert-base-uncased and "
                        "50k MNLI from the Hub, the chapter's sizes")
    c.add_argument("--seed", type=int, default=42)
    c.add_argument("--runs-dir", default=None)
    c.add_argument("--json", action="store_true", help="end with one JSON object: {size, rows: [...]}")

    sub.add_parser("recipes", help="list data recipes")
    sub.add_parser("losses", help="list losses and the data they take")
    return p


def _store(runs_dir: str | None) -> RunStore:
    return RunStore(runs_dir or default_runs_dir())


def resolve_model(name: str, runs_dir: str | None = None) -> str:
    """A stored run id becomes its model folder; anything else is checked as a model name (local folders too)."""
    if valid_run_id(name):
        store = _store(runs_dir)
        if not store.model_dir(name).is_dir():
            raise ModelError(f"Run {name} has no saved model in {store.root}.")
        name = str(store.model_dir(name))
    check_model(name, allow_local=True)
    return name
