""""Reproduce the chapter": its loss comparison and its pretraining table, queued as ordinary runs at a size that
fits the hardware, and one table of the lab's numbers beside the chapter's published ones.

The chapter (T4 GPU, bert-base-uncased + mean pooling, 50k MNLI train pairs, 1 epoch, batch 32) reports STS-B
validation spearman_cosine: Softmax 0.451, Cosine 0.725, MNRL 0.811; all-MiniLM-L6-v2 0.867 pretrained and 0.848
after the same MNRL fine-tuning. Used by `python -m lab chapter` and the app's preset; no gradio, no torch.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.config import RunConfig
from lab.events import Finished, Started, Table
from lab.host.paths import cache_dir
from lab.jobs.evaluate import EvalConfig
from lab.service.live import manager, store
from lab.store import RunStore

PUBLISHED = "the chapter: T4 GPU, bert-base-uncased, 50,000 MNLI train pairs, 1 epoch, batch 32"
SIZES = ("cpu", "gpu")


@dataclass(frozen=True)
class Comparison:
    """One row of the table: a run's settings and the chapter's number for it (None: the chapter has none)."""

    name: str
    model: str
    recipe: str
    loss: str
    chapter_value: float | None
    settings: dict[str, Any] = field(default_factory=dict)  # beyond the size's common settings
    banking77: bool = False  # also score the trained model on MTEB Banking77 (the chapter's Softmax model)


@dataclass(frozen=True)
class Size:
    plain: str  # the plain pretrained base
    describe: str
    common: dict[str, Any]  # settings of every from-scratch run
    finetune: dict[str, Any]  # MiniLM's fine-tuning: a fine-tuning rate, and the rows that fit the same time
    banking77_max_test: int | None
    caveat: str = ""  # what this size cannot show, measured


SIZE: dict[str, Size] = {
    # 2 CPU cores, offline: the plain BERT the lab pretrained (tiny-bert's shape), the bundled NLI (19,646 pairs,
    # 6,804 triplets), 2 epochs at a small model's rate; each run a few minutes.
    "cpu": Size("lab-plain-bert", "CPU: lab-plain-bert (4.4M params, MLM-pretrained by the lab), bundled NLI "
                "(MNLI + SNLI validation), 2 epochs, batch 32, lr 1e-3",
                {"epochs": 2.0, "batch_size": 32, "lr": 1e-3, "max_train_samples": None, "data_source": "offline"},
                {"epochs": 1.0, "lr": 2e-5, "max_train_samples": 1024}, 770,
                "at this size pretraining does not pay: the lab's 4.4M-parameter base ends level with random weights "
                "after MNRL (more MLM steps moved it +0.003 per doubling: bench/results/pretrain.md); the GPU size "
                "shows the chapter's gap"),
    # A GPU with the Hub: the chapter's own sizes.
    "gpu": Size("bert-base-uncased", "GPU: bert-base-uncased, 50,000 MNLI train pairs from the Hub, 1 epoch, batch "
                "32, lr 2e-5 (the chapter's)",
                {"epochs": 1.0, "batch_size": 32, "lr": 2e-5, "max_train_samples": 50_000, "data_source": "hub"},
                {}, None),
}


def comparisons(size: str) -> list[Comparison]:
    plain = SIZE[size].plain
    return [
        Comparison("Softmax (NLI 3 classes)", plain, "nli-3class", "softmax", 0.451, banking77=True),
        Comparison("Cosine (entailment → 1)", plain, "nli-scores", "cosine", 0.725),
        Comparison("MNRL (entailment triplets)", plain, "nli-triplets", "mnrl", 0.811),
        Comparison("MNRL from random weights", "tiny-bert", "nli-triplets", "mnrl", None),
        Comparison("MNRL fine-tuning a trained embedder", "all-MiniLM-L6-v2", "nli-triplets", "mnrl", 0.848,
                   SIZE[size].finetune),
    ]


def configs(size: str, seed: int = 42) -> list[tuple[Comparison, RunConfig]]:
    """The size's runs, in the order they queue; every one evaluates on the whole STS-B validation split."""
    if size not in SIZE:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    out = []
    for row in comparisons(size):
        settings = {**SIZE[size].common, **row.settings}
        out.append((row, RunConfig(model=row.model, recipe=row.recipe, loss=row.loss, seed=seed, eval_steps=0,
                                   logging_steps=20, label=f"chapter · {row.name}", **settings)))
    return out


def submit(manager, size: str, seed: int = 42, owner: str = "") -> list[dict[str, Any]]:
    """Queue the size's runs (and the Banking77 evaluation after the Softmax run): [{row, run_id, eval_id}]."""
    jobs = []
    for row, config in configs(size, seed):
        run_id = manager.submit(config, owner=owner)
        eval_id = ""
        if row.banking77:
            eval_id = manager.submit(EvalConfig(models=(f"run:{run_id}",), tasks=("banking77",),
                                                max_test=SIZE[size].banking77_max_test,
                                                label=f"chapter · Banking77 of {row.name}"), owner=owner)
        jobs.append({"row": row, "run_id": run_id, "eval_id": eval_id})
    return jobs


