"""lab/models.py: the plain base the lab pretrained ships in the repository and loads offline as the catalog says."""

from __future__ import annotations

import json

from lab.host.paths import plain_model_dir
from lab.models import CATALOG, check_model, load_model


def test_the_plain_base_is_small_enough_for_a_space_without_lfs():
    files = [p for p in plain_model_dir().rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json"}
    assert max(p.stat().st_size for p in files) < 10_000_000  # Spaces refuse bigger files without LFS


def test_the_plain_base_loads_offline_with_tiny_berts_shape_in_fp32_and_mean_pooling():
    config = json.loads((plain_model_dir() / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"]) == (2, 128, 2)
    model = load_model("lab-plain-bert")
    assert model.get_embedding_dimension() == CATALOG["lab-plain-bert"].dim == 128
    assert model[1].get_config_dict()["pooling_mode"] == "mean"
    assert all(p.dtype.is_floating_point and p.element_size() == 4 for p in model.parameters())  # fp16 on disk
    random = load_model("tiny-bert")
    same_shape = {k: v.shape for k, v in model[0].auto_model.state_dict().items()}
    assert same_shape == {k: v.shape for k, v in random[0].auto_model.state_dict().items()}
    assert model.encode(["a man is playing a guitar"]).shape == (1, 128)


def test_hub_only_plain_berts_say_where_to_turn_offline(monkeypatch):
    import pytest

    from lab.errors import ModelError

    monkeypatch.setattr("lab.models.hub_available", lambda: False)
    with pytest.raises(ModelError, match="lab-plain-bert"):
        check_model("google/bert_uncased_L-4_H-256_A-4")
    assert check_model("lab-plain-bert").kind == "plain"
