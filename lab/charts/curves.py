"""A run's line charts from its events: loss and STS-B curves (strided for the browser, one per stage or
series), fixed category colours, and the before/after STS-B metrics and table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from lab.evaluation.sts import MAIN_METRIC, SIMILARITIES
from lab.events import Eval, Event, Finished, Log, Plan, Started

MAX_POINTS = 400  # per series sent to the browser each tick; the full history stays in the store
LOSS_COLUMNS = ["step", "loss"]
EVAL_COLUMNS = ["step", "spearman", "phase"]
PLAIN_STAGE = "training"  # the colour a plain (single-stage) run's loss curve is labelled with
PLAIN_SERIES = "STS-B"


def _stride(df: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    if len(df) <= max_points:
        return df
    keep = sorted(set(range(0, len(df), math.ceil(len(df) / max_points))) | {len(df) - 1})
    return df.iloc[keep].reset_index(drop=True)


PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def color_map(names: Iterable[str]) -> dict[str, str]:
    """A fixed colour per category, in order of appearance."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def staged_loss_frame(events: Iterable[Event]) -> pd.DataFrame:
    """(step, loss, stage): one curve per pipeline stage, since every stage counts its steps from 1 again."""
    return _staged(events, "loss")


def _staged(events: Iterable[Event], value: str) -> pd.DataFrame:
    """(step, value, stage) of every Log event's `value`, one strided curve per stage."""
    by_stage: dict[str, list[tuple[int, float]]] = {}
    for e in events:
        if isinstance(e, Log) and math.isfinite(getattr(e, value)):
            by_stage.setdefault(e.stage or PLAIN_STAGE, []).append((e.step, getattr(e, value)))
    parts = [_stride(pd.DataFrame(rows, columns=["step", value])).assign(stage=name) for name, rows in by_stage.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["step", value, "stage"])


def lr_frame(events: Sequence[Event]) -> pd.DataFrame:
    """(step, lr, stage): the learning rate the trainer used at each logged step (linear warm-up, then linear
    decay), one curve per stage; like the live loss chart, every stage a pipeline plans is there from the start."""
    plan = _plan(events)
    return _with_categories(_staged(events, "lr"), "stage", plan.curves if plan else [])


def live_loss_frame(events: Sequence[Event]) -> pd.DataFrame:
    """`staged_loss_frame` for the live chart: every stage a pipeline plans to train is a category from the start.

    Gradio 6.31's LinePlot fixes its colour domain when it embeds the chart and only swaps the data after that;
    a category that appears later (a pipeline's next stage) would get no colour and no legend entry, and a
    re-embed to add it races with the data update in the browser. So a stage not trained yet is one empty row
    (step and loss NaN, which the chart skips): the categories, the colours and the legend hold from the first
    frame to the last, and every update is a data swap.
    """
    plan = _plan(events)
    started = next((e for e in events if isinstance(e, Started)), None)
    frame = _dash_lone_points(staged_loss_frame(events), "loss", "stage", started.total_steps if started else 0)
    return _with_categories(frame, "stage", plan.curves if plan else [])


def _dash_lone_points(df: pd.DataFrame, value: str, column: str, total_steps: int) -> pd.DataFrame:
    """A line chart draws nothing for a series of one point (it has no markers): such a point becomes a short
    level dash centred on it (±1 % of the run's steps), so the first logged loss is visible at once."""
    if not len(df):
        return df
    counts = df[column].map(df[column].value_counts())
    lone = df[counts == 1]
    if lone.empty:
        return df
    width = max(total_steps, 1) * 0.01
    dashes = pd.concat([lone.assign(step=lone["step"] - width), lone.assign(step=lone["step"] + width)])
    dashes["step"] = dashes["step"].clip(lower=0)
    return pd.concat([df[counts > 1], dashes], ignore_index=True).sort_values([column, "step"], kind="stable",
                                                                              ignore_index=True)


BASE_SERIES = "base model"  # a plain run's reference line: the score it started from, across the run's steps
BAND_SERIES = ("base + noise", "base − noise")  # the spread the curve's pairs allow the base score (95 % bootstrap)
EVAL_SPAN = 0.35  # the live STS-B axis reaches this far either side of the base score: no noise magnified


