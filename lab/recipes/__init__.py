"""The recipe registry: one file per recipe, one line here. `prepare` runs load → transform → limit → enrich.

A recipe only makes data; what a run does with it (one training, a multi-stage pipeline) is decided in
lab/jobs/dispatch.py.
"""

from __future__ import annotations

from typing import Any

from lab.knobs import resolve_knobs
from lab.recipes import (
    augsbert,
    domain_adapt,
    nli_3class,
    nli_scores,
    nli_triplets,
    nli_triplets_hard,
    stsb_scores,
    tsdae,
    upload,
)
from lab.recipes.base import PreparedData, Recipe, limit_rows
from lab.upload.saved import load_saved_upload

RECIPES: dict[str, Recipe] = {
    r.key: r
    for r in (
        nli_3class.RECIPE,
        nli_scores.RECIPE,
        nli_triplets.RECIPE,
        nli_triplets_hard.RECIPE,
        stsb_scores.RECIPE,
        tsdae.RECIPE,
        tsdae.MEDQUAD_RECIPE,
        augsbert.RECIPE,
        domain_adapt.RECIPE,
        *upload.UPLOAD_RECIPES,
    )
}


def prepare(
    recipe_key: str,
    *,
    seed: int,
    max_rows: int | None,
    data_source: str = "auto",
    params: dict[str, Any] | None = None,
    upload_id: str = "",
) -> PreparedData:
    """load → transform → keep max_rows (seeded) → enrich; the rows have exactly the format's columns."""
    recipe = RECIPES[recipe_key]
    params = resolve_knobs(f"recipe '{recipe_key}'", recipe.knobs, params)
    raw, source = load_saved_upload(upload_id) if recipe.uses_upload else recipe.load_rows(data_source)
    rows = recipe.transform(raw, seed, **params)
    used = limit_rows(rows, max_rows, seed)
    if recipe.enrich is not None:
        used = recipe.enrich(used, seed, **params)
    return PreparedData(used[list(recipe.format.columns)], source, raw_rows=len(raw), transformed_rows=len(rows))


__all__ = ["RECIPES", "PreparedData", "Recipe", "prepare"]
