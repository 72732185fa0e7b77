"""STS-B evaluation with EmbeddingSimilarityEvaluator: pearson/spearman for cosine, euclidean, manhattan, dot,
the spread a score has on a subset of pairs (a bootstrap band), and the space's geometry (alignment, uniformity,
anisotropy) from the same embeddings."""

from __future__ import annotations

import time

import numpy as np

from lab.evaluation.geometry import geometry
from lab.sources import load_stsb

SIMILARITIES = ("cosine", "euclidean", "manhattan", "dot")
METRIC_KEYS = tuple(f"{stat}_{sim}" for sim in SIMILARITIES for stat in ("pearson", "spearman"))
MAIN_METRIC = "spearman_cosine"
BOOTSTRAP_ROUNDS = 200


def bootstrap_band(gold, predicted, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> float:
    """Half the width of the 95 % bootstrap interval of spearman(gold, predicted), pairs resampled with replacement:
    how far the score moves from which pairs happen to be in a sample of this size, with the model unchanged."""
    from scipy.stats import spearmanr

    gold, predicted = np.asarray(gold, dtype=float), np.asarray(predicted, dtype=float)
    if len(gold) < 3:
        return float("nan")
    idx = np.random.default_rng(seed).integers(0, len(gold), size=(rounds, len(gold)))
    values = np.array([spearmanr(gold[i], predicted[i]).statistic for i in idx])
    lo, hi = np.nanpercentile(values, [2.5, 97.5])
    return float((hi - lo) / 2)


def sts_pairs(split: str = "validation", max_pairs: int | None = None) -> tuple[list[str], list[str], list[float]]:
    """The split's sentence pairs and gold scores scaled to [0, 1] (score / 5), in file order; with `max_pairs`, a
    fixed random sample of that many (seed 0, kept in file order). Not the first pairs: the split is ordered by
    source (captions first), and its first 200 pairs score MiniLM 0.936 where the whole split gives 0.867."""
    df, _ = load_stsb(split)
    if max_pairs and max_pairs < len(df):
        df = df.sample(n=max_pairs, random_state=0).sort_index()
    return df["sentence1"].astype(str).tolist(), df["sentence2"].astype(str).tolist(), (df["score"] / 5.0).tolist()


def make_evaluator(split: str = "validation", max_pairs: int | None = None, batch_size: int = 64):
    """An evaluator that also records how long each call took (`last_elapsed_s`), to separate eval from train time."""
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    class TimedEvaluator(EmbeddingSimilarityEvaluator):
        """Also keeps how long the last call took, the bootstrap band of its spearman_cosine (`last_band`) and the
        geometry of the embeddings it made (`last_geometry`: alignment, uniformity, anisotropy)."""

        last_elapsed_s = 0.0
        total_elapsed_s = 0.0
        last_band = float("nan")
        last_geometry: dict[str, float] | None = None
        last_cosines = None
        pairs = 0
        subset = False

        def __call__(self, *args, **kwargs):
            t0 = time.perf_counter()
            self._embedded = []
            try:
                return super().__call__(*args, **kwargs)
            finally:
                if len(self._embedded) == 2:  # counted as evaluation time, not training time
                    a, b = (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12) for x in self._embedded)
                    self.last_cosines = (a * b).sum(axis=1)  # per pair, in the evaluator's order
                    self.last_band = bootstrap_band(self.scores, self.last_cosines)
                    self.last_geometry = geometry(*self._embedded, self.sentences1, self.sentences2, self.scores)
                self._embedded = []
                self.last_elapsed_s = time.perf_counter() - t0
                self.total_elapsed_s += self.last_elapsed_s

        def embed_inputs(self, *args, **kwargs):
            out = super().embed_inputs(*args, **kwargs)
            self._embedded.append(np.asarray(out, dtype=np.float32))
            return out

    s1, s2, scores = sts_pairs(split, max_pairs)
    evaluator = TimedEvaluator(
        s1,
        s2,
        scores,
        batch_size=batch_size,
        name=f"sts-{split}",
        similarity_fn_names=list(SIMILARITIES),
        show_progress_bar=False,
    )
    evaluator.pairs = len(scores)
    evaluator.split = split
    evaluator.subset = len(scores) < len(load_stsb(split)[0])  # fewer pairs than the whole split
    return evaluator


def strip_metrics(metrics: dict[str, float], name: str) -> dict[str, float]:
    """`eval_sts-validation_spearman_cosine` → `spearman_cosine`; keeps only the table's metrics."""
    out = {}
    for key, value in metrics.items():
        short = key.removeprefix("eval_").removeprefix(f"{name}_")
        if short in METRIC_KEYS:
            out[short] = float(value)
    return out


def evaluate_sts(model, split: str = "validation", max_pairs: int | None = None) -> dict[str, float]:
    """The eight correlation metrics, and the space's alignment, uniformity and anisotropy on the same pairs."""
    evaluator = make_evaluator(split, max_pairs)
    metrics = strip_metrics(evaluator(model), evaluator.name)
    return {**metrics, **(evaluator.last_geometry or {})}


def format_table(before: dict[str, float] | None, after: dict[str, float] | None = None) -> str:
    """The chapter's table as fixed-width text: one row per similarity, pearson and spearman columns."""
    lines = [
        f"{'similarity':<10} {'pearson':>9} {'spearman':>9}" + (f" {'pearson':>9} {'spearman':>9}" if after else "")
    ]
    if after:
        lines[0] = f"{'':<10} {'before':>19} {'after':>19}\n" + lines[0]
    for sim in SIMILARITIES:
        row = f"{sim:<10}"
        for m in (before, after) if after else (before,):
            m = m or {}
            row += "".join(f" {m.get(f'{stat}_{sim}', float('nan')):>9.4f}" for stat in ("pearson", "spearman"))
        lines.append(row)
    return "\n".join(lines)


def format_geometry(metrics: dict[str, float | None]) -> str:
    """alignment / uniformity / anisotropy on one line (what each means in a few words)."""
    def num(key):
        v = metrics.get(key)
        return "n/a" if v is None else f"{v:.4f}"

    return (f"alignment {num('alignment')} (paraphrases' distance², lower = closer) · uniformity "
            f"{num('uniformity')} (lower = more spread) · anisotropy {num('anisotropy')} (mean cosine)")
