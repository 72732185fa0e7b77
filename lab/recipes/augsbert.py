"""`augsbert`: the data and knobs of the Augmented SBERT pipeline (run by lab/pipelines/augsbert.py).

Its rows are those of `nli-scores` (the pairs the pipeline splits into gold and silver), so previews and loss
checks work as for any recipe; the knobs are the pipeline's.
"""

from __future__ import annotations

import pandas as pd

from lab.knobs import Knob
from lab.recipes.base import Recipe
from lab.recipes.nli_scores import SCRIPT as NLI_SCORES_SCRIPT
from lab.recipes.nli_scores import transform as nli_scores_transform
from lab.sources import load_nli

KNOBS = (
    Knob("gold_fraction", 0.2, 0.05, 0.9, "Share of the pairs kept as labelled gold (the chapter: 10k of 50k)."),
    Knob("ce_epochs", 3, 1, 10, "Cross-encoder training epochs (a cross-encoder needs more passes over small gold).",
         True),
    Knob("ce_lr", 5e-5, 1e-6, 1e-3, "Cross-encoder learning rate (its classifier head starts from scratch)."),
)


def transform(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return nli_scores_transform(rows, seed)


RECIPE = Recipe(
    "augsbert",
    "pair-score",
    "Augmented SBERT: a cross-encoder trained on gold pairs labels silver pairs; bi-encoder on gold+silver vs gold.",
    load_nli,
    transform,
    knobs=KNOBS,
    script=NLI_SCORES_SCRIPT,
)
