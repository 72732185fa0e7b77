"""Packed forwards on CPU: every text of a batch (all its columns) sorted by length and embedded in chunks, each
padded only to its own longest text. The loss sees the same embeddings in the same order.

sentence-transformers embeds a batch column by column (the candidate columns merged), each padded to its longest
text, and on a CPU the padding is paid in full: a triplet batch of NLI texts carries far more padded tokens than
real ones. Sorting all 3 × 32 texts by length and cutting them into chunks pads each chunk only to its own longest
text. Where to cut is a trade: a chunk costs its padded tokens plus a fixed part (launching each layer, adding its
weights' gradients: `chunk_cost_tokens`, measured), and no chunk holds more than PACK_ELEMENTS activations (tokens ×
hidden size: bigger chunks fall out of the CPU's cache and were slower); `chunk_bounds` finds the cheapest cut. The
tokens of every chunk are looked up in the embedding table at once, so its gradient (30,522 × hidden floats, dense)
is made once a batch rather than once a chunk. The rows of a batch do not change, so in-batch negatives stay what
they were; only the order in which dropout draws its masks does. bench/throughput.py measures the gain.

Self-contained (torch only): "Show code" copies `pack` and `packed_embeddings` into its scripts, so a script trains
exactly as the lab does. A GPU, which wants one big batch, keeps sentence-transformers' own forwards.
"""

from __future__ import annotations

import torch

PACK_ELEMENTS = 160_000  # most tokens × hidden size in a chunk: ~420 tokens of MiniLM (384), ~1,250 of a 128-d BERT
PACKED_LOSSES = ("MultipleNegativesRankingLoss", "CosineSimilarityLoss", "CoSENTLoss", "AnglELoss", "TripletLoss",
                 "SoftmaxLoss")  # losses that embed every column once, then compute from the embeddings
TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")


def packed_embeddings(model, features: list[dict], elements: int = PACK_ELEMENTS) -> list[torch.Tensor] | None:
    """One `sentence_embedding` tensor per column, computed in length-sorted chunks; None when the columns are not
    plain right-padded token batches (the caller then embeds them its own way)."""
    keys = [k for k in TOKEN_KEYS if k in features[0]]
    # metadata (the modality) passes through when every column agrees on it; any other tensor is not ours to cut
    meta = {k: v for k, v in features[0].items() if k not in TOKEN_KEYS}
    if "input_ids" not in keys or "attention_mask" not in keys or any(
            isinstance(v, torch.Tensor) for v in meta.values()) or any(
            {k: v for k, v in f.items() if k not in TOKEN_KEYS} != meta or [k for k in TOKEN_KEYS if k in f] != keys
            for f in features):
        return None
    width = max(f["input_ids"].shape[1] for f in features)
    rows = [f["input_ids"].shape[0] for f in features]
    batch = {k: torch.cat([torch.nn.functional.pad(f[k], (0, width - f[k].shape[1])) for f in features]) for k in keys}
    lengths = batch["attention_mask"].sum(dim=1)
    positions = torch.arange(width, device=lengths.device)
    if not torch.equal(batch["attention_mask"].bool(), positions[None, :] < lengths[:, None]):
        return None  # left padding or holes: a chunk cut at its longest text would lose tokens
    hidden = model.get_embedding_dimension() or 384
    order = torch.argsort(lengths, stable=True)
    bounds = chunk_bounds([max(n, 1) for n in lengths[order].tolist()], hidden, elements)
    cuts = [{k: batch[k][order[start:end], :longest] for k in keys} for start, end, longest in bounds]
    lookup = _input_embeddings(model)
    if lookup is not None:  # one lookup for every chunk: the vocabulary's gradient is made once, not once a chunk
        flat = lookup(torch.cat([cut.pop("input_ids").reshape(-1) for cut in cuts]))
        sizes = [cut["attention_mask"].numel() for cut in cuts]
        for cut, vectors in zip(cuts, flat.split(sizes), strict=True):
            cut["inputs_embeds"] = vectors.view(*cut["attention_mask"].shape, -1)
    chunks = [model({**meta, **cut})["sentence_embedding"] for cut in cuts]
    embeddings = torch.cat(chunks)[torch.argsort(order)]  # back to column-major row order
    return list(embeddings.split(rows))


