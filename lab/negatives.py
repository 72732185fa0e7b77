"""Hard negatives: mining with sentence-transformers' `mine_hard_negatives`, and the data for the negative explorer.

The miner is the bundled all-MiniLM-L6-v2 (loaded once per process). The corpus to mine from is the
rows' own positives and random negatives, so mined and random negatives come from the same pool.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab.knobs import Knob
from lab.models import load_model

KNOBS = (
    Knob("range_min", 0, 0, 1000, "Skip the k most similar candidates (they are often unlabelled positives).", True),
    Knob("range_max", 30, 1, 1000, "Only consider the k most similar candidates.", True),
    Knob("margin", 0.05, -1.0, 1.0, "A negative must score at least this much below the positive (semi-hard); below "
         "0 it may score up to that much above it (where false negatives hide)."),
    Knob("max_score", 0.85, 0.0, 1.0, "Discard candidates more similar than this to the anchor."),
    Knob("num_negatives", 1, 1, 10, "Mined negatives per anchor (each becomes its own triplet row).", True),
)
_lock = threading.Lock()


@functools.cache
def miner_model():
    return load_model("all-MiniLM-L6-v2")


def mine(rows: pd.DataFrame, seed: int, *, range_min: int = 0, range_max: int = 30, margin: float = 0.05,
         max_score: float = 0.85, num_negatives: int = 1, model=None) -> pd.DataFrame:
    """(anchor, positive, negative) rows whose negative is mined; anchors with no admissible candidate drop out."""
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    if rows.empty:
        return rows[["anchor", "positive", "negative"]]
    corpus = list(dict.fromkeys([*rows["positive"].astype(str), *rows["negative"].astype(str)]))
    with _lock:  # one mining at a time: it uses the shared miner model
        mined = mine_hard_negatives(
            Dataset.from_pandas(rows[["anchor", "positive"]], preserve_index=False),
            model or miner_model(),
            corpus=corpus,
            range_min=range_min,
            range_max=max(range_max, range_min + 1),
            max_score=max_score,
            absolute_margin=margin,
            num_negatives=num_negatives,
            sampling_strategy="top",
            output_format="triplet",
            batch_size=64,
            verbose=False,
        )
    out = mined.to_pandas()
    out.columns = ["anchor", "positive", "negative"]
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class NegativeReport:
    examples: pd.DataFrame  # one row per (anchor, kind): anchor, positive, kind, negative, score, pos_score, flag
    positive_scores: np.ndarray  # cos(anchor, positive) for every anchor
    random_scores: np.ndarray  # cos(anchor, random negative)
    mined_scores: np.ndarray  # cos(anchor, mined negative)
    likely_false_negatives: int  # negatives that score above their positive


def explore(rows: pd.DataFrame, seed: int, *, n_examples: int = 8, model=None, **knobs) -> NegativeReport:
    """Score positives, random negatives and mined negatives of the same anchors with the miner model."""
    model = model or miner_model()
    mined = mine(rows, seed, model=model, **knobs)
    anchors = rows["anchor"].astype(str).tolist()

    def cos(a: list[str], b: list[str]) -> np.ndarray:
        ea = model.encode(a, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)
        eb = model.encode(b, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)
        return (ea * eb).sum(axis=1)

    pos = cos(anchors, rows["positive"].astype(str).tolist())
    rnd = cos(anchors, rows["negative"].astype(str).tolist())
    hard = cos(mined["anchor"].tolist(), mined["negative"].tolist()) if len(mined) else np.zeros(0)
    pos_by_anchor = dict(zip(anchors, pos, strict=True))
    mined_pos = np.array([pos_by_anchor.get(a, np.nan) for a in mined["anchor"]])
    false_neg = int(np.sum(hard > mined_pos)) + int(np.sum(rnd > pos))

    examples = []
    chosen = rows.sample(n=min(n_examples, len(rows)), random_state=seed)
    for idx, row in chosen.iterrows():
        i = rows.index.get_loc(idx)
        base = {"anchor": row["anchor"], "positive": row["positive"], "positive score": float(pos[i])}
        examples.append({**base, "kind": "random", "negative": row["negative"], "negative score": float(rnd[i])})
        for j in np.flatnonzero(mined["anchor"].to_numpy() == row["anchor"]):
            examples.append({**base, "kind": "mined", "negative": mined["negative"].iloc[j],
                             "negative score": float(hard[j])})
    table = pd.DataFrame(examples)
    if not table.empty:
        table["likely false negative"] = table["negative score"] > table["positive score"]
    return NegativeReport(table, pos, rnd, hard, false_neg)
