"""`tsdae` and `tsdae-medquad`: unlabelled sentences with deletion noise, as (damaged, original) pairs.

Deletion noise as in TSDAE (Wang et al., 2021): every word is dropped with probability `del_ratio`
(0.6 in the paper), keeping at least one; the encoder sees the damaged text and a decoder tied to it
must rebuild the original from the single sentence embedding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.knobs import Knob
from lab.recipes.base import Recipe
from lab.sources import load_medquad_sentences, load_nli

DEL_RATIO = Knob("del_ratio", 0.6, 0.0, 0.95, "Probability of deleting each word (TSDAE paper: 0.6).")


def delete_words(text: str, del_ratio: float, rng: np.random.Generator) -> str:
    words = text.split()
    if not words:
        return text
    keep = rng.random(len(words)) > del_ratio
    if not keep.any():
        keep[rng.integers(len(words))] = True
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


def add_noise(sentences: pd.Series, seed: int, del_ratio: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    originals = [s.strip() for s in sentences.dropna().astype(str) if s.strip()]
    originals = list(dict.fromkeys(originals))  # unique, first-seen order
    return pd.DataFrame({"damaged": [delete_words(s, del_ratio, rng) for s in originals], "original": originals})


# add_noise as lines of a script template, on the script's `sentences` (a Series).
SCRIPT_NOISE = """
    # Deletion noise (TSDAE): drop each word with probability {del_ratio}, keeping at least one.
    rng = np.random.default_rng(SEED)
    originals = list(dict.fromkeys(s.strip() for s in sentences.dropna().astype(str) if s.strip()))
    damaged = []
    for text in originals:
        words = text.split()
        keep = rng.random(len(words)) > {del_ratio}
        if not keep.any():
            keep[rng.integers(len(words))] = True
        damaged.append(" ".join(w for w, k in zip(words, keep, strict=True) if k))
    rows = pd.DataFrame({{"damaged": damaged, "original": originals}})"""


def nli_sentences_transform(rows: pd.DataFrame, seed: int, del_ratio: float = 0.6) -> pd.DataFrame:
    return add_noise(pd.concat([rows["premise"], rows["hypothesis"]], ignore_index=True), seed, del_ratio)


def medquad_transform(rows: pd.DataFrame, seed: int, del_ratio: float = 0.6) -> pd.DataFrame:
    return add_noise(rows["text"], seed, del_ratio)


RECIPE = Recipe(
    "tsdae",
    "denoise",
    "Unlabelled NLI sentences with deletion noise — TSDAE, unsupervised (no labels used).",
    load_nli,
    nli_sentences_transform,
    knobs=(DEL_RATIO,),
    script="""\
    raw = load_nli(args)
    sentences = pd.concat([raw["premise"], raw["hypothesis"]], ignore_index=True)""" + SCRIPT_NOISE,
)

MEDQUAD_RECIPE = Recipe(
    "tsdae-medquad",
    "denoise",
    "Unlabelled medical sentences (MedQuAD) with deletion noise — TSDAE on a target domain.",
    lambda mode: load_medquad_sentences(),
    medquad_transform,
    knobs=(DEL_RATIO,),
    script="""\
    sentences = load_medquad_sentences(args)["text"]""" + SCRIPT_NOISE,
)
