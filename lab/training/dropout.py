"""Dropout drawn fast on a CPU: the same masks (each element kept with probability 1 − p, scaled by 1/(1 − p)), with
their random bits taken 16 at a time from 64-bit random words instead of one random float per element.

torch's CPU dropout draws its mask with `bernoulli_`, one element at a time (~4.6 ns an element on this CPU): a
MiniLM training step spent 6.6 % of its time there, the small plain BERT's 11.8 % (torch profiler; the A/B in
bench/results/throughput.md). A 16-bit lane compared with round(p · 65536) is a Bernoulli draw with p within
1/131072 of the asked one, at about a fifth of the cost. Both of a BERT's kinds of dropout are covered: its
`nn.Dropout` modules (embeddings, attention output, feed-forward output) and the dropout on attention probabilities,
which sdpa applies inside its kernel: a model whose attention goes through transformers' AttentionInterface gets
`cpu_attention`, which is sdpa everywhere except where dropout is drawn on a CPU (training), and there sdpa's own
math with the fast mask. On a GPU, in evaluation, or for any other model, both fall through to torch's own code.

Self-contained (torch and transformers only): "Show code" copies it into its scripts, so a script draws the same
masks from the same seed as the lab.
"""

from __future__ import annotations

import torch

FAST_ATTENTION = "lab_cpu_dropout"  # the name cpu_attention is registered under in transformers' interfaces


def keep_mask(shape: torch.Size, p: float) -> torch.Tensor:
    """A bool tensor of `shape`, each element True with probability 1 − p, from the default CPU generator."""
    count = shape.numel()
    words = torch.empty((count + 3) // 4, dtype=torch.int64).random_(-(2**63), 2**63 - 1)
    return words.view(torch.int16)[:count].view(shape) >= -32768 + round(p * 65536)


def drop(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """`torch.nn.functional.dropout(x, p, training)` with the fast mask where it draws one on a CPU."""
    if not training or p <= 0.0 or p >= 1.0 or x.device.type != "cpu":
        return torch.nn.functional.dropout(x, p, training)
    return x.mul(keep_mask(x.shape, p)).mul_(1.0 / (1.0 - p))


def _dropout_forward(self, x: torch.Tensor) -> torch.Tensor:
    return drop(x, self.p, self.training)


def cpu_attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """sdpa, but for an encoder's attention with dropout on a CPU: softmax(q·kᵀ · scaling + mask), then the fast
    mask, then · v (what sdpa's math kernel computes there)."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    plain = (dropout <= 0.0 or query.device.type != "cpu" or kwargs.get("is_causal") or kwargs.get("softcap")
             or kwargs.get("position_bias") is not None or getattr(module, "is_causal", False)
             or getattr(module, "num_key_value_groups", 1) != 1 or query.shape[1] != key.shape[1])
    if plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    scaling = query.shape[-1] ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min) \
            if attention_mask.dtype == torch.bool else scores + attention_mask
    weights = drop(torch.softmax(scores, dim=-1), dropout, True)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), None


def fast_dropout(model: torch.nn.Module) -> int:
    """Give `model`'s dropout the fast mask on a CPU: its `nn.Dropout` modules, and its attention where it runs on
    sdpa through transformers' AttentionInterface. Returns how many places were switched."""
    from transformers import AttentionInterface, PreTrainedModel
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    AttentionInterface.register(FAST_ATTENTION, cpu_attention)
    AttentionMaskInterface.register(FAST_ATTENTION, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])
    switched = 0
    for module in model.modules():
        if type(module) is torch.nn.Dropout:
            module.forward = _dropout_forward.__get__(module)  # this module's own forward, bound to it
            switched += 1
        elif (isinstance(module, PreTrainedModel) and module.config._attn_implementation == "sdpa"
              and module._can_set_attn_implementation()):
            module.set_attn_implementation(FAST_ATTENTION)
            switched += 1
    return switched
