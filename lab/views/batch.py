"""The in-batch similarity matrix of a loss with in-batch negatives (MNRL and its kin): for a fixed "watch batch"
of the run's own rows, every few steps, scale × cos(anchor_i, candidate_j) over the batch's positives (and hard
negatives). The positives are the diagonal; the loss is the cross-entropy of each row's softmax with its diagonal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lab.evaluation.geometry import normalise
from lab.events import Event, View
from lab.losses import LOSSES

TITLE = "In-batch similarity matrix"
LEARN = (
    "For a fixed batch of the run's own rows, each cell is scale × cos(anchor i, candidate j); the candidates "
    "are the batch's positives, then its hard negatives. MNRL is a softmax over each row with the diagonal as "
    "the right answer: as training goes on the diagonal lights up and the rest of the row fades. Scale sharpens "
    "the softmax (20 = temperature 0.05); a bigger batch adds negatives, so each row is a harder choice."
)
MAX_ROWS = 32  # rows shown (and stored) of a larger batch
SNAPSHOTS = 12  # snapshots over a run at most, plus the base model's and the last step's
STEPS_PER_SNAPSHOT = 8  # one costs about a third of a training step (forward only): ≤ 1 per 8 steps keeps it ≤ 5 %
TEXT_CHARS = 60


def applies(loss: str) -> bool:
    return LOSSES[loss].batch_sampler == "no_duplicates"


def scale_of(config) -> float:
    """The loss's scale on cosine: its `scale`, or 1 / temperature (GISTEmbed), else MNRL's default 20."""
    params = config.loss_params or {}
    if params.get("scale"):
        return float(params["scale"])
    if params.get("temperature"):
        return 1.0 / float(params["temperature"])
    return 20.0


def watch_rows(rows, batch_size: int, seed: int) -> list[list[str]]:
    """A fixed batch of the run's rows (text columns only, no text twice, as the no-duplicates sampler batches)."""
    columns = [c for c in rows.columns if c not in ("label", "score")]
    seen: set[str] = set()
    picked: list[list[str]] = []
    for values in rows.sample(frac=1.0, random_state=seed)[columns].itertuples(index=False):
        texts = [str(v) for v in values]
        if any(t in seen for t in texts):
            continue
        seen.update(texts)
        picked.append(texts)
        if len(picked) == min(batch_size, MAX_ROWS):
            break
    return picked


def matrix(anchors: np.ndarray, candidates: np.ndarray, scale: float) -> np.ndarray:
    """scale × cosine of every anchor with every candidate."""
    return scale * (normalise(anchors) @ normalise(candidates).T)


def top1_share(sim: np.ndarray) -> float:
    """The share of rows whose own positive (the diagonal) is the row's largest entry."""
    return float(np.mean(sim.argmax(axis=1) == np.arange(len(sim)))) if len(sim) else float("nan")


def row_softmax(sim: np.ndarray) -> np.ndarray:
    z = sim - sim.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Probe:
    def __init__(self, rows: list[list[str]], scale: float, batch_size: int, total_steps: int):
        self.rows, self.scale, self.batch_size = rows, scale, batch_size
        snapshots = min(SNAPSHOTS, max(2, total_steps // STEPS_PER_SNAPSHOT))
        self.every = max(1, math.ceil(total_steps / snapshots))
        self.last = -1

    def _snapshot(self, model, step: int, first: bool = False) -> dict[str, Any]:
        import torch  # lazy: the training process has it already

        anchors = [r[0] for r in self.rows]
        candidates = [r[1] for r in self.rows] + [t for r in self.rows for t in r[2:]]
        with torch.no_grad():
            emb = model.encode(anchors + candidates, batch_size=64, show_progress_bar=False, convert_to_numpy=True)
        emb = np.asarray(emb, dtype=np.float64)
        sim = matrix(emb[: len(anchors)], emb[len(anchors) :], self.scale)
        self.last = step
        data: dict[str, Any] = {"matrix": np.round(sim, 3).tolist(), "top1": top1_share(sim)}
        if first:
            data.update(
                scale=self.scale,
                batch_size=self.batch_size,
                anchors=[_short(t) for t in anchors],
                candidates=[_short(t) for t in candidates],
                positives=len(self.rows),
            )
        return data

    def start(self, model, step: int):
        return self._snapshot(model, step, first=True)

    def step(self, model, step: int):
        return self._snapshot(model, step) if step % self.every == 0 and step != self.last else None

    def evaluate(self, model, step: int):
        return None

    def finish(self, model, step: int):
        return self._snapshot(model, step) if step != self.last else None


def probe(rows, config, total_steps: int, **_) -> Probe | None:
    if not applies(config.loss):
        return None
    picked = watch_rows(rows, config.batch_size, config.seed)
    if len(picked) < 2 or len(picked[0]) < 2:
        return None
    return Probe(picked, scale_of(config), config.batch_size, total_steps)


def _short(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def snapshots(events: list[Event]) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
    """(the first snapshot's texts and settings, [(step, snapshot)]) of the run's main training (its last stage)."""
    views = [e for e in events if isinstance(e, View) and e.name == "batch"]
    if not views:
        return {}, []
    stage = views[-1].stage
    views = [v for v in views if v.stage == stage]
    head = next((v.data for v in views if "anchors" in v.data), {})
    return head, [(v.step, v.data) for v in views]


def figure(events: list[Event], folder=None):
    """A heatmap with a step slider (each step's matrix and its row-wise softmax on hover)."""
    head, shots = snapshots(events)
    if not shots or not head:
        return None
    import plotly.graph_objects as go  # lazy: only when a figure is drawn

    n_pos = int(head.get("positives", 0))
    cols = [f"{'+' if j < n_pos else '−'}{(j % n_pos) + 1 if n_pos else j + 1}" for j in range(len(head["candidates"]))]
    rows = [f"a{i + 1}" for i in range(len(head["anchors"]))]
    hover_text = [[f"anchor: {a}<br>candidate: {c}" for c in head["candidates"]] for a in head["anchors"]]

    def layer(data):
        sim = np.asarray(data["matrix"], dtype=float)
        return sim, np.round(row_softmax(sim), 3)

    def title(step, data):
        return (
            f"step {step}: the positive is its row's top-1 in {data['top1']:.0%} of rows "
            f"(scale {head.get('scale', 20):g}, {len(rows)} rows × {len(cols)} candidates)"
        )

    sim0, soft0 = layer(shots[-1][1])
    fig = go.Figure(
        go.Heatmap(
            z=sim0,
            x=cols,
            y=rows,
            customdata=soft0,
            text=hover_text,
            colorscale="Viridis",
            colorbar={"title": {"text": "scale·cos"}, "thickness": 12},
            hovertemplate="%{text}<br>scale·cos %{z:.2f} · row softmax %{customdata:.3f}<extra></extra>",
        )
    )
    steps = []
    for step, data in shots:
        sim, soft = layer(data)
        steps.append(
            {
                "label": str(step),
                "method": "update",
                "args": [{"z": [sim.tolist()], "customdata": [soft.tolist()]}, {"title.text": title(step, data)}],
            }
        )
    fig.update_layout(
        title={"text": title(*shots[-1]), "font": {"size": 13}},
        height=460,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        yaxis={"autorange": "reversed", "title": {"text": "anchor"}},
        xaxis={"title": {"text": "candidate (+i: row i's positive, −i: its hard negative)"}},
        sliders=[{"active": len(steps) - 1, "steps": steps, "currentvalue": {"prefix": "step "}, "pad": {"t": 45}}],
    )
    return fig
