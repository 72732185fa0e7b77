"""lab.service.explore: samples from the bundled data, and (slow) the embedding service on tiny-bert."""

from __future__ import annotations

import pytest

from lab.service import explore


@pytest.mark.parametrize("dataset", explore.DATASETS)
def test_samples_are_repeatable_and_coloured(dataset):
    a, b = explore.sample_sentences(dataset, 60, seed=3), explore.sample_sentences(dataset, 60, seed=3)
    assert a.texts == b.texts and len(a.texts) == len(a.color) == len(a.hover) > 0
    assert a.continuous == (dataset == "stsb")


def test_unknown_things_are_explore_errors(tmp_path):
    from lab.store import RunStore

    with pytest.raises(explore.ExploreError):
        explore.sample_sentences("nope")
    with pytest.raises(explore.ExploreError):
        explore.refs_for("run:" + "0" * 24, RunStore(tmp_path))
    before, after = explore.refs_for("base:tiny-bert")
    assert before.model == "tiny-bert" and after is None


def test_neighbour_corpus_is_unique():
    corpus = explore.neighbour_corpus(200)
    assert len(corpus) == len(set(corpus)) == 200


@pytest.mark.slow
def test_embedding_service_on_tiny_bert():
    fig_before, fig_after = explore.projection_figures("base:tiny-bert", "banking77", 60, "pca")
    assert fig_after is None and len(fig_before.data) >= 2
    first, second = explore.neighbour_tables("base:tiny-bert", "A man is playing a guitar.", 3)
    assert len(first) == 3 and second is None and first["cosine"].is_monotonic_decreasing
    same, _ = explore.pair_similarity("base:tiny-bert", "a cat", "a cat")
    assert same == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(explore.ExploreError):
        explore.pair_similarity("base:tiny-bert", "", "x")


@pytest.mark.slow
def test_a_map_is_prepared_at_start_up_and_kept(monkeypatch):
    """The server's warm-up (explore.prepare) compiles UMAP and embeds the tab's default sample: the first map of a
    base model then embeds nothing; a map drawn once embeds nothing the next time, whatever way the model was
    picked (a base model, or a run's "before")."""
    monkeypatch.setattr(explore, "SERVICE", explore.EmbeddingService())
    explore.prepare("tiny-bert")
    calls = []
    real = explore.SERVICE.encode
    monkeypatch.setattr(explore.SERVICE, "encode", lambda ref, texts: calls.append(len(texts)) or real(ref, texts))
    before, _ = explore.projection_figures("base:tiny-bert", "banking77", 300, "umap")
    assert calls == [] and "UMAP" in before.layout.title.text
    explore.projection_figures("base:tiny-bert", "nli", 100, "pca")
    explore.projection_figures("base:tiny-bert", "nli", 100, "umap")
    assert calls == [100]
    assert explore.refs_for("base:tiny-bert")[0].key == explore.base_ref("tiny-bert", "x").key
