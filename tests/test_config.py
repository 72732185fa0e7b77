"""RunConfig validates itself and round-trips through JSON."""

from __future__ import annotations

import json

import pytest

from lab.config import RunConfig
from lab.errors import ConfigError


def test_defaults_are_valid_and_round_trip():
    config = RunConfig(matryoshka_dims=(64, 384, 128))
    assert config.matryoshka_dims == (384, 128, 64)
    again = RunConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert again.loss_params == {"scale": 20.0}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "whole number"),
        ({"epochs": float("nan")}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"max_train_samples": 0}, "max_train_samples"),
        ({"recipe": "nope"}, "Unknown recipe"),
        ({"loss": "nope"}, "Unknown loss"),
        ({"recipe": "nli-scores", "loss": "softmax"}, "Recipes that fit"),
        ({"pooling": "max"}, "pooling"),
        ({"data_source": "web"}, "data_source"),
        ({"recipe": "nli-3class", "loss": "softmax", "matryoshka_dims": (64,)}, "Matryoshka"),
        ({"model": "  "}, "model"),
        ({"loss_params": {"bogus": 1}}, "Unknown knob"),
    ],
)
def test_bad_values_are_refused_with_a_specific_message(changes, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**changes)


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="Unknown config keys: colour"):
        RunConfig.from_dict({"colour": "red"})


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        RunConfig().batch_size = 3  # type: ignore[misc]


@pytest.mark.parametrize("pairs, message", [
    ("A | B", r"a list of \[sentence, sentence\] pairs"),
    ([["only one"]], "two non-empty sentences"),
    ([["a", "  "]], "two non-empty sentences"),
    ([["a", 3]], "two non-empty sentences"),
    ([["a", "b"]] * 9, "at most 8 pairs"),
    ([["a", "x" * 301]], "at most 300 characters"),
])
def test_probe_pairs_are_checked(pairs, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(probe_pairs=pairs)


def test_probe_pairs_round_trip_through_the_saved_config():
    config = RunConfig(probe_pairs=[[" A cat. ", "A kitten."]], views=False)
    assert config.probe_pairs == (("A cat.", "A kitten."),)
    assert RunConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="views must be true or false"):
        RunConfig(views="yes")
