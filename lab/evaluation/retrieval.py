"""MedQuAD retrieval (question → its own answer): MRR@10, NDCG@10, recall@k via InformationRetrievalEvaluator."""

from __future__ import annotations

from lab.sources import load_medquad_qa

RETRIEVAL_KEYS = ("mrr@10", "ndcg@10", "recall@1", "recall@5", "recall@10")


def medquad_evaluator(max_queries: int | None = None, name: str = "medquad"):
    """Each held-out question must retrieve its own answer among all answers of the eval set."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    df, _ = load_medquad_qa()
    if max_queries:
        df = df.head(max_queries)
    queries = {f"q{i}": q for i, q in enumerate(df["question"].astype(str))}
    corpus = {f"d{i}": a for i, a in enumerate(df["answer"].astype(str))}
    relevant = {f"q{i}": {f"d{i}"} for i in range(len(df))}
    return InformationRetrievalEvaluator(
        queries, corpus, relevant, name=name, mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1, 5, 10],
        precision_recall_at_k=[1, 5, 10], map_at_k=[10], show_progress_bar=False, batch_size=64,
    )


def strip_retrieval(metrics: dict[str, float], name: str = "medquad") -> dict[str, float]:
    """`medquad_cosine_ndcg@10` → `ndcg@10`; only the table's metrics, cosine similarity."""
    out = {}
    for key, value in metrics.items():
        short = key.removeprefix(f"{name}_").removeprefix("cosine_")
        if short in RETRIEVAL_KEYS:
            out[short] = float(value)
    return out

