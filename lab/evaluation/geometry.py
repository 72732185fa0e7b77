"""The geometry of an embedding space, with fixed definitions so runs and models compare (Wang & Isola 2020):
embeddings are L2-normalised;
- alignment: the mean of ‖f(x) − f(y)‖² over the STS-B pairs whose gold score is ≥ 4.0 (of 5): lower = paraphrases
  sit closer;
- uniformity: log of the mean of exp(−2 ‖f(x) − f(y)‖²) over all pairs of distinct sentences among the unique
  sentences scored: lower = the sentences spread over the sphere;
- anisotropy: the mean cosine between those distinct sentences: near 1 = every embedding points the same way.
Pure numpy; computed from the embeddings the STS-B evaluator already made, so it costs no extra encoding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GEOMETRY_KEYS = ("alignment", "uniformity", "anisotropy")
ALIGNMENT_MIN_GOLD = 4.0  # on the 0–5 scale


def normalise(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def alignment(a, b) -> float:
    """Mean squared distance between the rows of `a` and `b` (positive pairs), after normalising."""
    a, b = normalise(a), normalise(b)
    return float(((a - b) ** 2).sum(axis=1).mean()) if len(a) else float("nan")


def _distinct_cosines(x) -> np.ndarray:
    x = normalise(x)
    gram = x @ x.T
    return gram[np.triu_indices(len(x), k=1)]


def uniformity(x) -> float:
    """log mean exp(−2 ‖u − v‖²) over distinct rows; ‖u − v‖² = 2 − 2 cos for unit vectors."""
    cos = _distinct_cosines(x)
    if not len(cos):
        return float("nan")
    t = -2.0 * (2.0 - 2.0 * cos)
    top = t.max()
    return float(top + np.log(np.exp(t - top).mean()))


def anisotropy(x) -> float:
    """Mean cosine between distinct rows."""
    cos = _distinct_cosines(x)
    return float(cos.mean()) if len(cos) else float("nan")


def geometry(emb1, emb2, sentences1: Sequence[str], sentences2: Sequence[str], gold: Sequence[float],
             gold_scale: float = 1.0) -> dict[str, float | None]:
    """The three numbers for one evaluation: pairs (emb1[i], emb2[i]) with gold scores on [0, gold_scale]
    (STS-B's evaluator holds score / 5, so gold_scale 1.0 means ≥ 0.8 here is ≥ 4.0 of 5)."""
    emb1, emb2 = np.asarray(emb1), np.asarray(emb2)
    gold = np.asarray(gold, dtype=float) * (5.0 / gold_scale)
    close = gold >= ALIGNMENT_MIN_GOLD
    unique: dict[str, np.ndarray] = {}
    for text, row in zip(list(sentences1) + list(sentences2), np.concatenate([emb1, emb2]), strict=True):
        unique.setdefault(text, row)
    every = np.stack(list(unique.values())) if unique else np.zeros((0, emb1.shape[1] if emb1.ndim == 2 else 1))
    out = {"alignment": alignment(emb1[close], emb2[close]), "uniformity": uniformity(every),
           "anisotropy": anisotropy(every)}
    return {k: (v if np.isfinite(v) else None) for k, v in out.items()}  # None: no pair ≥ 4.0 among few pairs
