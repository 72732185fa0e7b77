"""lab.projection: PCA maths, caching, UMAP shape and fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from lab import projection


def test_pca_finds_the_main_axis():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 5))
    x[:, 2] = np.linspace(-10, 10, 50)  # all variance on one axis
    x += rng.normal(scale=0.01, size=x.shape)
    out = projection.pca_2d(x)
    assert out.shape == (50, 2)
    assert abs(np.corrcoef(out[:, 0], x[:, 2])[0, 1]) > 0.99


def test_small_inputs_use_pca_and_are_cached():
    x = np.eye(3)
    a = projection.project_2d(x, "umap")
    assert a.shape == (3, 2)
    assert projection.project_2d(x, "umap") is a  # cached
    assert projection.pca_2d(np.zeros((0, 4))).shape == (0, 2)


def test_bad_input():
    with pytest.raises(ValueError):
        projection.project_2d(np.zeros(3))
    with pytest.raises(ValueError):
        projection.project_2d(np.zeros((3, 3)), "tsne")


@pytest.mark.slow
def test_umap_on_clusters():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 0.05, (30, 8)) + 1, rng.normal(0, 0.05, (30, 8)) - 1])
    x[:30, 0] += 3
    out = projection.project_2d(x, "umap", seed=1)
    assert out.shape == (60, 2) and np.isfinite(out).all()
    # the two clusters stay apart
    gap = np.linalg.norm(out[:30].mean(0) - out[30:].mean(0))
    assert gap > out[:30].std(0).mean()
