"""The recipe and loss registries agree with each other and with the data formats."""

from __future__ import annotations

import pytest

from lab.config import check_fit
from lab.errors import ConfigError
from lab.formats import FORMATS
from lab.losses import LOSSES, fitting_losses, resolve_params
from lab.recipes import RECIPES


def test_every_recipe_names_a_known_format():
    for recipe in RECIPES.values():
        assert recipe.format_key in FORMATS, recipe.key


def test_every_loss_takes_known_formats_and_has_a_fitting_recipe():
    recipe_formats = {r.format_key for r in RECIPES.values()}
    for spec in LOSSES.values():
        assert set(spec.formats) <= set(FORMATS), spec.key
        assert recipe_formats & set(spec.formats), f"no recipe feeds loss {spec.key}"


def test_every_recipe_has_a_fitting_loss():
    for recipe in RECIPES.values():
        assert fitting_losses(recipe.format_key), recipe.key


def test_in_batch_negative_losses_use_the_no_duplicates_sampler():
    for key in ("mnrl", "cached-mnrl", "gist"):
        assert LOSSES[key].batch_sampler == "no_duplicates"


def test_misfit_names_the_recipes_that_fit():
    with pytest.raises(ConfigError) as err:
        check_fit("nli-3class", "mnrl")
    assert "nli-triplets" in str(err.value) and "softmax" in str(err.value)


def test_knobs_get_defaults_types_and_ranges():
    assert resolve_params("mnrl", {}) == {"scale": 20.0}
    assert resolve_params("cached-mnrl", {"mini_batch_size": "8"})["mini_batch_size"] == 8
    with pytest.raises(ConfigError, match="between"):
        resolve_params("mnrl", {"scale": 0})
    with pytest.raises(ConfigError, match="Unknown knob"):
        resolve_params("cosine", {"scale": 3})
    with pytest.raises(ConfigError, match="whole number"):
        resolve_params("cached-mnrl", {"mini_batch_size": 2.5})
    with pytest.raises(ConfigError, match="number"):
        resolve_params("triplet", {"margin": "nan"})
