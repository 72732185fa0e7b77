"""What the form offers: models, recipes, the losses that fit a recipe, each loss's and recipe's knobs, and what
the Learn tab says of each loss — all read from the registries, so a new entry appears everywhere."""

from __future__ import annotations

from lab.formats import FORMATS
from lab.jobs.dispatch import is_pipeline
from lab.losses import LOSSES, fitting_losses
from lab.models import CATALOG
from lab.recipes import RECIPES


def model_choices() -> list[tuple[str, str]]:
    return [(f"{k} — {e.description}", k) for k, e in CATALOG.items()]


def recipe_choices(upload_recipe: str | None = None, upload_name: str = "") -> list[tuple[str, str]]:
    """The form's recipes: built-in ones (pipelines marked), and `upload-*` only once this page used an upload."""
    out = [(f"{k} ({r.format_key}{', pipeline' if is_pipeline(k) else ''})", k)
           for k, r in RECIPES.items() if not r.uses_upload]
    if upload_recipe in RECIPES:
        out.append((f"{upload_recipe}: your file {upload_name}".strip(), upload_recipe))
    return out


def base_model_choices(kinds: tuple[str, ...] = ("bundled", "plain", "tiny")) -> list[tuple[str, str]]:
    """Catalog models of these kinds (default: the ones every machine has) as (key, key)."""
    return [(k, k) for k, e in CATALOG.items() if e.kind in kinds]


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
    if is_pipeline(recipe):
        text += "  \n*A multi-stage pipeline*: the plan below covers one training stage; the whole run takes longer."
    return text


def loss_description(loss: str) -> str:
    spec = LOSSES.get(loss)
    return spec.description if spec else ""


def loss_rows() -> list[dict[str, str]]:
    """One row per loss for the Learn tab: its key, the columns it takes, what it computes, its knobs."""
    return [{"loss": key,
             "takes": " or ".join(f"`{f}` ({', '.join(FORMATS[f].columns)})" for f in spec.formats if f in FORMATS),
             "what": spec.details or spec.description,
             "knobs": ", ".join(k.name for k in spec.knobs)}
            for key, spec in LOSSES.items()]
