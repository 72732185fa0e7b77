"""A loss duel: runs that differ only in the loss, drawn side by side — STS-B spearman, alignment and uniformity
against step, examples seen or wall-clock seconds (never the loss values: losses of different kinds share no
scale) — and the STS-B pairs one loss gets right and the other does not. Pure: events in, figures and rows out."""

from __future__ import annotations

from typing import Any

import numpy as np

from lab.evaluation.sts import MAIN_METRIC, sts_pairs
from lab.events import Eval, Event, Started, View

X_AXES = {"step": "step", "examples": "examples seen", "seconds": "wall-clock seconds (training + evaluations)"}
PANELS = {"spearman": "STS-B spearman ↑", "alignment": "alignment ↓", "uniformity": "uniformity ↓"}
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
RIGHT, WRONG = 0.10, 0.30  # rank distance from gold (share of the split): within → right, beyond → wrong


def curve(events: list[Event], batch_size: int = 1) -> list[dict[str, Any]]:
    """The run's live curve: {step, examples, seconds, spearman, alignment, uniformity} per evaluation point (the
    curve's pairs: a subset when the run used one), from the base model (step 0) to the final model."""
    started = next((e for e in events if isinstance(e, Started)), None)
    evals = [e for e in events if isinstance(e, Eval) and not e.model]
    subset = any(e.subset for e in evals)
    points = {}
    for e in evals:
        if e.subset != subset:
            continue
        geometry = e.geometry or {}
        points[e.step] = {"step": e.step, "examples": e.step * batch_size,
                          "seconds": max(0.0, e.t - started.t) if started and e.phase != "before" else 0.0,
                          "spearman": e.metrics.get(MAIN_METRIC), "alignment": geometry.get("alignment"),
                          "uniformity": geometry.get("uniformity")}
    return [points[s] for s in sorted(points)]


def figure(runs: list[tuple[str, list[Event], int]], x: str = "step"):
    """One column per measure, one line per run (label, events, batch size); `x` one of X_AXES. None when no run
    has a curve yet."""
    curves = [(label, curve(events, batch)) for label, events, batch in runs]
    if not any(c for _, c in curves):
        return None
    import plotly.graph_objects as go  # lazy: only when a figure is drawn
    from plotly.subplots import make_subplots

    x = x if x in X_AXES else "step"
    fig = make_subplots(rows=1, cols=3, subplot_titles=list(PANELS.values()), horizontal_spacing=0.07)
    for i, (label, points) in enumerate(curves):
        color = COLORS[i % len(COLORS)]
        for col, key in enumerate(PANELS, 1):
            fig.add_trace(go.Scatter(x=[p[x] for p in points], y=[p[key] for p in points], mode="lines+markers",
                                     name=label, legendgroup=label, showlegend=col == 1, line={"color": color},
                                     hovertemplate=f"{label}<br>{X_AXES[x]} %{{x}}<br>{key} %{{y:.3f}}<extra></extra>"),
                          row=1, col=col)
    fig.update_xaxes(title_text=X_AXES[x])
    fig.update_layout(height=340, margin={"l": 40, "r": 10, "t": 40, "b": 40}, hovermode="closest",
                      legend={"orientation": "h", "y": -0.3})
    return fig


def pair_cosines(events: list[Event]) -> tuple[str, np.ndarray] | None:
    """(split, the final model's cosine per STS-B pair) from the run's `pairs` view, or None."""
    found = [e for e in events if isinstance(e, View) and e.name == "pairs"]
    if not found:
        return None
    return str(found[-1].data.get("split", "validation")), np.asarray(found[-1].data.get("cos", []), dtype=float)


def _rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks / max(len(values) - 1, 1)


def differences(a: list[Event], b: list[Event], top: int = 6) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pairs run A places right and run B wrong, the reverse): a pair is placed right when its cosine's rank among
    the split's pairs is within RIGHT of its gold score's rank, wrong when it is more than WRONG away."""
    pa, pb = pair_cosines(a), pair_cosines(b)
    if pa is None or pb is None or pa[0] != pb[0] or len(pa[1]) != len(pb[1]):
        return [], []
    s1, s2, gold = sts_pairs(pa[0])
    if len(gold) != len(pa[1]):
        return [], []
    gold_rank = _rank(np.asarray(gold))
    err_a, err_b = np.abs(_rank(pa[1]) - gold_rank), np.abs(_rank(pb[1]) - gold_rank)

    def rows(good: np.ndarray, bad: np.ndarray) -> list[dict[str, Any]]:
        picked = np.where((good <= RIGHT) & (bad >= WRONG))[0]
        picked = picked[np.argsort(-(bad[picked] - good[picked]))][:top]
        return [{"gold (0–5)": round(gold[i] * 5, 2), "cos A": round(float(pa[1][i]), 3),
                 "cos B": round(float(pb[1][i]), 3), "sentence 1": s1[i], "sentence 2": s2[i]} for i in picked]

    return rows(err_a, err_b), rows(err_b, err_a)


def counts(a: list[Event], b: list[Event]) -> tuple[int, int, int] | None:
    """(pairs both place right, only A, only B), or None without both runs' pair scores."""
    pa, pb = pair_cosines(a), pair_cosines(b)
    if pa is None or pb is None or len(pa[1]) != len(pb[1]):
        return None
    _, _, gold = sts_pairs(pa[0])
    if len(gold) != len(pa[1]):
        return None
    g = _rank(np.asarray(gold))
    ra, rb = np.abs(_rank(pa[1]) - g) <= RIGHT, np.abs(_rank(pb[1]) - g) <= RIGHT
    return int((ra & rb).sum()), int((ra & ~rb).sum()), int((~ra & rb).sum())
