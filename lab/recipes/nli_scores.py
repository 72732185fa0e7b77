"""`nli-scores`: NLI pairs scored 1.0 for entailment and 0.0 otherwise, for similarity-score losses."""

from __future__ import annotations

import pandas as pd

from lab.recipes.base import Recipe, clean_text, script_clean
from lab.sources import load_nli


def transform(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = clean_text(rows[rows["label"].isin([0, 1, 2])], ("premise", "hypothesis"))
    return pd.DataFrame(
        {
            "sentence1": rows["premise"].astype(str).to_numpy(),
            "sentence2": rows["hypothesis"].astype(str).to_numpy(),
            "score": (rows["label"] == 0).astype("float64").to_numpy(),
        }
    )


SCRIPT = """\
    raw = load_nli(args)
    raw = raw[raw["label"].isin([0, 1, 2])]
""" + script_clean("raw", ("premise", "hypothesis")) + """
    # Entailment = 1.0, neutral/contradiction = 0.0.
    rows = pd.DataFrame({{"sentence1": raw["premise"].astype(str).to_numpy(),
                         "sentence2": raw["hypothesis"].astype(str).to_numpy(),
                         "score": (raw["label"] == 0).astype("float64").to_numpy()}})"""


RECIPE = Recipe(
    "nli-scores",
    "pair-score",
    "NLI pairs with score 1.0 for entailment, 0.0 for neutral/contradiction — for cosine/CoSENT/AnglE.",
    load_nli,
    transform,
    script=SCRIPT,
)
