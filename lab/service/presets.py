"""The form's starting values: the lab's defaults for a new user and the one-click presets an instructor picks.

Each preset promises one lesson and says what it shows, as measured on this project's 2-core CPU by
`bench/presets.py` (bench/results/presets.md); the numbers in `shows` come from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Defaults for a new user on 2 CPU cores: the first loss point within ~15 s of pressing Start.
DEFAULT_FORM: dict[str, Any] = {
    "model": "all-MiniLM-L6-v2",
    "recipe": "nli-triplets",
    "loss": "mnrl",
    "max_train_samples": 320,
    "epochs": 1.0,
    "batch_size": 16,
    "lr": 5e-5,
    "warmup_ratio": 0.1,
    "seed": 42,
    "eval_steps": 10,
    "logging_steps": 2,
    "eval_max_pairs": 200,
    "eval_split": "validation",
    "data_source": "auto",
    "pooling": "",
    "max_seq_length": 0,
    "matryoshka_dims": "",
    "label": "",
    "group_by_length": True,
    "views": True,
    "probe_pairs": "",
}


@dataclass(frozen=True)
class Preset:
    """A partial form and the lesson it demonstrates."""

    form: dict[str, Any] = field(default_factory=dict)
    lesson: str = ""  # what it demonstrates, in one sentence
    shows: str = ""  # what to look for, with the numbers measured here


# From random weights the lab's tiny BERT learns fast enough on 2 cores to show each loss's effect in ~1–2 minutes.
_TINY = {"model": "tiny-bert", "batch_size": 32, "lr": 1e-3, "epochs": 1.0, "eval_steps": 25, "logging_steps": 5,
         "eval_max_pairs": 500,  # tiny-bert scores 500 pairs in ~1 s: a band of about ±0.06 instead of ±0.1
         "max_train_samples": 0}

PRESETS: dict[str, Preset] = {
    "Training helps: MNRL from random weights (tiny BERT, ~40 s)": Preset(
        {**_TINY, "recipe": "nli-triplets", "loss": "mnrl"},
        "Contrastive training builds an embedding space: in-batch negatives pull each premise to its hypothesis.",
        "the loss falls from 3.2 to 1.2 and STS-B rises 0.549 → 0.647 on the whole split (+0.098; the curve's noise "
        "band is ±0.06).",
    ),
    "SBERT original: softmax on NLI classes (tiny BERT, ~25 s)": Preset(
        {**_TINY, "recipe": "nli-3class", "loss": "softmax", "max_train_samples": 6400},
        "A lower training loss is not a better embedding: softmax learns to classify NLI pairs, not to rank them.",
        "the loss dips under ln 3 ≈ 1.10 (1.10 → 1.03: the classifier learns) while STS-B falls 0.549 → 0.441, "
        "close to the chapter's Softmax row (0.451).",
    ),
    "Triplet loss: one negative per anchor (tiny BERT, ~35 s)": Preset(
        {**_TINY, "recipe": "nli-triplets", "loss": "triplet"},
        "One negative per anchor teaches less than a whole batch of them (MNRL) from the same triplets.",
        "STS-B 0.549 → 0.573 (+0.024, within the ±0.06 noise band) where MNRL on the same triplets reaches 0.647; "
        "the loss soon reaches 0.1: most triplets already meet the margin and teach nothing.",
    ),
    "Regression: CoSENT on STS-B train scores (tiny BERT, ~20 s)": Preset(
        {**_TINY, "recipe": "stsb-scores", "loss": "cosent"},
        "Training on graded similarity scores of the task itself: the most direct route to a high STS-B.",
        "STS-B 0.549 → 0.670 (+0.12), the best of the presets, although the loss barely moves (6.1 → 6.0): it "
        "scores the order of every pair in a batch.",
    ),
    "Fine-tune a trained embedder: MiniLM + MNRL (~1 min)": Preset(
        {},
        "An embedder that is already trained is near its ceiling: a little NLI moves it within noise "
        "(the chapter: 0.867 → 0.848).",
        "STS-B 0.8672 → 0.8696 on the whole split (+0.0025, inside its ±0.015 noise); the curve stays inside "
        "the grey band.",
    ),
}
