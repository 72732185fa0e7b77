"""lab/evaluation/geometry.py: alignment, uniformity and anisotropy match their definitions computed by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np

from lab.evaluation.geometry import alignment, anisotropy, geometry, uniformity


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def test_each_number_is_its_definition_on_a_tiny_set():
    rng = np.random.default_rng(3)
    emb1, emb2 = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    s1 = ["a", "b", "c", "d", "e", "a"]  # "a" twice: counted once among the unique sentences
    s2 = ["p", "q", "r", "s", "t", "u"]
    emb1[5] = emb1[0]
    gold = [0.9, 0.2, 0.8, 0.79, 1.0, 0.1]  # score / 5: pairs 0, 2 and 4 are ≥ 4.0
    got = geometry(emb1, emb2, s1, s2, gold)

    close = [0, 2, 4]
    want_align = sum(float(np.sum((_unit(emb1[i]) - _unit(emb2[i])) ** 2)) for i in close) / len(close)
    unique = [emb1[i] for i in range(5)] + [emb2[i] for i in range(6)]
    dists = [float(np.sum((_unit(u) - _unit(v)) ** 2)) for u, v in itertools.combinations(unique, 2)]
    want_unif = math.log(sum(math.exp(-2 * d) for d in dists) / len(dists))
    cosines = [float(_unit(u) @ _unit(v)) for u, v in itertools.combinations(unique, 2)]
    assert len(dists) == 55  # 11 unique sentences
    assert math.isclose(got["alignment"], want_align, rel_tol=1e-9)
    assert math.isclose(got["uniformity"], want_unif, rel_tol=1e-9)
    assert math.isclose(got["anisotropy"], sum(cosines) / len(cosines), rel_tol=1e-9)


def test_the_extremes():
    same = np.tile([[1.0, 0.0, 0.0]], (4, 1))
    assert alignment(same, same) == 0.0
    assert math.isclose(uniformity(same), 0.0, abs_tol=1e-12)  # one point: exp(0) everywhere
    assert math.isclose(anisotropy(same), 1.0)
    spread = np.eye(3)  # orthogonal: distance² 2 between every two
    assert math.isclose(uniformity(spread), -4.0)
    assert math.isclose(anisotropy(spread), 0.0, abs_tol=1e-12)


def test_no_close_pair_gives_none_not_nan():
    got = geometry(np.eye(3), np.eye(3)[::-1], ["a", "b", "c"], ["d", "e", "f"], [0.1, 0.2, 0.3])
    assert got["alignment"] is None and got["uniformity"] is not None
