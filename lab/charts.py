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
from lab.training.events import Eval, Event, Failed, Finished, Log, Plan, Stage, Started, Table

MAX_POINTS = 400  # per series sent to the browser each tick; the full history stays in the store
LOSS_COLUMNS = ["step", "loss"]
EVAL_COLUMNS = ["step", "spearman", "phase"]
PLAIN_STAGE = "training"  # the colour a plain (single-stage) run's loss curve is labelled with
PLAIN_SERIES = "STS-B"
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


PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def color_map(names: Iterable[str]) -> dict[str, str]:
    """A fixed colour per category, in order of appearance.

    Gradio 6.31's LinePlot takes its colour domain from the data it was embedded with and keeps it when the
    data changes in place; a new category (a pipeline's next stage) stays invisible. The colour map is a spec
    property, so passing one whose keys are exactly the categories present re-embeds the chart when, and only
    when, a category appears.
    """
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def staged_loss_frame(events: Iterable[Event]) -> pd.DataFrame:
    """(step, loss, stage): one curve per pipeline stage, since every stage counts its steps from 1 again."""
    by_stage: dict[str, list[tuple[int, float]]] = {}
    for e in events:
        if isinstance(e, Log) and math.isfinite(e.loss):
            by_stage.setdefault(e.stage or PLAIN_STAGE, []).append((e.step, e.loss))
    parts = [_stride(pd.DataFrame(rows, columns=LOSS_COLUMNS)).assign(stage=name) for name, rows in by_stage.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*LOSS_COLUMNS, "stage"])


def eval_frame(events: Iterable[Event], metric: str = MAIN_METRIC) -> pd.DataFrame:
    """(step, spearman, phase, series) of every STS-B evaluation: before (step 0), during, after.

    A plain run is one series. In a pipeline each evaluated model (`Eval.model`) is its own series, and
    the base model's score (step 0) starts every series, so each line reads "base → this model".
    """
    rows = []
    for e in events:
        if isinstance(e, Eval) and metric in e.metrics and math.isfinite(e.metrics[metric]):
            rows.append((e.step, float(e.metrics[metric]), e.phase, e.model or PLAIN_SERIES))
    df = pd.DataFrame(rows, columns=[*EVAL_COLUMNS, "series"])
    names = list(dict.fromkeys(df["series"]))
    base = df[df["phase"] == "before"].head(1)
    if len(names) > 1 and len(base):
        base_name = base["series"].iloc[0]
        parts = [pd.concat([base.assign(series=name), df[df["series"] == name]]) for name in names if name != base_name]
        df = pd.concat(parts, ignore_index=True)
    # The "after" eval repeats the last "during" one when both land on the final step.
    return df.drop_duplicates(subset=["step", "spearman", "series"], keep="first").reset_index(drop=True)


def metrics_of(events: Sequence[Event]) -> tuple[dict[str, float], dict[str, float]]:
    """(before, after) STS-B metric dicts from a run's events; empty dicts when missing."""
    finished = next((e for e in reversed(events) if isinstance(e, Finished)), None)
    if finished is not None and (finished.metrics_before or finished.metrics_after):
        # A pipeline evaluates several models; the run's own result is the one its Finished event names.
        return dict(finished.metrics_before), dict(finished.metrics_after)
    sts = [e for e in events if isinstance(e, Eval) and MAIN_METRIC in e.metrics]
    before = next((e.metrics for e in sts if e.phase == "before"), {})
    after = next((e.metrics for e in reversed(sts) if e.phase == "after"), {})
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
    if status == "running" and any(isinstance(e, Plan) for e in events):
        return _pipeline_status(events, message, now)
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
    # A pipeline has a Started per training stage; the first one that names its data describes the run's data.
    started = next((e for e in events if isinstance(e, Started) and e.source), None) or next(
        (e for e in events if isinstance(e, Started)), None)
    if not started:
        return ""
    s = started.source
    origin = s.get("origin")
    where = {"hub": "Hugging Face Hub", "upload": "uploaded file"}.get(origin, "bundled offline copy")
    note = f" *{s['note']}*" if s.get("note") else ""
    counts = started.row_counts
    if "transformed" in counts:
        used = f"{counts.get('used', started.train_rows):,} of {counts['transformed']:,} rows used"
    else:  # e.g. Augmented SBERT's gold and silver pairs
        used = " + ".join(f"{v:,} {k}" for k, v in counts.items()) + " rows" if counts else \
            f"{started.train_rows:,} rows"
    return f"**Data**: {s.get('name', '?')} — {where} (`{s.get('detail', '')}`); {used} on {started.device}.{note}"


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
    parts = []
    for name, ev in runs.items():
        df = staged_loss_frame(ev)
        staged = df["stage"].nunique() > 1  # a pipeline: one curve per stage, or its restarting steps zig-zag
        df["run"] = [f"{name} · {st}" for st in df["stage"]] if staged else name
        parts.append(df[[*LOSS_COLUMNS, "run"]])
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*LOSS_COLUMNS, "run"])


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


# --- pipelines: stages and result tables ----------------------------------------------------------------
def _stage_progress(events: Sequence[Event], stage: str) -> tuple[int, int]:
    """(step, total) of a stage's training, from its Started and Log events; (0, 0) if it has none."""
    started = next((e for e in reversed(events) if isinstance(e, Started) and e.stage == stage), None)
    logs = [e for e in events if isinstance(e, Log) and e.stage == stage]
    total = started.total_steps if started else (logs[-1].total_steps if logs else 0)
    return (logs[-1].step if logs else 0), total


