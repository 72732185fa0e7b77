"""`nli-triplets-hard`: entailment pairs whose negative is mined with the bundled MiniLM instead of drawn at random.

Mining runs after max_train_samples is applied (see Recipe.enrich), so a small run mines a small pool.
"""

from __future__ import annotations

import pandas as pd

from lab.negatives import KNOBS, mine
from lab.recipes.base import Recipe
from lab.recipes.nli_triplets import transform as random_negatives
from lab.sources import load_nli


def enrich(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return mine(rows, seed, **knobs)


def transform(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return random_negatives(rows, seed)  # random negatives first: they join the mining pool


RECIPE = Recipe(
    "nli-triplets-hard",
    "triplet",
    "Entailment pairs with a *mined* hard negative (bundled MiniLM; rank window, margin, max score) — for MNRL.",
    load_nli,
    transform,
    knobs=KNOBS,
    enrich=enrich,
)
