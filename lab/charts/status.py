"""Status text for a run in any state: progress and ETA, the one-line status, where its data came from,
and a pipeline's stage list.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from lab.charts.curves import curve_evals
from lab.events import Eval, Event, Failed, Finished, Log, Plan, Stage, Started


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
        before = next((e for e in events if isinstance(e, Eval) and e.phase == "before" and not e.subset), None)
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
        finished = next((e for e in reversed(events) if isinstance(e, Finished)), None)
        at = f" at step {finished.steps}" if finished and finished.steps else ""
        parts = [f"**Cancelled**{at}.", message, "A cancelled run is not evaluated after training: its STS-B "
                 "\"after\" columns stay empty."]
        return " ".join(part for part in parts if part)
    if status == "failed":
        failed = next((e for e in reversed(events) if isinstance(e, Failed)), None)
        return f"**Failed**: {failed.message if failed else message}"
    if status == "interrupted":
        return f"**Interrupted**: {message or 'the server stopped during this run.'}"
    return message or "No run yet. Pick settings and press **Start**."


def identity_text(run_id: str, config: dict[str, Any]) -> str:
    """Which run a tab follows, beside its charts: the form above may hold other settings (a draft)."""
    if config.get("kind") == "evaluation":
        return ""
    if config.get("private"):
        return f"Run `{run_id[:8]}` (private)"
    label = f" “{config['label']}”" if config.get("label") else ""
    knobs = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in
                      (config.get("loss_params") or {}).items())
    return (f"Run `{run_id[:8]}`{label}: **{config.get('model', '?')}** · recipe **{config.get('recipe', '?')}** · "
            f"loss **{config.get('loss', '?')}**{f' ({knobs})' if knobs else ''} · "
            f"{config.get('max_train_samples') or 'all'} samples, batch {config.get('batch_size')}, "
            f"lr {config.get('lr')}, seed {config.get('seed')}. "
            "The form is a draft for your next run.")


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
        used = (f"{counts.get('used', started.train_rows):,} of the {counts['transformed']:,} rows the recipe made "
                f"from {counts.get('raw', counts['transformed']):,} source rows used")
    else:  # e.g. Augmented SBERT's gold and silver pairs
        used = " + ".join(f"{v:,} {k}" for k, v in counts.items()) + " rows" if counts else \
            f"{started.train_rows:,} rows"
    data = f"**Data**: {s.get('name', '?')} — {where} (`{s.get('detail', '')}`); {used} on {started.device}.{note}"
    scope = sts_scope_text(events)
    return f"{data}\n\n{scope}" if scope else data


def sts_scope_text(events: Sequence[Event]) -> str:
    """What the STS-B curve and the before/after table each score, and how much of the curve's moves is noise."""
    evals = [e for e in events if isinstance(e, Eval) and e.pairs and not e.model]
    base = next((e for e in curve_evals(events) if e.phase == "before" and e.pairs and not e.model), None)
    if base is None:
        return ""
    whole = next((e for e in evals if not e.subset), None)
    noise = (f" A point within ±{base.band:.3f} of the base score (between the grey lines) is noise: that is how "
             f"far the score moves from which {base.pairs:,} pairs are drawn (95 % bootstrap)."
             if base.band is not None and math.isfinite(base.band) else "")
    cached = " The base model's whole-split score came from the cache (same weights, same pairs)." \
        if whole is not None and whole.cached else ""
    if base.subset and whole is not None:
        return (f"**STS-B**: the curve scores a fixed random {base.pairs:,} of the {whole.pairs:,} pairs, for speed; "
                f"the "
                f"before/after table scores all {whole.pairs:,}.{noise}{cached}")
    return f"**STS-B**: the curve and the table score all {base.pairs:,} pairs.{noise}{cached}"


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
