"""The embedding map, linked to training: a fixed sample (STS-B pairs across the score range and Banking77 sentences
of a few intents) embedded by the base model, at every evaluation and by the final model, and drawn with ONE
projection fitted on all those snapshots together (PCA of the stacked, normalised embeddings, each snapshot centred
on its own mean), so a point's motion
from one step to the next is the model's, not a new fit's. STS-B pairs are segments (short = the model finds them
similar) coloured by gold score; Banking77 points are coloured by intent. The embeddings are kept beside the run's
events (views/map-<step>.npy, float16): too big for the event log, small on disk (~100 KB a snapshot).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from lab.events import Event, View
from lab.sources import load_banking77, load_stsb

TITLE = "Embedding map over training"
LEARN = ("The same sentences embedded by the base model, at every evaluation and by the final model, drawn with one "
         "projection fitted on all of those snapshots together, so movement is the model's doing. Each STS-B pair is "
         "a segment coloured by its gold score: training should shorten the high-score (blue) segments and lengthen "
         "the low-score (red) ones; Banking77 sentences of one intent should gather. Press Play, or click the loss "
         "curve to jump to a step.")
STS_PAIRS = 15  # 3 per gold band
INTENTS = 4
PER_INTENT = 5  # 50 sentences: a snapshot costs a tenth of an evaluation of 200 STS-B pairs
MAX_SNAPSHOTS = 64
MAX_FILE_BYTES = 4 * 1024 * 1024
_FILE = re.compile(r"map-\d{6}(?:-[a-z0-9+-]{1,24})?\.npy")
BANDS = [(0.0, 1.0, "#b91c1c"), (1.0, 2.0, "#f97316"), (2.0, 3.0, "#eab308"), (3.0, 4.0, "#60a5fa"),
         (4.0, 5.01, "#1e3a8a")]


def sample(seed: int = 0) -> dict[str, Any]:
    """The fixed sample: STS-B validation pairs (6 per gold band) and Banking77 test sentences of a few intents."""
    rng = np.random.default_rng(seed)
    stsb, _ = load_stsb("validation")
    pairs = []
    for low, high, _ in BANDS:
        band = stsb[(stsb["score"] >= low) & (stsb["score"] < high)]
        for i in sorted(rng.choice(len(band), size=min(STS_PAIRS // len(BANDS), len(band)), replace=False)):
            r = band.iloc[int(i)]
            pairs.append({"a": str(r["sentence1"]), "b": str(r["sentence2"]), "gold": round(float(r["score"]), 2)})
    bank, _ = load_banking77("test")
    intents = sorted(rng.choice(sorted(bank["label_text"].unique()), size=INTENTS, replace=False).tolist())
    sentences = []
    for intent in intents:
        rows = bank[bank["label_text"] == intent]
        for i in sorted(rng.choice(len(rows), size=min(PER_INTENT, len(rows)), replace=False)):
            sentences.append({"text": str(rows.iloc[int(i)]["text"]), "intent": intent})
    return {"pairs": pairs, "banking": sentences}


def texts(s: dict[str, Any]) -> list[str]:
    return [p["a"] for p in s["pairs"]] + [p["b"] for p in s["pairs"]] + [b["text"] for b in s["banking"]]


class Probe:
    def __init__(self, folder: Path, stage: str):
        self.folder, self.stage = folder, stage
        self.sample = sample()
        self.texts = texts(self.sample)
        self.last = -1  # the step of the last snapshot: the final evaluation's is the final model's too

    def _snapshot(self, model, step: int, phase: str, first: bool = False):
        import torch  # lazy: the training process has it already

        with torch.no_grad():
            emb = np.asarray(model.encode(self.texts, batch_size=64, show_progress_bar=False), dtype=np.float32)
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"map-{step:06d}" + (f"-{_slug(self.stage)}" if self.stage else "") + ".npy"
        np.save(self.folder / name, emb.astype(np.float16), allow_pickle=False)
        data: dict[str, Any] = {"file": name, "phase": phase, "rows": len(self.texts)}
        if first:
            data["sample"] = self.sample
        return data

    def start(self, model, step: int):
        return self._snapshot(model, step, "before", first=True)

    def step(self, model, step: int):
        return None

    def evaluate(self, model, step: int):
        self.last = step
        return self._snapshot(model, step, "during")

    def finish(self, model, step: int):
        return None if step == self.last else self._snapshot(model, step, "after")


def probe(rows, config, total_steps: int, folder: Path | None = None, stage: str = "") -> Probe | None:
    return Probe(folder, stage) if folder is not None else None


def _slug(stage: str) -> str:
    return re.sub(r"[^a-z0-9+-]", "-", stage.lower())[:24]


def snapshots(events: list[Event], folder: Path | None) -> tuple[dict[str, Any], list[int], np.ndarray]:
    """(sample, steps, embeddings[snapshot, row, dim]) of the run's main training, read from its view files; files
    that are missing, oversized, oddly named or of the wrong shape are skipped."""
    views = [e for e in events if isinstance(e, View) and e.name == "map"]
    if not views or folder is None:
        return {}, [], np.zeros((0, 0, 0))
    stage = views[-1].stage
    views = [v for v in views if v.stage == stage]
    head = next((v.data["sample"] for v in views if "sample" in v.data), None)
    if not head:
        return {}, [], np.zeros((0, 0, 0))
    n = len(texts(head))
    steps, arrays = [], {}
    for v in views[-MAX_SNAPSHOTS:]:
        name = str(v.data.get("file", ""))
        path = folder / name
        try:
            if not _FILE.fullmatch(name) or path.stat().st_size > MAX_FILE_BYTES:
                continue
            emb = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            continue
        if emb.ndim != 2 or emb.shape[0] != n or not np.isfinite(emb).all():
            continue
        if v.step not in arrays:
            steps.append(v.step)
        arrays[v.step] = emb.astype(np.float32)
    if not steps or len({a.shape for a in arrays.values()}) != 1:
        return head, [], np.zeros((0, 0, 0))
    return head, steps, np.stack([arrays[s] for s in steps])


def joint_projection(stack: np.ndarray) -> np.ndarray:
    """[snapshot, row, dim] → [snapshot, row, 2]: one PCA fitted on every snapshot's rows together, each snapshot
    centred on its own mean first (a random BERT puts every sentence near one direction; without this the first
    axis is only that common direction drifting, and the structure inside a snapshot is squeezed into a line)."""
    k, n, d = stack.shape
    centred = (stack - stack.mean(axis=1, keepdims=True)).reshape(k * n, d).astype(np.float64)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    if out.shape[1] < 2:
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    return out.reshape(k, n, 2)


def figure(events: list[Event], folder: Path | None = None, active: float | None = None):
    """Segments for STS-B pairs (one trace per gold band), points per Banking77 intent, and a step slider; `active`:
    the step to show first (the nearest snapshot; default the last)."""
    head, steps, stack = snapshots(events, folder)
    if not steps:
        return None
    import plotly.graph_objects as go  # lazy: only when a figure is drawn

    xy = joint_projection(stack)
    pairs, banking = head["pairs"], head["banking"]
    n_pairs = len(pairs)
    intents = sorted({b["intent"] for b in banking})
    pad = 0.05 * (np.ptp(xy[..., 0]) + np.ptp(xy[..., 1]) + 1e-9)
    x_range = [float(xy[..., 0].min() - pad), float(xy[..., 0].max() + pad)]
    y_range = [float(xy[..., 1].min() - pad), float(xy[..., 1].max() + pad)]

    def traces_xy(k: int) -> tuple[list[list[float | None]], list[list[float | None]]]:
        xs, ys = [], []
        for low, high, _ in BANDS:
            x: list[float | None] = []
            y: list[float | None] = []
            for i, p in enumerate(pairs):
                if low <= p["gold"] < high:
                    a, b = xy[k, i], xy[k, n_pairs + i]
                    x += [float(a[0]), float(b[0]), None]
                    y += [float(a[1]), float(b[1]), None]
            xs.append(x)
            ys.append(y)
        for intent in intents:
            idx = [2 * n_pairs + j for j, b in enumerate(banking) if b["intent"] == intent]
            xs.append([float(v) for v in xy[k, idx, 0]])
            ys.append([float(v) for v in xy[k, idx, 1]])
        return xs, ys

    shown = len(steps) - 1 if active is None else int(np.argmin([abs(s - active) for s in steps]))
    xs, ys = traces_xy(shown)
    fig = go.Figure()
    for (low, high, color), x, y in zip(BANDS, xs, ys, strict=False):
        hover = [f"gold {p['gold']:.1f}: {_short(p['a'])} ↔ {_short(p['b'])}" for p in pairs if low <= p["gold"] < high]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", line={"color": color, "width": 2},
                                 marker={"size": 5, "color": color}, name=f"STS-B gold {low:.0f}–{min(high, 5):.0f}",
                                 text=[h for h in hover for _ in range(3)], hovertemplate="%{text}<extra></extra>"))
    for intent, x, y in zip(intents, xs[len(BANDS):], ys[len(BANDS):], strict=True):
        hover = [_short(b["text"]) for b in banking if b["intent"] == intent]
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker={"size": 8, "symbol": "diamond"},
                                 name=f"Banking77: {intent}", text=hover, hovertemplate="%{text}<extra></extra>"))
    slider_steps = []
    for k, step in enumerate(steps):
        sx, sy = traces_xy(k)
        slider_steps.append({"label": str(step), "method": "update",
                             "args": [{"x": sx, "y": sy}, {"title.text": _title(step, steps)}]})
    fig.update_layout(
        title={"text": _title(steps[shown], steps), "font": {"size": 13}}, height=520,
        margin={"l": 30, "r": 10, "t": 40, "b": 30}, hovermode="closest",
        xaxis={"range": x_range, "showticklabels": False, "zeroline": False},
        yaxis={"range": y_range, "showticklabels": False, "zeroline": False, "scaleanchor": "x"},
        legend={"font": {"size": 10}},
        sliders=[{"active": shown, "steps": slider_steps, "currentvalue": {"prefix": "step "}, "pad": {"t": 20}}])
    return fig


def _title(step: int, steps: list[int]) -> str:
    which = "base model" if step == steps[0] else "final model" if step == steps[-1] else "evaluation"
    return f"step {step} ({which}): one PCA fitted on all {len(steps)} snapshots together (each centred)"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"
