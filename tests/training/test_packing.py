"""Packed forwards (lab/training/packing.py): the same embeddings, losses and gradients as sentence-transformers'
column-by-column forwards, with each chunk padded only to its own longest text."""

from __future__ import annotations

import pytest
import torch

from lab.recipes import prepare
from lab.training.packing import pack, packed_embeddings


@pytest.fixture(scope="module")
def batch(tiny_model):
    """A triplet batch of 24 NLI rows as the trainer's collator gives it: one right-padded token batch per column."""
    rows = prepare("nli-triplets", seed=0, max_rows=24, data_source="offline").rows
    return [dict(tiny_model.preprocess(rows[c].astype(str).tolist())) for c in rows.columns]


def _copy(features):
    return [dict(f) for f in features]  # a forward writes its outputs into the dict it is given


class _Recording(torch.nn.Module):
    """The model, recording the shape of every token batch it embeds."""

    def __init__(self, model):
        super().__init__()
        self.model, self.shapes = model, []

    def forward(self, features):
        self.shapes.append(tuple(features["input_ids"].shape))
        return self.model(features)

    def get_embedding_dimension(self):
        return self.model.get_embedding_dimension()


def test_the_same_embeddings_with_less_padding(tiny_model, batch):
    tiny_model.eval()
    with torch.no_grad():
        alone = [tiny_model(f)["sentence_embedding"] for f in _copy(batch)]
        recording = _Recording(tiny_model)
        packed = packed_embeddings(recording, _copy(batch), elements=128 * 200)  # a few chunks
    assert [p.shape for p in packed] == [a.shape for a in alone]
    for p, a in zip(packed, alone, strict=True):
        torch.testing.assert_close(p, a, atol=1e-5, rtol=1e-4)
    assert len(recording.shapes) > 1 and sum(r for r, _ in recording.shapes) == 3 * 24
    assert all(r * w * 128 <= 128 * 200 or r == 1 for r, w in recording.shapes)  # each chunk within the budget
    per_column = sum(f["input_ids"].numel() for f in batch)
    assert sum(r * w for r, w in recording.shapes) < 0.8 * per_column, (recording.shapes, per_column)


@pytest.mark.parametrize("loss_name", ["mnrl", "softmax", "cosine", "triplet"])
def test_a_packed_loss_gives_the_same_loss_and_gradients(tiny_model, batch, loss_name):
    from lab.config import RunConfig
    from lab.training.setup import build_loss

    config = RunConfig(model="tiny-bert", loss=loss_name, group_by_length=False,
                       recipe={"softmax": "nli-3class", "cosine": "nli-scores"}.get(loss_name, "nli-triplets"))
    features = batch if loss_name in ("mnrl", "triplet") else batch[:2]
    labels = torch.tensor([i % 3 for i in range(24)]) if loss_name == "softmax" else (
        torch.linspace(0, 1, 24) if loss_name == "cosine" else None)
    tiny_model.eval()  # no dropout: both ways must agree exactly
    results = []
    for packed in (False, True):
        loss = build_loss(config, tiny_model, num_labels=3)
        assert not packed or pack(loss)
        assert packed_embeddings(tiny_model, _copy(features)) is not None  # the packed path, not its fallback
        tiny_model.zero_grad()
        value = loss(_copy(features), labels)
        value.backward()
        grads = [p.grad.clone() for p in tiny_model.parameters() if p.grad is not None]
        results.append((value.detach(), grads))
    torch.testing.assert_close(results[0][0], results[1][0], atol=1e-5, rtol=1e-4)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-3)


