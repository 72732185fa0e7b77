"""`nli-triplets-hard`: entailment pairs whose negative is mined with the bundled MiniLM instead of drawn at random.

Mining runs after max_train_samples is applied (see Recipe.enrich), so a small run mines a small pool.
"""

from __future__ import annotations

import pandas as pd

from lab.recipes import nli_triplets
from lab.recipes.base import Recipe
from lab.sources import load_nli


def enrich(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    from lab.negatives import mine

    return mine(rows, seed, **knobs)


def transform(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return nli_triplets.transform(rows, seed)  # random negatives first: they join the mining pool


def _knobs():
    from lab.negatives import KNOBS

    return KNOBS


RECIPE = Recipe(
    "nli-triplets-hard",
    "triplet",
    "Entailment pairs with a *mined* hard negative (bundled MiniLM; rank window, margin, max score) — for MNRL.",
    load_nli,
    transform,
    knobs=_knobs(),
    enrich=enrich,
)
