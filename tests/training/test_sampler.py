"""Length-grouped batches keep every row once per epoch, avoid duplicate texts, and cut padding."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import Dataset

from lab.recipes import prepare
from lab.training.sampler import LengthGroupedBatchSampler, LengthGroupedNoDuplicatesBatchSampler


@pytest.fixture(scope="module")
def triplets():
    return Dataset.from_pandas(prepare("nli-triplets", seed=0, max_rows=600, data_source="offline").rows,
                               preserve_index=False)


def _padded_chars(dataset, batches):
    cols = [np.array([len(t) for t in dataset[c]]) for c in ("anchor", "positive", "negative")]
    return sum(int(col[b].max()) * len(b) for b in batches for col in cols)


def test_every_row_once_per_epoch_and_len_matches(triplets):
    sampler = LengthGroupedNoDuplicatesBatchSampler(triplets, batch_size=32, drop_last=False, seed=1)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(len(triplets)))
    assert len(batches) >= len(sampler) - 1


def test_no_text_twice_in_a_batch():
    rows = Dataset.from_dict({"anchor": ["a", "a", "b", "c"] * 8, "positive": [f"p{i}" for i in range(32)]})
    for batch in LengthGroupedNoDuplicatesBatchSampler(rows, batch_size=4, drop_last=False, seed=0):
        texts = [rows[i]["anchor"] for i in batch] + [rows[i]["positive"] for i in batch]
        assert len(texts) == len(set(texts))


def test_less_padding_than_random_batches(triplets):
    grouped = list(LengthGroupedBatchSampler(triplets, batch_size=32, drop_last=False, seed=1))
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(triplets)).tolist()
    random = [perm[i : i + 32] for i in range(0, len(perm), 32)]
    assert _padded_chars(triplets, grouped) < 0.8 * _padded_chars(triplets, random)


def test_seeded_and_different_each_epoch(triplets):
    a = LengthGroupedBatchSampler(triplets, batch_size=32, drop_last=False, seed=3)
    b = LengthGroupedBatchSampler(triplets, batch_size=32, drop_last=False, seed=3)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first


def test_drop_last_drops_short_batches(triplets):
    sampler = LengthGroupedBatchSampler(triplets, batch_size=64, drop_last=True, seed=0)
    assert all(len(b) == 64 for b in sampler)