def live_eval_frame(events: Sequence[Event]) -> pd.DataFrame:
    """`eval_frame` for the live chart: every model a pipeline plans to evaluate is a series from the base score on.

    A plain run also gets a flat reference line at its base model's score from step 0 to its last step, so a lone
    first point is visible and every later point reads against where the run started, and two lines at the base
    score ± its bootstrap band on the curve's pairs: a point between them is within the noise of those pairs."""
    plan = _plan(events)
    frame = eval_frame(events, planned=plan.series if plan else ())
    started = next((e for e in events if isinstance(e, Started)), None)
    base = frame[frame["phase"] == "before"].head(1)
    if plan is not None or base.empty:
        return frame
    reference = [PLAIN_SERIES, BASE_SERIES, *BAND_SERIES]
    if started is None:  # the reference lines' categories from the first frame: the chart's colours never change
        return _with_categories(frame, "series", reference)
    score, band = float(base["spearman"].iloc[0]), base_band(events)
    lines = [(BASE_SERIES, score)]
    if band is not None:
        lines += [(BAND_SERIES[0], score + band), (BAND_SERIES[1], score - band)]
    parts = [pd.DataFrame({"step": [0, started.total_steps], "spearman": [value, value], "phase": ["before"] * 2,
                           "series": [name] * 2}) for name, value in lines]
    return _with_categories(pd.concat([frame, *parts], ignore_index=True), "series", reference)


REFERENCE_COLORS = {BASE_SERIES: "#7f7f7f", BAND_SERIES[0]: "#c7c7c7", BAND_SERIES[1]: "#c7c7c7"}


def eval_color_map(names: Iterable[str]) -> dict[str, str]:
    """`color_map` for an STS-B chart: the base line dark grey and the noise band light grey, the models in colour."""
    names = list(dict.fromkeys(names))
    colors = color_map([n for n in names if n not in REFERENCE_COLORS])
    # the reference lines first: the chart draws its series in this order, so the model's curve lies on top of them
    return {**{n: REFERENCE_COLORS[n] for n in names if n in REFERENCE_COLORS}, **colors}


def curve_evals(events: Iterable[Event]) -> list[Eval]:
    """The STS-B evaluations a run's curve draws: those on the live subset when the run scored one (the whole
    split's before/after are the table's), else all of them."""
    evals = [e for e in events if isinstance(e, Eval)]
    return [e for e in evals if e.subset] if any(e.subset for e in evals) else evals


def base_band(events: Sequence[Event]) -> float | None:
    """The bootstrap band of the base model's score on the curve's pairs; None when not recorded."""
    base = next((e for e in curve_evals(events) if e.phase == "before"), None)
    return base.band if base is not None and base.band is not None and math.isfinite(base.band) else None


def eval_axis(events: Sequence[Event]) -> list[float] | None:
    """The live STS-B chart's y-axis: the base score ± EVAL_SPAN (within [-1, 1]), fixed for the whole run, so a
    ±0.003 wobble looks like one and real learning still fits; None before the base score."""
    base = next((e.metrics.get(MAIN_METRIC) for e in curve_evals(events) if e.phase == "before"
                 and MAIN_METRIC in e.metrics), None)
    if base is None or not math.isfinite(base):
        return None
    return [round(max(-1.0, base - EVAL_SPAN), 2), round(min(1.0, base + EVAL_SPAN), 2)]


def _plan(events: Sequence[Event]) -> Plan | None:
    return next((e for e in events if isinstance(e, Plan)), None)


def _with_categories(df: pd.DataFrame, column: str, planned: Sequence[str]) -> pd.DataFrame:
    present = set(df[column])
    missing = [name for name in planned if name not in present]
    if not missing:
        return df
    empty = pd.DataFrame({c: [float("nan")] * len(missing) for c in df.columns if c != column}).assign(
        **{column: missing})
    frame = pd.concat([df, empty], ignore_index=True) if len(df) else empty[df.columns]
    # planned order first, so each stage keeps its colour whatever runs first
    order = {name: i for i, name in enumerate(dict.fromkeys([*planned, *frame[column]]))}
    return frame.sort_values(column, key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def eval_frame(events: Iterable[Event], metric: str = MAIN_METRIC, planned: Sequence[str] = ()) -> pd.DataFrame:
    """(step, spearman, phase, series) of every STS-B evaluation: before (step 0), during, after.

    A plain run is one series. In a pipeline each evaluated model (`Eval.model`) is its own series, and
    the base model's score (step 0) starts every series, so each line reads "base → this model"; `planned`
    series (a pipeline's models not evaluated yet) are there from the base score on.
    """
    rows = []
    for e in curve_evals(events):
        if metric in e.metrics and math.isfinite(e.metrics[metric]):
            rows.append((e.step, float(e.metrics[metric]), e.phase, e.model or PLAIN_SERIES))
    df = pd.DataFrame(rows, columns=[*EVAL_COLUMNS, "series"])
    base = df[df["phase"] == "before"].head(1)
    names = list(dict.fromkeys([*planned, *df["series"]])) if len(base) else list(dict.fromkeys(df["series"]))
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
    sts = [e for e in events if isinstance(e, Eval) and MAIN_METRIC in e.metrics and not e.subset]
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
