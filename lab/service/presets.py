"""The form's starting values: the lab's defaults for a new user and the one-click presets an instructor picks."""

from __future__ import annotations

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
}

# One-click starting points an instructor can pick; each is a partial form.
PRESETS: dict[str, dict[str, Any]] = {
    "Quick demo: fine-tune MiniLM with MNRL (~40 s)": {},
    "Fastest: tiny random BERT with MNRL (~15 s)": {
        "model": "tiny-bert",
        "max_train_samples": 1024,
        "batch_size": 32,
        "lr": 5e-4,
        "eval_steps": 8,
    },
    "SBERT original: softmax on NLI classes": {
        "recipe": "nli-3class",
        "loss": "softmax",
        "lr": 5e-5,
        "max_train_samples": 320,
    },
    "Regression: CoSENT on STS-B train scores": {
        "recipe": "stsb-scores",
        "loss": "cosent",
        "max_train_samples": 320,
    },
    "Classic: triplet loss with a margin": {"recipe": "nli-triplets", "loss": "triplet"},
}
