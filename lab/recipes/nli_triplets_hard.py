"""`nli-triplets-hard`: entailment pairs whose negative is mined with the bundled MiniLM instead of drawn at random.

Mining runs after max_train_samples is applied (see Recipe.enrich), so a small run mines a small pool.
"""

from __future__ import annotations

import pandas as pd

from lab.negatives import KNOBS, mine
from lab.recipes.base import Recipe
from lab.recipes.nli_triplets import SCRIPT as RANDOM_NEGATIVES_SCRIPT
from lab.recipes.nli_triplets import transform as random_negatives
from lab.sources import load_nli


def enrich(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return mine(rows, seed, **knobs)


def transform(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return random_negatives(rows, seed)  # random negatives first: they join the mining pool


# As lab/negatives.py `mine`, after the limit (as enrich): the miner is all-MiniLM-L6-v2, the corpus the rows' own
# positives and random negatives.
SCRIPT = RANDOM_NEGATIVES_SCRIPT + """
    rows = limit_rows(rows, MAX_TRAIN_SAMPLES)  # mine after the limit: a small run mines a small pool
    # Each anchor's negative: mined with all-MiniLM-L6-v2 among the rows' positives and random negatives.
    corpus = list(dict.fromkeys([*rows["positive"].astype(str), *rows["negative"].astype(str)]))
    mined = mine_hard_negatives(
        Dataset.from_pandas(rows[["anchor", "positive"]], preserve_index=False),
        SentenceTransformer(MINILM),
        corpus=corpus,
        range_min={range_min},  # skip the most similar candidates (often unlabelled positives)
        range_max=max({range_max}, {range_min} + 1),  # consider only the top candidates
        max_score={max_score},  # discard candidates more similar than this to the anchor
        absolute_margin={margin},  # a negative must score this much below the positive
        num_negatives={num_negatives},
        sampling_strategy="top",
        output_format="triplet",
        batch_size=64,
        verbose=False,
    )
    rows = mined.to_pandas()
    rows.columns = ["anchor", "positive", "negative"]"""


RECIPE = Recipe(
    "nli-triplets-hard",
    "triplet",
    "Entailment pairs with a *mined* hard negative (bundled MiniLM; rank window, margin, max score) — for MNRL.",
    load_nli,
    transform,
    knobs=KNOBS,
    enrich=enrich,
    script=SCRIPT,
)
