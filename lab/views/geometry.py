"""Geometry health: alignment, uniformity and anisotropy (lab/evaluation/geometry.py) at every STS-B evaluation,
charted beside that evaluation's STS-B spearman, read from the run's Eval events (the evaluator measures them on
the embeddings it made; no probe of its own).
The live curve's points are on its subset of pairs; the base and final whole-split numbers are drawn as markers.
"""

from __future__ import annotations

from typing import Any

from lab.evaluation.geometry import GEOMETRY_KEYS
from lab.events import Eval, Event

TITLE = "Geometry health: alignment, uniformity, anisotropy"
LEARN = ("Alignment is the mean squared distance between paraphrases (STS-B pairs scored ≥ 4): lower means "
         "paraphrases sit together. Uniformity is the log of the mean exp(−2·distance²) over all pairs of distinct "
         "sentences: lower means the sentences spread over the sphere. A contrastive loss improves both; a model "
         "whose every embedding points one way has anisotropy (mean cosine) near 1 — random BERTs do.")
PANELS = {"spearman": "STS-B spearman ↑", "alignment": "alignment ↓", "uniformity": "uniformity ↓",
          "anisotropy": "anisotropy"}


def points(events: list[Event]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(curve points, whole-split points) of the run's main training: {step, phase, alignment, …}. The curve is the
    live evaluator's (its subset when it has one), the whole split's are the table's before/after."""
    evals = [e for e in events if isinstance(e, Eval) and e.geometry and not e.model]
    if not evals:
        return [], []
    stage = next((e.stage for e in reversed(evals) if e.phase == "during"), "")
    evals = [e for e in evals if e.stage == stage or e.phase in ("before", "after")]
    subset = any(e.subset for e in evals)
    curve = [e for e in evals if e.subset == subset]
    whole = [e for e in evals if not e.subset] if subset else []

    def row(e: Eval) -> dict[str, Any]:
        return {"step": e.step, "phase": e.phase, "pairs": e.pairs, "spearman": e.metrics.get("spearman_cosine"),
                **{k: e.geometry.get(k) for k in GEOMETRY_KEYS}}

    return [row(e) for e in curve], [row(e) for e in whole]


def figure(events: list[Event], folder=None):
    curve, whole = points(events)
    if not curve:
        return None
    import plotly.graph_objects as go  # lazy: only when a figure is drawn
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(PANELS), subplot_titles=list(PANELS.values()), horizontal_spacing=0.06)
    pairs = curve[-1]["pairs"]
    for i, key in enumerate(PANELS, 1):
        fig.add_trace(go.Scatter(
            x=[p["step"] for p in curve], y=[p[key] for p in curve], mode="lines+markers", line={"color": "#2563eb"},
            name=f"curve ({pairs:,} pairs)" if whole else "whole split", legendgroup="curve", showlegend=i == 1,
            hovertemplate=f"step %{{x}}<br>{key} %{{y:.3f}}<extra></extra>"), row=1, col=i)
        if whole:
            fig.add_trace(go.Scatter(
                x=[p["step"] for p in whole], y=[p[key] for p in whole], mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": "#f97316"}, name="whole split (before / after)",
                legendgroup="whole", showlegend=i == 1,
                hovertemplate=f"step %{{x}} (whole split)<br>{key} %{{y:.3f}}<extra></extra>"), row=1, col=i)
    fig.update_layout(height=300, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.25}, hovermode="closest")
    fig.update_xaxes(title_text="step")
    return fig


def summary(events: list[Event]) -> str:
    """One line: how alignment and uniformity moved from the base to the final model (whole split when known)."""
    curve, whole = points(events)
    source = whole or curve
    first = next((p for p in source if p["phase"] == "before"), None)
    last = next((p for p in reversed(source) if p["phase"] == "after"), None) or (source[-1] if source else None)
    if not first or not last or first is last:
        return ""

    def move(key):
        a, b = first.get(key), last.get(key)
        return "n/a" if a is None or b is None else f"{a:.3f} → {b:.3f}"

    return (f"Base → trained: alignment {move('alignment')}, uniformity {move('uniformity')}, anisotropy "
            f"{move('anisotropy')}" + (" (whole split)" if whole else "") + ".")
