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


def test_a_new_loss_is_one_entry_and_appears_in_form_cli_learn_tab_and_show_code(monkeypatch, capsys):
    """Adding a loss = one LossSpec in the registry (here a throwaway one, removed after the test): the form offers
    it with its knob, the CLI lists it, the Learn tab explains it, and "Show code" writes its line."""
    from lab import cli, service
    from lab.config import RunConfig
    from lab.knobs import Knob
    from lab.losses import LossSpec
    from lab.service.script import training_script
    from lab.ui import learn_tab
    from lab.ui.app import build_app

    spec = LossSpec("toy-infonce", ("triplet", "pair"), "Toy InfoNCE: a throwaway loss for this test.",
                    lambda ctx: None, (Knob("toy_temperature", 0.05, 0.01, 1.0, "Toy temperature."),),
                    batch_sampler="no_duplicates", details="Softmax over in-batch candidates at a toy temperature.",
                    script="losses.MultipleNegativesRankingLoss(model, scale=1 / {toy_temperature})")
    monkeypatch.setitem(LOSSES, spec.key, spec)

    # the form: offered for a triplet recipe (not for a pair-score one), with an input for its knob
    assert "toy-infonce" in [k for _, k in service.loss_choices("nli-triplets")]
    assert "toy-infonce" not in [k for _, k in service.loss_choices("nli-scores")]
    ids = {c.get("props", {}).get("elem_id") for c in build_app().config["components"]}
    assert "knob-toy_temperature" in ids
    config = service.build_config({**service.DEFAULT_FORM, "model": "tiny-bert", "loss": "toy-infonce"},
                                  {"toy_temperature": 0.1})
    assert config.loss_params == {"toy_temperature": 0.1}
    # the CLI
    assert cli.main(["losses"]) == 0
    assert "toy-infonce" in capsys.readouterr().out
    # the Learn tab
    assert "Softmax over in-batch candidates at a toy temperature." in learn_tab.losses_table()
    # "Show code"
    code = training_script(RunConfig(model="tiny-bert", loss="toy-infonce", loss_params={"toy_temperature": 0.1}))
    assert "losses.MultipleNegativesRankingLoss(model, scale=1 / 0.1)" in code
