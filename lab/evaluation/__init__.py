"""Evaluation: STS-B similarity (the chapter's table), MedQuAD retrieval, MTEB Banking77 classification."""
