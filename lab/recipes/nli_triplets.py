"""`nli-triplets`: entailment pairs plus a random hypothesis as a soft negative (the chapter's MNRL recipe)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.recipes.base import Recipe, clean_text, script_clean
from lab.sources import load_nli


def transform(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = clean_text(rows, ("premise", "hypothesis"))
    hypotheses = rows["hypothesis"].astype(str).to_numpy()
    pairs = rows[rows["label"] == 0]
    anchors = pairs["premise"].astype(str).to_numpy()
    positives = pairs["hypothesis"].astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    negatives = hypotheses[rng.integers(0, len(hypotheses), size=len(pairs))] if len(pairs) else positives
    # A negative that happens to equal its own positive teaches nothing: draw again for those.
    for _ in range(10):
        same = negatives == positives
        if not same.any() or len(set(hypotheses)) < 2:
            break
        negatives[same] = hypotheses[rng.integers(0, len(hypotheses), size=int(same.sum()))]
    return pd.DataFrame({"anchor": anchors, "positive": positives, "negative": negatives})


SCRIPT = """\
    raw = load_nli(args)
""" + script_clean("raw", ("premise", "hypothesis")) + """
    # Entailment pairs are (anchor, positive); a random hypothesis is the (soft) negative.
    hypotheses = raw["hypothesis"].astype(str).to_numpy()
    pairs = raw[raw["label"] == 0]
    anchors, positives = pairs["premise"].astype(str).to_numpy(), pairs["hypothesis"].astype(str).to_numpy()
    rng = np.random.default_rng(SEED)
    negatives = hypotheses[rng.integers(0, len(hypotheses), size=len(pairs))] if len(pairs) else positives
    for _ in range(10):  # a negative equal to its own positive teaches nothing: draw again
        same = negatives == positives
        if not same.any() or len(set(hypotheses)) < 2:
            break
        negatives[same] = hypotheses[rng.integers(0, len(hypotheses), size=int(same.sum()))]
    rows = pd.DataFrame({{"anchor": anchors, "positive": positives, "negative": negatives}})"""


RECIPE = Recipe(
    "nli-triplets",
    "triplet",
    "Entailment pairs (premise → hypothesis) with a random hypothesis as the soft negative — for MNRL.",
    load_nli,
    transform,
    script=SCRIPT,
)
