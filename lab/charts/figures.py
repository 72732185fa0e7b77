"""Plotly figures (plotly imported only when one is drawn): the projection scatter and the negative explorer's
score histogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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
