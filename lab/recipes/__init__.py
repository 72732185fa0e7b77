"""The recipe registry: one file per recipe, one line here. `prepare` runs load → transform → limit."""

from __future__ import annotations

from lab.recipes import nli_3class, nli_scores, nli_triplets, stsb_scores
from lab.recipes.base import PreparedData, Recipe, limit_rows

RECIPES: dict[str, Recipe] = {
    r.key: r
    for r in (
        nli_3class.RECIPE,
        nli_scores.RECIPE,
        nli_triplets.RECIPE,
        stsb_scores.RECIPE,
    )
}


def prepare(recipe_key: str, *, seed: int, max_rows: int | None, data_source: str = "auto") -> PreparedData:
    recipe = RECIPES[recipe_key]
    raw, source = recipe.load_rows(data_source)
    rows = recipe.transform(raw, seed)
    used = limit_rows(rows, max_rows, seed)[list(recipe.format.columns)]
    return PreparedData(used, source, raw_rows=len(raw), transformed_rows=len(rows))


__all__ = ["RECIPES", "PreparedData", "Recipe", "prepare"]
