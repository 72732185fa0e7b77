"""Evaluation: STS-B similarity (the chapter's table); later MTEB and retrieval."""