def _pipeline_status(events: Sequence[Event], message: str, now: float | None) -> str:
    plan = next(e for e in reversed(events) if isinstance(e, Plan))
    names = [s["name"] for s in plan.stages]
    stage = next((e for e in reversed(events) if isinstance(e, Stage)), None)
    elapsed = _duration(((time.time() if now is None else now) - events[0].t) if events else 0.0)
    if stage is None or stage.name not in names:
        return f"**Running**: {(stage.message if stage else '') or message or 'starting'}… ({elapsed})"
    step, total = _stage_progress(events, stage.name)
    where = f" · step {step}/{total} ({100 * step / total:.0f}%)" if total else ""
    extra = f" · {message}" if message.startswith("Stopping") else ""
    return (f"**Stage {names.index(stage.name) + 1}/{len(names)}**: {stage.message.split(' ', 1)[-1]}{where} "
            f"({elapsed} in all){extra}")


def stage_list(events: Sequence[Event], status: str) -> str:
    """The pipeline's stages as a markdown list: done ✓, the current one in bold with its progress, the rest ○.

    Empty for a plain (single-stage) run.
    """
    plan = next((e for e in reversed(events) if isinstance(e, Plan)), None)
    if plan is None:
        return ""
    names = [s["name"] for s in plan.stages]
    reached = [e.name for e in events if isinstance(e, Stage) and e.name in names]
    current = names.index(reached[-1]) if reached else -1
    if status == "completed":
        current = len(names)
    lines = []
    for i, s in enumerate(plan.stages):
        title = s.get("title") or s["name"]
        if i < current:
            lines.append(f"- ✓ {title}")
        elif i == current:
            mark = {"running": "▶", "cancelled": "■", "failed": "✖", "interrupted": "✖"}.get(status, "▶")
            step, total = _stage_progress(events, s["name"])
            where = f" — step {step}/{total} ({100 * step / total:.0f}%)" if total else ""
            word = {"cancelled": " — cancelled", "failed": " — failed", "interrupted": " — interrupted"}.get(status, "")
            lines.append(f"- {mark} **{title}{where}{word}**")
        else:
            lines.append(f"- ○ <span class='lab-pending'>{title}</span>")
    return "**Pipeline stages**\n\n" + "\n".join(lines)


def tables_of(events: Iterable[Event]) -> dict[str, Table]:
    """The latest Table event of each name, in the order the names first appeared."""
    out: dict[str, Table] = {}
    for e in events:
        if isinstance(e, Table):
            out[e.name] = e
    return out


def table_frame(table: Table | None) -> pd.DataFrame:
    """A Table event's rows as a DataFrame (floats rounded for display); empty for None."""
    if table is None or not table.rows:
        return pd.DataFrame()
    df = pd.DataFrame(table.rows)
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col]):
            df[col] = df[col].round(4)
    return df


def histogram_frame(table: Table | None) -> pd.DataFrame:
    """A histogram Table (rows with from/to/pairs) as (bin start, pairs) for a bar chart; bins sort as text."""
    df = table_frame(table)
    if df.empty or not {"from", "to", "pairs"} <= set(df.columns):
        return pd.DataFrame(columns=["bin", "pairs"])
    return pd.DataFrame({"bin": [f"{a:.1f}" for a in df["from"]],
                         "pairs": df["pairs"].astype(int)})


def table_text(table: Table | None) -> str:
    if table is None:
        return ""
    return f"**{table.title}**" + (f"  \n{table.note}" if table.note else "")


# --- evaluation jobs ------------------------------------------------------------------------------------
EVAL_TASK_COLUMNS = {
    "sts-validation": (("spearman_cosine", "STS-B validation spearman"),),
    "sts-test": (("spearman_cosine", "STS-B test spearman"),),
    "banking77": (("accuracy", "Banking77 accuracy"), ("f1", "Banking77 F1")),
}


def evaluation_frame(rows: Sequence[dict[str, Any]], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Evaluation rows (model, task, metrics, seconds) side by side: one row per model, one column per metric."""
    labels = labels or {}
    table: dict[str, dict[str, Any]] = {}
    columns: list[str] = ["model"]
    for r in rows:
        name = str(r.get("model", "?"))
        line = table.setdefault(name, {"model": labels.get(name, name)})
        task = str(r.get("task", ""))
        for key, title in EVAL_TASK_COLUMNS.get(task, ()):
            if isinstance(r.get(key), int | float):
                line[title] = round(float(r[key]), 4)
                columns += [title] if title not in columns else []
        if task == "banking77" and r.get("route"):
            line["Banking77 route"] = r["route"]
        if isinstance(r.get("seconds"), int | float):
            line["seconds"] = round(line.get("seconds", 0.0) + float(r["seconds"]), 1)
    columns += [c for c in ("Banking77 route", "seconds") if any(c in line for line in table.values())]
    return pd.DataFrame(list(table.values()), columns=columns)


# --- the negative explorer ------------------------------------------------------------------------------
def score_histogram(positive: Sequence[float], random: Sequence[float], mined: Sequence[float], height: int = 340):
    """Overlaid histograms of cos(anchor, ·) for positives, random negatives and mined negatives."""
    import numpy as np
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, values, colour in (("positive", positive, "#2ca02c"), ("random negative", random, "#7f7f7f"),
                                 ("mined negative", mined, "#d62728")):
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        fig.add_trace(go.Histogram(x=values, name=f"{name} ({len(values)})", opacity=0.55,
                                   xbins={"start": -1.0, "end": 1.0, "size": 0.04}, marker={"color": colour}))
    fig.update_layout(barmode="overlay", height=height, template="plotly_white",
                      title={"text": "cos(anchor, ·) scored by all-MiniLM-L6-v2", "font": {"size": 14}},
                      xaxis={"title": "cosine similarity to the anchor"},
                      yaxis={"title": "rows"}, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})
    return fig
