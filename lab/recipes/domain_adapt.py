"""`domain-adapt`: the data and knobs of the domain-adaptation pipeline (run by lab/pipelines/domain_adapt.py).

Its rows are the supervised stage's `nli-triplets`; the MedQuAD sentences of the TSDAE stage come from the
`tsdae-medquad` recipe, sized by the knobs here.
"""

from __future__ import annotations

import pandas as pd

from lab.knobs import Knob
from lab.recipes.base import Recipe
from lab.recipes.nli_triplets import SCRIPT as RANDOM_NEGATIVES_SCRIPT
from lab.recipes.nli_triplets import transform as random_negatives
from lab.sources import load_nli

KNOBS = (
    Knob("tsdae_samples", 1000, 10, 10000, "Unlabelled MedQuAD sentences for the TSDAE stage.", True),
    Knob("del_ratio", 0.6, 0.0, 0.95, "TSDAE deletion noise: probability of deleting each word."),
    Knob("eval_queries", 500, 10, 1500, "MedQuAD questions in the retrieval evaluation (answers: as many).", True),
)


def transform(rows: pd.DataFrame, seed: int, **knobs) -> pd.DataFrame:
    return random_negatives(rows, seed)


RECIPE = Recipe(
    "domain-adapt",
    "triplet",
    "Domain adaptation: TSDAE on MedQuAD, then fine-tuning on NLI; vs fine-tuning alone, on MedQuAD retrieval.",
    load_nli,
    transform,
    knobs=KNOBS,
    script=RANDOM_NEGATIVES_SCRIPT,
)
