"""Fast CPU dropout (lab/training/dropout.py): Bernoulli masks at the asked rate, scaled as torch's, reproducible from
the seed; attention that is sdpa's wherever no mask is drawn; a model switched over trains, evaluates and saves as
before."""

from __future__ import annotations

import json

import pytest
import torch

from lab.training.dropout import FAST_ATTENTION, cpu_attention, drop, fast_dropout, keep_mask


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_a_mask_keeps_each_element_with_one_minus_p(p):
    torch.manual_seed(0)
    mask = keep_mask(torch.Size([1000, 1000]), p)
    assert mask.dtype == torch.bool and mask.shape == (1000, 1000)
    assert abs(mask.float().mean().item() - (1 - p)) < 0.002  # 1M draws: the standard error is 0.0005 at p = 0.5
    rows, cols = mask.float().mean(dim=1), mask.float().mean(dim=0)  # no stripes: every row and column at the rate
    assert rows.min() > 1 - p - 0.07 and rows.max() < 1 - p + 0.07
    assert cols.min() > 1 - p - 0.07 and cols.max() < 1 - p + 0.07
    assert abs(mask[:, :-1].eq(mask[:, 1:]).float().mean().item() - (p**2 + (1 - p) ** 2)) < 0.003  # neighbours apart


def test_masks_follow_the_seed():
    torch.manual_seed(3)
    first = keep_mask(torch.Size([7, 33]), 0.1)  # an odd size: the last 64-bit word is only partly used
    again = keep_mask(torch.Size([7, 33]), 0.1)
    torch.manual_seed(3)
    assert torch.equal(keep_mask(torch.Size([7, 33]), 0.1), first)
    assert not torch.equal(again, first)


def test_drop_scales_the_kept_elements_and_passes_their_gradient():
    x = torch.randn(300, 200, requires_grad=True)
    torch.manual_seed(1)
    y = drop(x, 0.25, True)
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / 0.75)
    assert abs(kept.float().mean().item() - 0.75) < 0.01
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.75)


def test_no_mask_is_drawn_in_evaluation_or_at_p_zero():
    x = torch.randn(40, 30)
    state = torch.get_rng_state()
    assert drop(x, 0.3, False) is x or torch.equal(drop(x, 0.3, False), x)
    assert torch.equal(drop(x, 0.0, True), x)
    assert torch.equal(torch.get_rng_state(), state)  # nothing drawn: the run's random stream is untouched


def _qkv(lengths=(5, 9, 12), heads=4, dim=16):
    torch.manual_seed(0)
    q, k, v = (torch.randn(len(lengths), heads, max(lengths), dim) for _ in range(3))
    positions = torch.arange(max(lengths))
    mask = (positions[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :].expand(-1, 1, max(lengths), -1)
    return q, k, v, mask


class _Encoder(torch.nn.Module):
    is_causal = False


@pytest.mark.parametrize("with_mask", [True, False])
def test_attention_is_sdpas_where_nothing_is_dropped(with_mask):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    q, k, v, mask = _qkv()
    mask = mask if with_mask else None
    expected, _ = sdpa_attention_forward(_Encoder(), q, k, v, mask, dropout=0.0, scaling=0.25)
    # p = 1e-9 draws a mask that keeps everything: the fast path's own math must then be sdpa's result
    fast, weights = cpu_attention(_Encoder(), q, k, v, mask, dropout=1e-9, scaling=0.25)
    assert weights is None and fast.shape == expected.shape == (3, 12, 4, 16)
    torch.testing.assert_close(fast, expected, atol=1e-5, rtol=1e-5)
    plain, _ = cpu_attention(_Encoder(), q, k, v, mask, dropout=0.0, scaling=0.25)
    torch.testing.assert_close(plain, expected)


def test_attention_dropout_drops_probabilities_not_tokens():
    q, k, v, mask = _qkv(lengths=(12, 12, 12))
    torch.manual_seed(5)
    dropped, _ = cpu_attention(_Encoder(), q, k, v, mask, dropout=0.5, scaling=0.25)
    torch.manual_seed(5)
    again, _ = cpu_attention(_Encoder(), q, k, v, mask, dropout=0.5, scaling=0.25)
    full, _ = cpu_attention(_Encoder(), q, k, v, mask, dropout=0.0, scaling=0.25)
    torch.testing.assert_close(dropped, again)  # the seed decides
    assert not torch.allclose(dropped, full)
    # in expectation the output is the undropped one: average many draws
    mean = torch.stack([cpu_attention(_Encoder(), q, k, v, mask, dropout=0.5, scaling=0.25)[0] for _ in range(400)])
    assert (mean.mean(0) - full).abs().mean() < 0.1 * full.abs().mean()


def test_a_switched_model_evaluates_as_before_trains_with_fresh_masks_and_saves_plainly(tmp_path):
    from lab.models import load_model

    model = load_model("tiny-bert", seed=0)
    texts = ["a man is playing a guitar", "two dogs run on the beach near the water", "hello"]
    model.eval()
    before = model.encode(texts, convert_to_tensor=True)
    dropouts = sum(type(m) is torch.nn.Dropout for m in model.modules())
    assert fast_dropout(model) == dropouts + 1  # every nn.Dropout, and the transformer's attention
    assert model[0].auto_model.config._attn_implementation == FAST_ATTENTION
    torch.testing.assert_close(model.encode(texts, convert_to_tensor=True), before, atol=1e-5, rtol=1e-5)

    model.train()
    features = model.preprocess(texts)
    torch.manual_seed(2)
    first = model(dict(features))["sentence_embedding"]
    second = model(dict(features))["sentence_embedding"]
    torch.manual_seed(2)
    replay = model(dict(features))["sentence_embedding"]
    assert not torch.allclose(first, second)  # dropout is on in training
    torch.testing.assert_close(first, replay)  # and follows the seed
    first.sum().backward()
    assert model[0].auto_model.embeddings.word_embeddings.weight.grad.abs().sum() > 0

    model.eval()
    model.save(str(tmp_path / "saved"))
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert FAST_ATTENTION not in json.dumps(config)  # a saved model loads anywhere, without the lab
    from sentence_transformers import SentenceTransformer

    torch.testing.assert_close(SentenceTransformer(str(tmp_path / "saved")).encode(texts, convert_to_tensor=True),
                               before, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("group_by_length", "attention"), [(True, FAST_ATTENTION), (False, "sdpa")])
def test_a_run_drops_out_fast_unless_it_trains_like_the_plain_script(group_by_length, attention):
    from lab.config import RunConfig
    from lab.models import load_model
    from lab.training.setup import build_loss

    model = load_model("tiny-bert", seed=0)
    build_loss(RunConfig(model="tiny-bert", loss="mnrl", group_by_length=group_by_length), model, None)
    assert model[0].auto_model.config._attn_implementation == attention
