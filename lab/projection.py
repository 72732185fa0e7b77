"""2-D projections of embeddings (UMAP, or PCA as the instant fallback), cached by content. No model here."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

METHODS = ("umap", "pca")
_CACHE_SIZE = 16
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def _key(embeddings: np.ndarray, method: str, seed: int, n_neighbors: int) -> str:
    h = hashlib.sha1(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    h.update(f"{method}|{seed}|{n_neighbors}|{embeddings.shape}".encode())
    return h.hexdigest()


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """(n, dim) -> (n, 2): the two main axes of variation, via SVD of the centred data."""
    x = np.asarray(embeddings, dtype=np.float64)
    if len(x) == 0:
        return np.zeros((0, 2))
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    out = x @ vt[:2].T  # (n, ≤2)
    if out.shape[1] < 2:
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    return out


def umap_2d(embeddings: np.ndarray, seed: int = 42, n_neighbors: int = 15) -> np.ndarray:
    """(n, dim) -> (n, 2) with cosine UMAP; `random_state` makes it repeatable (and single-threaded)."""
    import umap

    x = np.asarray(embeddings, dtype=np.float32)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(n_neighbors, max(2, len(x) - 1)),
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
    )
    return reducer.fit_transform(x)


def project_2d(embeddings: np.ndarray, method: str = "umap", seed: int = 42, n_neighbors: int = 15) -> np.ndarray:
    """Cached 2-D projection. UMAP needs ≥ 5 points; with fewer, or if UMAP fails, PCA is used."""
    if method not in METHODS:
        raise ValueError(f"Unknown projection method '{method}'. Use one of {', '.join(METHODS)}.")
    x = np.asarray(embeddings)
    if x.ndim != 2:
        raise ValueError(f"Expected a (n, dim) array, got shape {x.shape}.")
    key = _key(x, method, seed, n_neighbors)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if method == "umap" and len(x) >= 5:
        try:
            out = umap_2d(x, seed, n_neighbors)
        except Exception:  # numerical trouble on degenerate data: a PCA picture beats an error
            out = pca_2d(x)
    else:
        out = pca_2d(x)
    with _lock:
        _cache[key] = out
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return out
