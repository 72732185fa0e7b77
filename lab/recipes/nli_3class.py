"""`nli-3class`: NLI pairs with their 3-way label, for SoftmaxLoss (the original SBERT objective)."""

from __future__ import annotations

import pandas as pd

from lab.recipes.base import Recipe, clean_text, script_clean
from lab.sources import load_nli


def transform(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = clean_text(rows[rows["label"].isin([0, 1, 2])], ("premise", "hypothesis"))
    out = rows[["premise", "hypothesis"]].astype(str).copy()
    out["label"] = rows["label"].astype("int64")
    return out.reset_index(drop=True)


SCRIPT = """\
    raw = load_nli(args)
    raw = raw[raw["label"].isin([0, 1, 2])]
""" + script_clean("raw", ("premise", "hypothesis")) + """
    rows = pd.DataFrame({{"premise": raw["premise"].astype(str), "hypothesis": raw["hypothesis"].astype(str),
                         "label": raw["label"].astype("int64")}}).reset_index(drop=True)"""


RECIPE = Recipe(
    "nli-3class",
    "pair-class",
    "NLI pairs labelled entailment / neutral / contradiction (0/1/2) — for the softmax classifier loss.",
    load_nli,
    transform,
    script=SCRIPT,
)
