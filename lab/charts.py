"""Pure, failsafe builders from events and runs to what the UI shows: DataFrames for line plots and tables,
status text, the plotly scatter for projections. No gradio here; bad or missing data gives an empty result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from lab.evaluation.sts import MAIN_METRIC, SIMILARITIES
from lab.training.events import Eval, Event, Failed, Finished, Log, Stage, Started

MAX_POINTS = 400  # per series sent to the browser each tick; the full history stays in the store
LOSS_COLUMNS = ["step", "loss"]
EVAL_COLUMNS = ["step", "spearman", "phase"]
RUN_COLUMNS = ["run", "status", "created", "model", "recipe", "loss", "samples", "batch", "lr", "steps", "STS before",
               "STS after", "Δ"]


def _stride(df: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    if len(df) <= max_points:
        return df
    keep = sorted(set(range(0, len(df), math.ceil(len(df) / max_points))) | {len(df) - 1})
    return df.iloc[keep].reset_index(drop=True)


def loss_frame(events: Iterable[Event]) -> pd.DataFrame:
    """(step, loss) of every Log event, strided to at most MAX_POINTS rows."""
    rows = [(e.step, e.loss) for e in events if isinstance(e, Log) and math.isfinite(e.loss)]
    return _stride(pd.DataFrame(rows, columns=LOSS_COLUMNS))


def eval_frame(events: Iterable[Event], metric: str = MAIN_METRIC) -> pd.DataFrame:
    """(step, spearman, phase) of every STS-B evaluation: before (step 0), during, after."""
    rows = []
    for e in events:
        if isinstance(e, Eval) and metric in e.metrics and math.isfinite(e.metrics[metric]):
            rows.append((e.step, float(e.metrics[metric]), e.phase))
    df = pd.DataFrame(rows, columns=EVAL_COLUMNS)
    # The "after" eval repeats the last "during" one when both land on the final step.
    return df.drop_duplicates(subset=["step", "spearman"], keep="first").reset_index(drop=True)


def metrics_of(events: Sequence[Event]) -> tuple[dict[str, float], dict[str, float]]:
    """(before, after) STS-B metric dicts from a run's events; empty dicts when missing."""
    before = next((e.metrics for e in events if isinstance(e, Eval) and e.phase == "before"), {})
    after = next((e.metrics for e in reversed(events) if isinstance(e, Eval) and e.phase == "after"), {})
    return dict(before), dict(after)


def sts_table(before: dict[str, float], after: dict[str, float]) -> pd.DataFrame:
    """The chapter's table: one row per similarity, pearson/spearman before and after, and the change."""
    rows = []
    for sim in SIMILARITIES:
        b_p, b_s = before.get(f"pearson_{sim}"), before.get(f"spearman_{sim}")
        a_p, a_s = after.get(f"pearson_{sim}"), after.get(f"spearman_{sim}")
        delta = (a_s - b_s) if a_s is not None and b_s is not None else None
        rows.append([sim, b_p, b_s, a_p, a_s, delta])
    df = pd.DataFrame(
        rows,
        columns=["similarity", "pearson before", "spearman before", "pearson after", "spearman after", "Δ spearman"],
    )
    num = df.columns[1:]
    df[num] = df[num].astype(float).round(4)
    return df


