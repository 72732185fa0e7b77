"""Data formats: the ordered columns a loss receives, and which column is the label.

sentence-transformers feeds text columns to a loss *by order*, and treats a column named `label` or
`score` as the label; a format pins both down so recipes and losses can be matched by key.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataFormat:
    key: str
    inputs: tuple[str, ...]  # text columns, in the order the loss reads them
    label: str | None  # "label" (int class), "score" (float) or None
    roles: tuple[str, ...]  # what each input column plays, same order as `inputs`
    description: str

    @property
    def columns(self) -> tuple[str, ...]:
        return self.inputs + ((self.label,) if self.label else ())

    def role_of(self, column: str) -> str:
        if column == self.label:
            return "class label (int)" if self.label == "label" else "similarity score (float)"
        return self.roles[self.inputs.index(column)]


FORMATS: dict[str, DataFormat] = {
    f.key: f
    for f in (
        DataFormat(
            "pair-class",
            ("premise", "hypothesis"),
            "label",
            ("sentence A (embedded alone)", "sentence B (embedded alone)"),
            "Two sentences and a class id (e.g. NLI: 0 entailment, 1 neutral, 2 contradiction).",
        ),
        DataFormat(
            "pair-score",
            ("sentence1", "sentence2"),
            "score",
            ("sentence A", "sentence B"),
            "Two sentences and a similarity score in [0, 1].",
        ),
        DataFormat(
            "triplet",
            ("anchor", "positive", "negative"),
            None,
            ("anchor (the query)", "positive (should be close)", "negative (should be far)"),
            "Anchor, positive and negative; every other row's positive is also an in-batch negative.",
        ),
        DataFormat(
            "pair",
            ("anchor", "positive"),
            None,
            ("anchor (the query)", "positive (should be close)"),
            "Anchor and positive only; in-batch negatives come from the other rows.",
        ),
        DataFormat(
            "denoise",
            ("damaged", "original"),
            None,
            ("damaged sentence (words deleted; encoded)", "original sentence (the decoder must rebuild it)"),
            "A sentence with words deleted, and the original it should be reconstructed into (TSDAE).",
        ),
        DataFormat(
            "single",
            ("text",),
            None,
            ("a sentence (noised and reconstructed)",),
            "Unlabelled sentences (TSDAE).",
        ),
    )
}

# The formats a user can upload, in the form's order; "single" sentences train as "denoise" pairs (TSDAE).
UPLOAD_FORMATS: tuple[str, ...] = ("pair-class", "pair-score", "triplet", "pair", "single")