def test_what_is_not_packed(tiny_model, batch):
    from lab.config import RunConfig
    from lab.training.setup import build_loss

    # losses that do more than embed each column once keep their own forward
    for changes in ({"loss": "cached-mnrl"}, {"loss": "mnrl", "matryoshka_dims": (64, 32)}):
        loss = build_loss(RunConfig(model="tiny-bert", **changes), tiny_model, None)
        assert not pack(loss)
    # the run's settings: packed only when it batches by length
    assert build_loss(RunConfig(model="tiny-bert"), tiny_model, None).forward.__name__ == "forward"
    assert "forward" in vars(build_loss(RunConfig(model="tiny-bert"), tiny_model, None))
    assert "forward" not in vars(build_loss(RunConfig(model="tiny-bert", group_by_length=False), tiny_model, None))
    # left padding (or holes in a mask) would lose tokens when a chunk is cut at its longest text: not packed
    left = _copy(batch)
    left[0]["attention_mask"] = left[0]["attention_mask"].flip(1)
    assert packed_embeddings(tiny_model, left) is None
    # a tensor the packing does not know, or columns that disagree on their metadata: not packed
    assert packed_embeddings(tiny_model, [{**f, "prompt_length": torch.tensor([2])} for f in _copy(batch)]) is None
    disagreeing = [{**f, "modality": m} for f, m in zip(_copy(batch), "abc", strict=True)]
    assert packed_embeddings(tiny_model, disagreeing) is None


def _brute_force_cost(lengths, hidden, elements):
    """The least cost of any cut of `lengths` into consecutive chunks, tried one by one (2^(n-1) cuts)."""
    import itertools

    from lab.training.packing import chunk_cost_tokens

    best = float("inf")
    for cuts in itertools.product((False, True), repeat=len(lengths) - 1):
        starts = [0] + [i + 1 for i, cut in enumerate(cuts) if cut]
        chunks = [lengths[a:b] for a, b in zip(starts, [*starts[1:], len(lengths)], strict=True)]
        if any(len(c) > 1 and len(c) * c[-1] * hidden > elements for c in chunks):
            continue
        best = min(best, sum(len(c) * c[-1] + chunk_cost_tokens(hidden) for c in chunks))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_chunks_are_cut_where_they_cost_least(seed):
    from lab.training.packing import chunk_bounds, chunk_cost_tokens

    rng = torch.Generator().manual_seed(seed)
    lengths = sorted(torch.randint(1, 60, (11,), generator=rng).tolist())
    hidden, elements = 128, 128 * 150
    bounds = chunk_bounds(lengths, hidden, elements)
    assert [b[0] for b in bounds] == [0] + [b[1] for b in bounds[:-1]] and bounds[-1][1] == len(lengths)  # a cover
    assert all(longest == lengths[end - 1] for _, end, longest in bounds)
    assert all((end - start) * longest * hidden <= elements or end - start == 1 for start, end, longest in bounds)
    cost = sum((end - start) * longest + chunk_cost_tokens(hidden) for start, end, longest in bounds)
    assert cost == pytest.approx(_brute_force_cost(lengths, hidden, elements))


def test_a_chunk_costs_more_for_a_small_model_so_it_gets_fewer_chunks():
    from lab.training.packing import chunk_bounds, chunk_cost_tokens

    assert chunk_cost_tokens(128) > chunk_cost_tokens(384) > chunk_cost_tokens(768) > 0
    lengths = list(range(5, 101, 5)) * 2
    lengths.sort()
    assert len(chunk_bounds(lengths, 128, 10**9)) < len(chunk_bounds(lengths, 768, 10**9))
    assert chunk_bounds([7], 384) == [(0, 1, 7)] and chunk_bounds([500, 600], 384, 10) == [(0, 1, 500), (1, 2, 600)]


def test_every_chunk_looks_its_tokens_up_in_one_lookup(tiny_model, batch):
    table = tiny_model[0].auto_model.get_input_embeddings()
    calls = []
    handle = table.register_forward_hook(lambda module, args, out: calls.append(args[0].shape))
    try:
        tiny_model.eval()
        with torch.no_grad():
            packed = packed_embeddings(tiny_model, _copy(batch), elements=128 * 200)
    finally:
        handle.remove()
    assert len(calls) == 1 and len(calls[0]) == 1  # one flat lookup for all the chunks
    assert sum(p.shape[0] for p in packed) == 3 * 24