def progress(events: Sequence[Event], now: float | None = None) -> dict[str, Any]:
    """Where a run is: stage, step/total, samples/s and an ETA from the logged steps' pace."""
    now = time.time() if now is None else now
    stage = next((e for e in reversed(events) if isinstance(e, Stage)), None)
    started = next((e for e in events if isinstance(e, Started)), None)
    logs = [e for e in events if isinstance(e, Log)]
    total = started.total_steps if started else (logs[-1].total_steps if logs else 0)
    step = logs[-1].step if logs else 0
    eta_s = None
    train_t0 = next((e.t for e in events if isinstance(e, Stage) and e.name == "train"), None)
    if logs and train_t0 is not None and step > 0 and total:
        pace = (logs[-1].t - train_t0) / step  # seconds per step, evals during training included
        before = next((e for e in events if isinstance(e, Eval) and e.phase == "before"), None)
        eta_s = max(0.0, (total - step) * pace - (now - logs[-1].t)) + (before.elapsed_s if before else 0.0)
    return {
        "stage": stage.name if stage else "",
        "stage_message": stage.message if stage else "",
        "step": step,
        "total": total,
        "samples_per_s": logs[-1].samples_per_s if logs else None,
        "eta_s": eta_s,
        "elapsed_s": (now - events[0].t) if events else 0.0,
    }


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def status_text(
    status: str,
    events: Sequence[Event],
    position: int | None = None,
    queue_length: int = 0,
    message: str = "",
    now: float | None = None,
) -> str:
    """One status line (markdown) for a run in any state."""
    if status == "queued":
        ahead = f" — {position - 1} run(s) ahead of yours" if position and position > 1 else " — starts next"
        return f"**Queued**: position {position or '?'} of {max(queue_length, position or 0)}{ahead}."
    if status == "running":
        p = progress(events, now)
        if p["stage"] == "train" and p["total"]:
            pct = 100 * p["step"] / p["total"]
            speed = f" · {p['samples_per_s']:.0f} samples/s" if p["samples_per_s"] else ""
            eta = f" · ETA {_duration(p['eta_s'])}" if p["eta_s"] is not None else ""
            extra = f" · {message}" if message.startswith("Stopping") else ""
            return f"**Training**: step {p['step']}/{p['total']} ({pct:.0f}%){speed}{eta}{extra}"
        return f"**Running**: {p['stage_message'] or message or 'starting'}… ({_duration(p['elapsed_s'])})"
    finished = next((e for e in reversed(events) if isinstance(e, Finished)), None)
    if status == "completed":
        took = f" in {_duration(finished.t - events[0].t)}" if finished and events else ""
        return f"**Done**{took}: {finished.steps if finished else '?'} steps."
    if status == "cancelled":
        return f"**Cancelled**. {message}"
    if status == "failed":
        failed = next((e for e in reversed(events) if isinstance(e, Failed)), None)
        return f"**Failed**: {failed.message if failed else message}"
    if status == "interrupted":
        return f"**Interrupted**: {message or 'the server stopped during this run.'}"
    return message or "No run yet. Pick settings and press **Start**."


def source_text(events: Sequence[Event]) -> str:
    started = next((e for e in events if isinstance(e, Started)), None)
    if not started:
        return ""
    s = started.source
    where = "Hugging Face Hub" if s.get("origin") == "hub" else "bundled offline copy"
    note = f" *{s['note']}*" if s.get("note") else ""
    counts = started.row_counts
    return (
        f"**Data**: {s.get('name', '?')} — {where} (`{s.get('detail', '')}`); "
        f"{counts.get('used', started.train_rows):,} of {counts.get('transformed', 0):,} rows used "
        f"on {started.device}.{note}"
    )


# --- many runs ------------------------------------------------------------------------------------
def run_label(run_id: str, config: dict[str, Any], label: str = "") -> str:
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


def overlay_loss(runs: dict[str, Sequence[Event]]) -> pd.DataFrame:
    """Loss curves of several runs in one frame, `run` as the colour column."""
    parts = [loss_frame(ev).assign(run=name) for name, ev in runs.items()]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*LOSS_COLUMNS, "run"])


def overlay_eval(runs: dict[str, Sequence[Event]]) -> pd.DataFrame:
    parts = [eval_frame(ev).assign(run=name) for name, ev in runs.items()]
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


# --- projections ----------------------------------------------------------------------------------
def scatter_figure(
    xy: Any,
    color: Sequence[Any],
    hover: Sequence[str],
    title: str,
    color_title: str = "",
    continuous: bool = False,
    height: int = 460,
):
    """A plotly scatter of 2-D points; categorical colours get a legend, scores a colour bar."""
    import numpy as np
    import plotly.graph_objects as go

    fig = go.Figure()
    xy = np.asarray(xy, dtype=float).reshape(-1, 2) if len(hover) else np.zeros((0, 2))
    hover = [_wrap(h) for h in hover]
    if continuous:
        fig.add_trace(
            go.Scattergl(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                marker={
                    "size": 7,
                    "color": np.asarray(color, dtype=float),
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": {"text": color_title}, "thickness": 12},
                    "opacity": 0.85,
                },
            )
        )
    else:
        labels = [str(c) for c in color]
        for name in sorted(set(labels)):
            idx = [i for i, c in enumerate(labels) if c == name]
            fig.add_trace(
                go.Scattergl(
                    x=xy[idx, 0],
                    y=xy[idx, 1],
                    mode="markers",
                    name=name,
                    text=[hover[i] for i in idx],
                    hovertemplate="%{text}<extra>" + name + "</extra>",
                    marker={"size": 7, "opacity": 0.85},
                )
            )
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"font": {"size": 10}, "itemsizing": "constant"},
        xaxis={"showticklabels": False, "title": None},
        yaxis={"showticklabels": False, "title": None},
    )
    return fig


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines[:6])
