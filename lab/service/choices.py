"""What the form offers: models, recipes, the losses that fit a recipe, and each loss's and recipe's knobs."""

from __future__ import annotations

from lab.formats import FORMATS
from lab.losses import LOSSES, fitting_losses
from lab.models import CATALOG
from lab.recipes import RECIPES


def model_choices() -> list[tuple[str, str]]:
    return [(f"{k} — {e.description}", k) for k, e in CATALOG.items()]


def recipe_choices() -> list[tuple[str, str]]:
    return [(f"{k} ({r.format_key})", k) for k, r in RECIPES.items()]


def loss_choices(recipe: str) -> list[tuple[str, str]]:
    """Only the losses that can take this recipe's data, each with its one-line description."""
    recipe_obj = RECIPES.get(recipe)
    if recipe_obj is None:
        return []
    return [(f"{k} — {LOSSES[k].description}", k) for k in fitting_losses(recipe_obj.format_key)]


def _names(owners) -> list[str]:
    """Every knob of these losses or recipes, once each, in registry order (the form has one input per name)."""
    names: list[str] = []
    for owner in owners:
        names += [k.name for k in owner.knobs if k.name not in names]
    return names


def _info(owners, name: str) -> tuple[float, str, bool]:
    """(default, help, integer) of the first knob with this name."""
    for owner in owners:
        for k in owner.knobs:
            if k.name == name:
                return k.default, f"{k.help} Range {k.low:g}–{k.high:g}.", k.integer
    raise KeyError(name)


def knob_names() -> list[str]:
    return _names(LOSSES.values())


def knob_info(name: str) -> tuple[float, str, bool]:
    return _info(LOSSES.values(), name)


def loss_knobs(loss: str) -> list[str]:
    spec = LOSSES.get(loss)
    return [k.name for k in spec.knobs] if spec else []


def recipe_knob_names() -> list[str]:
    return _names(RECIPES.values())


def recipe_knob_info(name: str) -> tuple[float, str, bool]:
    return _info(RECIPES.values(), name)


def recipe_knobs(recipe: str) -> list[str]:
    r = RECIPES.get(recipe)
    return [k.name for k in r.knobs] if r else []


def recipe_text(recipe: str) -> str:
    r = RECIPES.get(recipe)
    if r is None:
        return ""
    fmt = FORMATS[r.format_key]
    text = f"{r.description}  \n*Format* `{r.format_key}`: {fmt.description}"
    if r.pipeline is not None:
        text += "  \n*A multi-stage pipeline*: the plan below covers one training stage; the whole run takes longer."
    return text
