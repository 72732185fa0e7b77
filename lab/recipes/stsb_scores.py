"""`stsb-scores`: STS-B train pairs with the gold score scaled from 0–5 to 0–1."""

from __future__ import annotations

import pandas as pd

from lab.recipes.base import Recipe, clean_text, script_clean
from lab.sources import load_stsb


def transform(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = clean_text(rows, ("sentence1", "sentence2"))
    return pd.DataFrame(
        {
            "sentence1": rows["sentence1"].astype(str).to_numpy(),
            "sentence2": rows["sentence2"].astype(str).to_numpy(),
            "score": (rows["score"].astype("float64") / 5.0).to_numpy(),
        }
    )


SCRIPT = """\
    raw = load_stsb(args, "train")  # = sentence-transformers/stsb train (the lab keeps the 0–5 scores)
""" + script_clean("raw", ("sentence1", "sentence2")) + """
    # Gold similarity 0–5 scaled to 0–1.
    rows = pd.DataFrame({{"sentence1": raw["sentence1"].astype(str).to_numpy(),
                         "sentence2": raw["sentence2"].astype(str).to_numpy(),
                         "score": (raw["score"].astype("float64") / 5.0).to_numpy()}})"""


RECIPE = Recipe(
    "stsb-scores",
    "pair-score",
    "STS-B train pairs with gold similarity / 5 — supervised STS (note: same task as the evaluation).",
    lambda mode: load_stsb("train"),
    transform,
    script=SCRIPT,
)
