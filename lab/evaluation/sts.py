"""STS-B evaluation with EmbeddingSimilarityEvaluator: pearson/spearman for cosine, euclidean, manhattan, dot."""

from __future__ import annotations

import time

from lab.sources import load_stsb

SIMILARITIES = ("cosine", "euclidean", "manhattan", "dot")
METRIC_KEYS = tuple(f"{stat}_{sim}" for sim in SIMILARITIES for stat in ("pearson", "spearman"))
MAIN_METRIC = "spearman_cosine"


def sts_pairs(split: str = "validation", max_pairs: int | None = None) -> tuple[list[str], list[str], list[float]]:
    """The split's sentence pairs and gold scores scaled to [0, 1] (score / 5), in file order."""
    df, _ = load_stsb(split)
    if max_pairs:
        df = df.head(max_pairs)
    return df["sentence1"].astype(str).tolist(), df["sentence2"].astype(str).tolist(), (df["score"] / 5.0).tolist()


def make_evaluator(split: str = "validation", max_pairs: int | None = None, batch_size: int = 64):
    """An evaluator that also records how long each call took (`last_elapsed_s`), to separate eval from train time."""
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    class TimedEvaluator(EmbeddingSimilarityEvaluator):
        last_elapsed_s = 0.0
        total_elapsed_s = 0.0

        def __call__(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return super().__call__(*args, **kwargs)
            finally:
                self.last_elapsed_s = time.perf_counter() - t0
                self.total_elapsed_s += self.last_elapsed_s

    s1, s2, scores = sts_pairs(split, max_pairs)
    return TimedEvaluator(
        s1,
        s2,
        scores,
        batch_size=batch_size,
        name=f"sts-{split}",
        similarity_fn_names=list(SIMILARITIES),
        show_progress_bar=False,
    )


def strip_metrics(metrics: dict[str, float], name: str) -> dict[str, float]:
    """`eval_sts-validation_spearman_cosine` → `spearman_cosine`; keeps only the table's metrics."""
    out = {}
    for key, value in metrics.items():
        short = key.removeprefix("eval_").removeprefix(f"{name}_")
        if short in METRIC_KEYS:
            out[short] = float(value)
    return out


def evaluate_sts(model, split: str = "validation", max_pairs: int | None = None) -> dict[str, float]:
    evaluator = make_evaluator(split, max_pairs)
    return strip_metrics(evaluator(model), evaluator.name)


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
