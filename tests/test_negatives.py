"""Hard-negative mining respects its knobs; the explorer scores positives, random and mined negatives."""

from __future__ import annotations

import numpy as np
import pytest

from lab.recipes import prepare

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows():
    return prepare("nli-triplets", seed=0, max_rows=60, data_source="offline").rows


def test_mined_negatives_are_semi_hard(rows):
    from lab.negatives import explore

    report = explore(rows, 0, n_examples=4, margin=0.1, max_score=0.8)
    assert len(report.mined_scores) > 0
    assert report.mined_scores.max() <= 0.8 + 1e-4
    # Mined negatives are harder (closer to the anchor) than random ones, on average.
    assert report.mined_scores.mean() > report.random_scores.mean()
    assert report.positive_scores.mean() > report.mined_scores.mean()
    assert set(report.examples["kind"]) == {"random", "mined"}
    assert "likely false negative" in report.examples


def test_false_negatives_are_flagged_when_the_margin_allows_them(rows):
    from lab.negatives import explore

    report = explore(rows, 0, n_examples=60, margin=0.0, max_score=1.0, range_min=0, range_max=5)
    flagged = report.examples[report.examples["likely false negative"]]
    assert (flagged["negative score"] > flagged["positive score"]).all()
    assert report.likely_false_negatives >= len(flagged)


def test_hard_recipe_gives_triplets_from_the_pool(rows):
    data = prepare("nli-triplets-hard", seed=0, max_rows=60, data_source="offline", params={"num_negatives": 2})
    assert list(data.rows.columns) == ["anchor", "positive", "negative"]
    assert 0 < data.used_rows <= 120
    assert (data.rows["negative"] != data.rows["positive"]).all()
    pool = set(rows["positive"]) | set(rows["negative"])
    assert set(data.rows["negative"]) <= pool
    assert np.all(data.rows.groupby("anchor").size() <= 2)