def chunk_bounds(sorted_lengths: list[int], hidden: int, elements: int = PACK_ELEMENTS) -> list[tuple[int, int, int]]:
    """(start, end, longest) of each chunk of texts sorted by length: the cut that costs least, counting each chunk
    as its padded tokens plus a chunk's fixed cost (`chunk_cost_tokens`), with no chunk over `elements` activations
    (a single text may be). Exact by dynamic programming over where the last chunk starts."""
    n, fixed = len(sorted_lengths), chunk_cost_tokens(hidden)
    best, start_of = [0.0] + [float("inf")] * n, [0] * (n + 1)
    for end in range(1, n + 1):
        longest = sorted_lengths[end - 1]
        start = end - 1
        while start >= 0 and ((end - start) * longest * hidden <= elements or start == end - 1):
            cost = best[start] + (end - start) * longest + fixed
            if cost < best[end]:
                best[end], start_of[end] = cost, start
            start -= 1
    bounds, end = [], n
    while end > 0:
        bounds.append((start_of[end], end, sorted_lengths[end - 1]))
        end = start_of[end]
    return bounds[::-1]


def chunk_cost_tokens(hidden: int) -> float:
    """What one more chunk costs, in tokens of work: its forward's and backward's fixed part (launching every layer,
    adding its weights' gradients). Measured on this CPU: 34 tokens for MiniLM (384-d, 6 layers), 100 for the
    128-d, 2-layer BERT; a small model's layers cost little per token, so its fixed part weighs more."""
    return 26 + 1.2e6 / hidden**2


def _input_embeddings(model):
    """The token-embedding table of a sentence-transformers model whose first module is a transformer that takes
    `inputs_embeds`; None for any other model (its chunks then look their tokens up themselves)."""
    import inspect

    first = next(iter(model.children()), None) if isinstance(model, torch.nn.Sequential) else None
    inner = getattr(first, "auto_model", None)
    table = inner.get_input_embeddings() if inner is not None and hasattr(inner, "get_input_embeddings") else None
    if not isinstance(table, torch.nn.Embedding) or \
            "inputs_embeds" not in inspect.signature(inner.forward).parameters:
        return None
    return table


def pack(loss) -> bool:
    """Make `loss` embed its batches packed while its model is on a CPU; False (and unchanged) for a loss that
    does more than embed each column once (cached, guided, denoising, Matryoshka-wrapped losses)."""
    if type(loss).__name__ not in PACKED_LOSSES:
        return False
    compute = _softmax_from_embeddings(loss) if type(loss).__name__ == "SoftmaxLoss" else \
        loss.compute_loss_from_embeddings
    unpacked = loss.forward

    def forward(sentence_features, labels):
        features = list(sentence_features)
        on_cpu = next(loss.model.parameters()).device.type == "cpu"
        embeddings = packed_embeddings(loss.model, features) if on_cpu and len(features) > 0 else None
        return unpacked(features, labels) if embeddings is None else compute(embeddings, labels)

    loss.forward = forward
    return True


def _softmax_from_embeddings(loss):
    """SoftmaxLoss's forward after its embeddings: the classifier on (u, v, |u − v|), as configured."""

    def compute(embeddings, labels):
        a, b = embeddings
        parts = ([a, b] if loss.concatenation_sent_rep else []) + (
            [torch.abs(a - b)] if loss.concatenation_sent_difference else []) + (
            [a * b] if loss.concatenation_sent_multiplication else [])
        output = loss.classifier(torch.cat(parts, 1).to(loss.classifier.weight.dtype))
        if labels is None:
            return embeddings, output
        return loss.loss_fct(output, labels.view(-1) if loss.num_labels == 1 or labels.shape != output.shape
                             else labels)

    return compute
