"""A model's scores are kept by fingerprint (weights, module stack) and split or task; a bad file is ignored."""

from __future__ import annotations

import json

import pytest

from lab.evaluation import cache
from lab.evaluation.sts import METRIC_KEYS

METRICS = dict.fromkeys(METRIC_KEYS, 0.5)


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path / "cache"))


GEOMETRY = {"alignment": 0.27, "uniformity": -3.85, "anisotropy": 0.02}


def test_a_score_is_kept_by_key_split_and_pairs():
    cache.write("abc", "validation", 1500, METRICS, 0.012, 3.0, GEOMETRY)
    assert cache.read("abc", "validation", 1500) == {"metrics": METRICS, "band": 0.012, "elapsed_s": 3.0,
                                                     "geometry": GEOMETRY}
    assert cache.read("abc", "validation", 200) is None
    assert cache.read("abc", "test", 1500) is None
    assert cache.read("abd", "validation", 1500) is None


@pytest.mark.parametrize("content", [
    "{not json", json.dumps({"metrics": {"spearman_cosine": 0.5}}),  # half a table
    json.dumps({"metrics": {**METRICS, "spearman_cosine": "NaN"}}),  # not finite
    json.dumps({"metrics": [1, 2]}), json.dumps([1]), "x" * (cache.MAX_FILE_BYTES + 1),
    json.dumps({"metrics": METRICS, "band": None, "elapsed_s": 1.0}),  # written before geometry: scored again
    json.dumps({"metrics": METRICS, "geometry": {"alignment": "x"}}),
])
def test_a_broken_or_oversized_cache_file_is_ignored(content):
    cache.write("abc", "validation", 1500, METRICS, None, 1.0)
    path = next((cache.cache_dir() / "sts").glob("abc-*.json"))
    path.write_text(content)
    assert cache.read("abc", "validation", 1500) is None


def test_a_tasks_scores_are_kept_by_key_and_task():
    scores = {"accuracy": 0.8, "f1": 0.79, "route": "offline"}
    cache.write_task("abc", "banking77|offline|77", scores)
    assert cache.read_task("abc", "banking77|offline|77") == scores
    assert cache.read_task("abc", "banking77|offline|None") is None  # another size: another result
    assert cache.read_task("abd", "banking77|offline|77") is None


@pytest.mark.parametrize("content", [
    "{not json", json.dumps([1]), json.dumps({"task": "t", "scores": [1]}), json.dumps({"task": "t"}),
    json.dumps({"task": "other", "scores": {"accuracy": 0.8}}),  # a file of another task under this name
    json.dumps({"task": "t", "scores": {"accuracy": "NaN"}}) .replace('"NaN"', "NaN"),  # not finite
    json.dumps({"task": "t", "scores": {"accuracy": True}}), json.dumps({"task": "t", "scores": {}}),
    json.dumps({"task": "t", "scores": {"route": "x" * 201}}), "x" * (cache.MAX_FILE_BYTES + 1),
])
def test_a_broken_task_file_is_ignored(content):
    cache.write_task("abc", "t", {"accuracy": 0.8})
    path = next((cache.cache_dir() / "tasks").glob("abc-*.json"))
    path.write_text(content)
    assert cache.read_task("abc", "t") is None


def test_an_unwritable_cache_costs_only_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LAB_CACHE_DIR", str(blocker))  # a file where a folder should be
    cache.write("abc", "validation", 1500, METRICS, None, 1.0)
    assert cache.read("abc", "validation", 1500) is None


def test_the_fingerprint_follows_weights_and_pooling():
    import torch

    from lab.models import load_model

    a, b = load_model("tiny-bert", seed=0), load_model("tiny-bert", seed=0)
    assert cache.fingerprint(a) == cache.fingerprint(b)
    assert cache.fingerprint(load_model("tiny-bert", seed=1)) != cache.fingerprint(a)
    assert cache.fingerprint(load_model("tiny-bert", seed=0, pooling="cls")) != cache.fingerprint(a)
    with torch.no_grad():
        next(b.parameters())[0, 0] += 1e-3
    assert cache.fingerprint(b) != cache.fingerprint(a)
