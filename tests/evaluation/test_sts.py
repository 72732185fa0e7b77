"""STS-B evaluation reproduces the published all-MiniLM-L6-v2 figures; the table lists all four similarities."""

from __future__ import annotations

import pytest

from lab.evaluation.sts import METRIC_KEYS, format_table, strip_metrics, sts_pairs


def test_pairs_are_scaled_scores_in_file_order():
    s1, s2, scores = sts_pairs("validation")
    assert s1[0] == "A man with a hard hat is dancing." and scores[0] == 1.0 and len(s1) == 1500
    assert all(0.0 <= s <= 1.0 for s in sts_pairs("test")[2])


def test_a_subset_is_a_fixed_random_sample_across_the_split_not_its_first_pairs():
    import numpy as np

    s1, _, scores = sts_pairs("validation", 200)
    assert len(s1) == 200 and sts_pairs("validation", 200)[0] == s1  # the same pairs every time
    all_s1, _, all_scores = sts_pairs("validation")
    assert s1 != all_s1[:200]
    assert set(s1) <= set(all_s1) and set(s1) & set(all_s1[1200:])  # drawn from the whole split
    assert abs(np.mean(scores) - np.mean(all_scores)) < 0.05


def test_strip_metrics_keeps_the_table():
    raw = {"eval_sts-validation_spearman_cosine": 0.5, "eval_sts-validation_pearson_max": 0.9, "epoch": 1}
    assert strip_metrics(raw, "sts-validation") == {"spearman_cosine": 0.5}


def test_table_has_every_similarity():
    text = format_table(dict.fromkeys(METRIC_KEYS, 0.5), dict.fromkeys(METRIC_KEYS, 0.6))
    for name in ("cosine", "euclidean", "manhattan", "dot", "before", "after"):
        assert name in text


@pytest.mark.slow
def test_bundled_minilm_matches_the_published_figures():
    from lab.evaluation.sts import evaluate_sts
    from lab.models import load_model

    metrics = evaluate_sts(load_model("all-MiniLM-L6-v2"), "validation")
    assert metrics["spearman_cosine"] == pytest.approx(0.8672, abs=5e-4)
    assert metrics["pearson_cosine"] == pytest.approx(0.8696, abs=5e-4)
    assert set(metrics) == {*METRIC_KEYS, "alignment", "uniformity", "anisotropy"}
    # the published model's geometry on the whole split (numbers of this lab; Wang & Isola's definitions)
    assert metrics["alignment"] == pytest.approx(0.2672, abs=1e-3)
    assert metrics["uniformity"] == pytest.approx(-3.8487, abs=1e-3)


def test_the_bootstrap_band_narrows_with_more_pairs_and_vanishes_for_a_perfect_ranking():
    import numpy as np

    from lab.evaluation.sts import bootstrap_band

    rng = np.random.default_rng(0)
    gold = rng.random(1500)
    noisy = gold + rng.normal(0, 0.3, 1500)
    small, large = bootstrap_band(gold[:200], noisy[:200]), bootstrap_band(gold, noisy)
    assert 0.02 < small < 0.1 and large < small * 0.6  # ~1/sqrt(n)
    assert bootstrap_band(gold[:200], noisy[:200]) == small  # seeded: the same band every time
    assert bootstrap_band(gold, gold * 2) < 1e-12


def test_the_evaluator_records_its_pairs_and_band(tiny_model):
    from lab.evaluation.sts import make_evaluator

    evaluator = make_evaluator("validation", 100)
    evaluator(tiny_model)
    assert evaluator.pairs == 100 and evaluator.split == "validation"
    assert 0.01 < evaluator.last_band < 0.3