def table(store: RunStore, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One object per comparison: name, loss, model, spearman_cosine before/after, chapter_value, seconds, status
    (and banking77_accuracy for the Softmax model)."""
    rows = []
    for job in jobs:
        row: Comparison = job["row"]
        record = store.load(job["run_id"])
        events = record.events if record else []
        finished = next((e for e in reversed(events) if isinstance(e, Finished)), None)
        started = next((e for e in events if isinstance(e, Started)), None)
        out = {
            "name": row.name, "loss": row.loss, "model": row.model,
            "spearman_cosine_before": (finished.metrics_before or {}).get("spearman_cosine") if finished else None,
            "spearman_cosine_after": (finished.metrics_after or {}).get("spearman_cosine") if finished else None,
            "chapter_value": row.chapter_value,
            "seconds": round(finished.t - events[0].t, 1) if finished and events else None,
            "train_rows": started.train_rows if started else None,
            "status": record.status if record else "missing",
            "run_id": job["run_id"],
        }
        if job["eval_id"]:
            out["banking77_accuracy"] = _banking77(store, job["eval_id"])
        rows.append(out)
    return rows


def _banking77(store: RunStore, eval_id: str) -> float | None:
    """The evaluation job's Banking77 accuracy (its last result table); None until it has one."""
    record = store.load(eval_id)
    tables = [e for e in (record.events if record else []) if isinstance(e, Table) and e.name == "evaluation"]
    found = [r["accuracy"] for r in (tables[-1].rows if tables else []) if r.get("task") == "banking77"]
    return float(found[0]) if found else None


def text_table(rows: list[dict[str, Any]], size: str) -> str:
    """The table as fixed-width text, with the sizes and hardware of both sides."""
    def num(v):
        return f"{v:.3f}" if isinstance(v, float) else "—"

    lines = [f"{'comparison':<37} {'model':<17} {'before':>7} {'after':>7} {'chapter':>8} {'time':>7}"]
    for r in rows:
        took = f"{r['seconds']:.0f} s" if r["seconds"] is not None else r["status"]
        lines.append(f"{r['name']:<37} {r['model']:<17} {num(r['spearman_cosine_before']):>7} "
                     f"{num(r['spearman_cosine_after']):>7} {num(r['chapter_value']):>8} {took:>7}")
        if "banking77_accuracy" in r:
            lines.append(f"{'  Banking77 accuracy of that model':<37} {'':<17} {'':>7} "
                         f"{num(r['banking77_accuracy']):>7}")
    lines += ["", f"the lab: {SIZE[size].describe}", PUBLISHED + "; MiniLM 0.867 pretrained, 0.848 fine-tuned",
              "STS-B validation spearman_cosine, whole split (1,500 pairs)."]
    if SIZE[size].caveat:
        lines += textwrap.wrap(f"note: {SIZE[size].caveat}.", width=110, subsequent_indent="      ")
    return "\n".join(lines)


# --- the app: one shared reproduction per server (a workshop's instructor starts it, the room watches it) ---------
_SET_FILE = "chapter.json"
_MAX_SET_BYTES = 16_384


def _set_path() -> Path:
    return cache_dir() / _SET_FILE


def _saved_set() -> dict[str, Any] | None:
    path = _set_path()
    try:
        if path.stat().st_size > _MAX_SET_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {row.name: row for row in comparisons(data["size"])}
        jobs = [{"row": names[j["name"]], "run_id": str(j["run_id"]), "eval_id": str(j.get("eval_id") or "")}
                for j in data["jobs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"size": data["size"], "jobs": jobs}


def start_in_app(size: str = "cpu") -> dict[str, Any]:
    """Queue the chapter's runs for everyone to watch, unless a set is still queued or running (then that one)."""
    current = _saved_set()
    if current is not None:
        live = [manager().snapshot(j[k]) for j in current["jobs"] for k in ("run_id", "eval_id") if j[k]]
        if any(s is not None and s.status in ("queued", "running") for s in live):
            return current
    jobs = submit(manager(), size)
    path = _set_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"size": size, "jobs": [{"name": j["row"].name, "run_id": j["run_id"],
                                                       "eval_id": j["eval_id"]} for j in jobs]}), encoding="utf-8")
    tmp.replace(path)
    return {"size": size, "jobs": jobs}


def app_view() -> tuple[str, list[str], bool]:
    """(the table as text, the set's run ids, whether all of it has finished); ("", [], True) before any set."""
    current = _saved_set()
    if current is None:
        return "", [], True
    rows = table(store(), current["jobs"])
    evals = [store().load(j["eval_id"], with_events=False) for j in current["jobs"] if j["eval_id"]]
    statuses = [r["status"] for r in rows] + [e.status if e else "missing" for e in evals]
    done = all(s not in ("queued", "running") for s in statuses)
    return text_table(rows, current["size"]), [r["run_id"] for r in rows], done
