"""Probe pairs: a fixed STS-B sample across the score range (two pairs per point of gold score), plus pairs the
user typed, whose cosine is followed from the base model through every evaluation to the final model; drawn as a
slope chart coloured by gold score, with the pairs that moved most the wrong way.

"The wrong way" is relative to the run's own drift: a loss that spreads the space lowers every cosine, so a pair
moves the wrong way when, against the mean move of all probe pairs, a paraphrase (gold ≥ 3.5) falls or an
unrelated pair (gold ≤ 1.5) rises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lab.evaluation.geometry import normalise
from lab.events import Event, View
from lab.sources import load_stsb

TITLE = "Probe pairs: cosine from base to trained"
LEARN = (
    "A fixed handful of STS-B pairs across the score range (and any pairs you type) are embedded at every "
    "evaluation. A good model pulls high-score pairs up and pushes low-score pairs down; the lines fanning out "
    "by colour is the space learning the task. The table lists the pairs that moved most against their gold "
    "score, measured against the mean move of all pairs."
)
PER_BAND = 2
HIGH, LOW = 3.5, 1.5


def sts_sample(split: str = "validation", seed: int = 0) -> list[tuple[str, str, float]]:
    """PER_BAND pairs from each gold band [0, 1), [1, 2), … [4, 5], fixed by the seed."""
    df, _ = load_stsb(split)
    rng = np.random.default_rng(seed)
    out = []
    for low in range(5):
        band = df[(df["score"] >= low) & ((df["score"] < low + 1) if low < 4 else (df["score"] <= 5))]
        for i in sorted(rng.choice(len(band), size=min(PER_BAND, len(band)), replace=False)):
            r = band.iloc[int(i)]
            out.append((str(r["sentence1"]), str(r["sentence2"]), float(r["score"])))
    return out


class Probe:
    def __init__(self, pairs: list[tuple[str, str, float | None]]):
        self.pairs = pairs
        self.last = -1  # the step of the last snapshot: the final evaluation's is the final model's too

    def _cosines(self, model) -> list[float]:
        import torch  # lazy: the training process has it already

        texts = [p[0] for p in self.pairs] + [p[1] for p in self.pairs]
        with torch.no_grad():
            emb = normalise(model.encode(texts, batch_size=64, show_progress_bar=False))
        n = len(self.pairs)
        return np.round((emb[:n] * emb[n:]).sum(axis=1), 4).tolist()

    def start(self, model, step: int):
        return {
            "cos": self._cosines(model),
            "phase": "before",
            "pairs": [{"a": a, "b": b, "gold": None if gold is None else round(float(gold), 3)}
                      for a, b, gold in self.pairs],
        }

    def step(self, model, step: int):
        return None

    def evaluate(self, model, step: int):
        self.last = step
        return {"cos": self._cosines(model), "phase": "during"}

    def finish(self, model, step: int):
        return None if step == self.last else {"cos": self._cosines(model), "phase": "after"}


def probe(rows, config, total_steps: int, **_) -> Probe:
    pairs: list[tuple[str, str, float | None]] = list(sts_sample())
    pairs += [(a, b, None) for a, b in config.probe_pairs]
    return Probe(pairs)


def series(events: list[Event]) -> tuple[list[dict[str, Any]], list[int], np.ndarray]:
    """(pairs, steps, cosines[step, pair]) of the run's main training; a step evaluated twice keeps its last."""
    views = [e for e in events if isinstance(e, View) and e.name == "probes"]
    if not views:
        return [], [], np.zeros((0, 0))
    stage = views[-1].stage
    views = [v for v in views if v.stage == stage]
    pairs = next((v.data["pairs"] for v in views if "pairs" in v.data), [])
    by_step: dict[int, list[float]] = {}
    for v in views:
        if len(v.data.get("cos", [])) == len(pairs):
            by_step[v.step] = v.data["cos"]
    steps = sorted(by_step)
    return pairs, steps, np.asarray([by_step[s] for s in steps], dtype=float).reshape(len(steps), len(pairs))


def wrong_way(events: list[Event], top: int = 5) -> list[dict[str, Any]]:
    """The pairs that moved most against their gold score, base → last snapshot, relative to the mean move."""
    pairs, steps, cos = series(events)
    if len(steps) < 2:
        return []
    move = cos[-1] - cos[0]
    relative = move - move.mean()
    out = []
    for i, p in enumerate(pairs):
        gold = p.get("gold")
        if gold is None:
            continue
        against = -relative[i] if gold >= HIGH else relative[i] if gold <= LOW else 0.0
        if against > 0:
            out.append(
                {
                    "gold": round(float(gold), 2),
                    "cos before": round(float(cos[0, i]), 3),
                    "cos after": round(float(cos[-1, i]), 3),
                    "against the drift": round(float(against), 3),
                    "sentence 1": p["a"],
                    "sentence 2": p["b"],
                }
            )
    return sorted(out, key=lambda r: -r["against the drift"])[:top]


def figure(events: list[Event], folder=None):
    pairs, steps, cos = series(events)
    if not steps:
        return None
    import plotly.graph_objects as go  # lazy: only when a figure is drawn
    from plotly.colors import sample_colorscale

    fig = go.Figure()
    for i, p in enumerate(pairs):
        gold = p.get("gold")
        color = "#111827" if gold is None else sample_colorscale("RdYlBu", [gold / 5.0])[0]
        label = "yours" if gold is None else f"gold {gold:.1f}"
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=cos[:, i],
                mode="lines+markers",
                line={"color": color, "width": 2, "dash": "dash" if gold is None else "solid"},
                marker={"size": 5},
                name=label,
                showlegend=False,
                hovertemplate=f"{label}<br>{_hover(p['a'])}<br>{_hover(p['b'])}"
                "<br>step %{x}: cos %{y:.3f}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker={
                "colorscale": "RdYlBu",
                "cmin": 0,
                "cmax": 5,
                "color": [0],
                "showscale": True,
                "colorbar": {"title": {"text": "gold"}, "thickness": 12},
            },
        )
    )
    fig.update_layout(
        height=360,
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        hovermode="closest",
        xaxis={"title": {"text": "step (base = 0)"}},
        yaxis={"title": {"text": "cosine"}},
        title={"text": "Each line a pair; colour = gold score (dashed: yours)", "font": {"size": 13}},
    )
    return fig


def _hover(text: str) -> str:
    return text if len(text) <= 70 else text[:69] + "…"
