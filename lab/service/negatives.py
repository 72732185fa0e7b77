"""The negative explorer's data: mine hard negatives for a sample of NLI anchors and score them against the
positive and the random negative (lab.negatives does the work; the miner model loads on first use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lab import charts
from lab.knobs import resolve_knobs, whole_number
from lab.negatives import KNOBS, explore
from lab.recipes import prepare

MAX_ANCHORS = 2000  # scoring is ~3 encodes of this many sentences plus the mining: seconds on 2 CPU cores


@dataclass(frozen=True)
class NegativeView:
    examples: pd.DataFrame  # anchor, positive, positive score, kind, negative, negative score, likely false negative
    figure: Any  # plotly overlaid histograms of positive / random / mined scores
    summary: str  # markdown: counts, means, how many likely false negatives


def knob_info() -> list[tuple[str, float, str, bool, float, float]]:
    """(name, default, help, integer, low, high) of each mining knob, for the form."""
    return [(k.name, k.default, k.help, k.integer, k.low, k.high) for k in KNOBS]


def explore_negatives(anchors: int = 300, seed: int = 42, n_examples: int = 8, **knobs: Any) -> NegativeView:
    """Mine and score negatives for `anchors` NLI triplets (bundled data, so it never waits on the Hub)."""
    anchors = whole_number(anchors, "Anchors", 10, MAX_ANCHORS)
    seed = whole_number(seed, "Seed", 0, 2**31 - 1)
    params = resolve_knobs("the negative explorer", KNOBS, {k: v for k, v in knobs.items() if v is not None})
    rows = prepare("nli-triplets", seed=int(seed), max_rows=int(anchors), data_source="offline").rows
    report = explore(rows, int(seed), n_examples=int(n_examples), **params)
    figure = charts.score_histogram(report.positive_scores, report.random_scores, report.mined_scores)
    table = report.examples.copy()
    for col in ("positive score", "negative score"):
        if col in table:
            table[col] = table[col].round(3)
    if "likely false negative" in table:
        table["likely false negative"] = table["likely false negative"].map({True: "⚠ yes", False: ""})

    def mean(values) -> str:
        return f"{float(values.mean()):.3f}" if len(values) else "—"

    mined = len(report.mined_scores)
    summary = (
        f"**{len(rows):,} anchors** · mean cosine to the anchor: positive **{mean(report.positive_scores)}**, "
        f"random negative **{mean(report.random_scores)}**, mined negative **{mean(report.mined_scores)}** "
        f"({mined:,} mined; anchors without an admissible candidate get none). "
        f"**{report.likely_false_negatives:,} likely false negatives**: negatives that score *above* their "
        "positive — often a paraphrase of it, which the loss would then push away."
    )
    return NegativeView(table, figure, summary)
