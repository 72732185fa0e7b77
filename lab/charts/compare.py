"""Many runs side by side: the runs table, overlaid loss and STS-B curves, and a key-by-key config diff."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from lab.charts.curves import EVAL_COLUMNS, eval_frame, staged_loss_frame
from lab.evaluation.sts import MAIN_METRIC
from lab.events import Event

RUN_COLUMNS = ["run", "status", "created", "model", "recipe", "loss", "samples", "batch", "lr", "steps", "STS before",
               "STS after", "Δ"]


def run_label(run_id: str, config: dict[str, Any], label: str = "") -> str:
    if config.get("private"):  # a private run seen by someone else: its id and nothing of its config
        return f"{run_id[:6]} · private upload"
    name = label or config.get("label") or ""
    base = f"{config.get('model', '?')} · {config.get('recipe', '?')} · {config.get('loss', '?')}"
    return f"{run_id[:6]} {name + ' · ' if name else ''}{base}"


def runs_frame(records: Iterable[Any]) -> pd.DataFrame:
    """One row per stored run: its config essentials and final STS-B spearman (cosine)."""
    rows = []
    for r in records:
        c, m = r.config, r.meta
        metrics = m.get("metrics") or {}
        before = (metrics.get("metrics_before") or {}).get(MAIN_METRIC)
        after = (metrics.get("metrics_after") or {}).get(MAIN_METRIC)
        created = m.get("created")
        label = c.get("label") or ""
        if c.get("private"):
            label = "private upload"
        rows.append(
            {
                "run": r.run_id[:8] + (f" · {label}" if label else ""),
                "status": m.get("status", "?"),
                "created": time.strftime("%d %b %H:%M", time.localtime(created)) if created else "",
                "model": c.get("model", ""),
                "recipe": c.get("recipe", ""),
                "loss": c.get("loss", ""),
                "samples": c.get("max_train_samples"),
                "batch": c.get("batch_size"),
                "lr": c.get("lr"),
                "steps": metrics.get("steps"),
                "STS before": round(before, 4) if before is not None else None,
                "STS after": round(after, 4) if after is not None else None,
                "Δ": round(after - before, 4) if before is not None and after is not None else None,
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


RELATIVE_LOSS = "loss ÷ first"  # the Compare chart's y: every curve divided by its first logged value


def legend_label(run_id: str, config: dict[str, Any]) -> str:
    """A run in a chart's legend: the loss first (what tells runs apart, and legends cut long labels), then the
    model, the recipe and the run id."""
    if config.get("private"):
        return run_label(run_id, config)
    name = f"{config.get('label')} · " if config.get("label") else ""
    return f"{config.get('loss', '?')} · {name}{config.get('model', '?')} · {config.get('recipe', '?')} · {run_id[:6]}"


def overlay_loss(runs: dict[str, Sequence[Event]]) -> pd.DataFrame:
    """Loss curves of several runs in one frame, `run` as the colour column, each divided by its own first value:
    losses of different kinds (a triplet margin near 5, a cosine MSE near 0.2) have no common scale, but how fast
    each falls from where it started does."""
    parts = []
    for name, ev in runs.items():
        df = staged_loss_frame(ev)
        staged = df["stage"].nunique() > 1  # a pipeline: one curve per stage, or its restarting steps zig-zag
        df["run"] = [f"{name} · {st}" for st in df["stage"]] if staged else name
        first = df.groupby("run")["loss"].transform("first")
        df[RELATIVE_LOSS] = (df["loss"] / first.where(first != 0)).round(4)
        parts.append(df[["step", RELATIVE_LOSS, "run"]])
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["step", RELATIVE_LOSS, "run"])


def overlay_eval(runs: dict[str, Sequence[Event]]) -> pd.DataFrame:
    parts = []
    for name, ev in runs.items():
        df = eval_frame(ev)
        df["run"] = [f"{name} · {se}" for se in df["series"]] if df["series"].nunique() > 1 else name
        parts.append(df.drop(columns="series"))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*EVAL_COLUMNS, "run"])


def config_diff(a: dict[str, Any], b: dict[str, Any], only_changed: bool = True) -> pd.DataFrame:
    """Key-by-key comparison of two configs (or metric dicts); nested dicts are flattened as `a.b`."""
    fa, fb = _flatten(a), _flatten(b)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, "—"), fb.get(key, "—")
        if only_changed and va == vb:
            continue
        rows.append([key, _show(va), _show(vb)])
    return pd.DataFrame(rows, columns=["setting", "run A", "run B"])


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = tuple(v) if isinstance(v, list) else v
    return out


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, tuple):
        return ", ".join(map(str, v)) or "—"
    return "—" if v is None or v == "" else str(v)
