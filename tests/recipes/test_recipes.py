"""Recipes are pure, seeded transforms: checked on hand-written rows."""

from __future__ import annotations

import pandas as pd
import pytest

from lab.recipes import RECIPES, prepare
from lab.recipes.base import limit_rows

NLI = pd.DataFrame(
    {
        "premise": ["A man plays a guitar.", "A dog runs.", "Kids eat lunch.", "A woman reads.", "Rain falls.", " "],
        "hypothesis": [
            "A man makes music.",
            "A cat sleeps.",
            "Children are eating.",
            "Nobody reads.",
            "It is wet.",
            "x",
        ],
        "label": [0, 2, 0, 2, 1, 0],
    }
)


def test_nli_3class_keeps_labels_and_drops_blank_text():
    out = RECIPES["nli-3class"].transform(NLI, 0)
    assert list(out.columns) == ["premise", "hypothesis", "label"]
    assert out["label"].tolist() == [0, 2, 0, 2, 1]
    assert out["label"].dtype == "int64"


def test_nli_scores_maps_entailment_to_one_and_the_rest_to_zero():
    out = RECIPES["nli-scores"].transform(NLI, 0)
    assert list(out.columns) == ["sentence1", "sentence2", "score"]
    assert out["score"].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]


def test_nli_triplets_are_entailment_pairs_with_a_random_other_hypothesis():
    out = RECIPES["nli-triplets"].transform(NLI, 7)
    assert list(out.columns) == ["anchor", "positive", "negative"]
    assert out["anchor"].tolist() == ["A man plays a guitar.", "Kids eat lunch."]
    assert out["positive"].tolist() == ["A man makes music.", "Children are eating."]
    hypotheses = set(NLI["hypothesis"][:5])
    assert all(n in hypotheses for n in out["negative"])
    assert (out["negative"] != out["positive"]).all()


def test_nli_triplets_are_deterministic_for_a_seed_and_vary_across_seeds():
    big = pd.concat([NLI.iloc[:5]] * 20, ignore_index=True)
    big["hypothesis"] = [f"{h} #{i}" for i, h in enumerate(big["hypothesis"])]
    a = RECIPES["nli-triplets"].transform(big, 1)
    b = RECIPES["nli-triplets"].transform(big, 1)
    c = RECIPES["nli-triplets"].transform(big, 2)
    assert a.equals(b)
    assert not a["negative"].equals(c["negative"])


def test_stsb_scores_are_scaled_to_unit_interval():
    rows = pd.DataFrame({"sentence1": ["a", "b"], "sentence2": ["c", "d"], "score": [5.0, 1.25]})
    out = RECIPES["stsb-scores"].transform(rows, 0)
    assert out["score"].tolist() == [1.0, 0.25]


def test_limit_rows_is_a_seeded_subset():
    rows = pd.DataFrame({"x": range(100)})
    a, b = limit_rows(rows, 10, 3), limit_rows(rows, 10, 3)
    assert len(a) == 10 and a.equals(b)
    assert len(limit_rows(rows, 1000, 3)) == 100


@pytest.mark.parametrize("key", sorted(k for k, r in RECIPES.items() if not r.uses_upload))
def test_prepare_on_bundled_data_reports_counts_and_source(key):
    data = prepare(key, seed=0, max_rows=50, data_source="offline")
    assert list(data.rows.columns) == list(RECIPES[key].format.columns)
    assert data.used_rows == 50
    assert data.raw_rows > 0 and data.transformed_rows >= data.used_rows
    assert data.source.origin == "bundled" and data.source.rows == data.raw_rows


def test_offline_nli_source_says_it_is_the_substitute():
    data = prepare("nli-triplets", seed=0, max_rows=10, data_source="auto")
    assert "MNLI validation_matched + SNLI validation" in data.source.describe()
    assert data.raw_rows == 9815 + 9831


def test_tsdae_deletes_words_but_keeps_one_and_the_original():
    import numpy as np

    from lab.recipes.tsdae import add_noise, delete_words

    rng = np.random.default_rng(0)
    assert delete_words("one two three", 0.0, rng) == "one two three"
    assert delete_words("one two three", 0.95, np.random.default_rng(1)) in {"one", "two", "three"}
    out = RECIPES["tsdae"].transform(NLI, 3, del_ratio=0.6)
    assert list(out.columns) == ["damaged", "original"]
    assert len(out) == len(set(out["original"]))  # each sentence once
    for damaged, original in zip(out["damaged"], out["original"], strict=True):
        assert set(damaged.split()) <= set(original.split()) and damaged
    assert out.equals(RECIPES["tsdae"].transform(NLI, 3, del_ratio=0.6))
    sentences = pd.Series(["a b c d e f g h i j"] * 1 + [f"w{i} " * 20 for i in range(50)])
    kept = add_noise(sentences, 0, 0.6)["damaged"].str.split().str.len().sum()
    assert 0.3 < kept / (10 + 50 * 20) < 0.5  # about 40% of the words survive


def test_recipe_knobs_are_validated():
    from lab.config import RunConfig
    from lab.errors import ConfigError

    assert RunConfig(recipe="tsdae", loss="tsdae").recipe_params == {"del_ratio": 0.6}
    with pytest.raises(ConfigError, match="del_ratio"):
        RunConfig(recipe="tsdae", loss="tsdae", recipe_params={"del_ratio": 2})
