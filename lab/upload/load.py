"""One-call routes through an upload: load_upload (bytes → checked rows, the CLI's route) and
make_upload_recipe (checked rows → a Recipe that trains like a built-in one).
"""

from __future__ import annotations

import pandas as pd

from lab.formats import FORMATS
from lab.recipes.base import Recipe, clean_text
from lab.sources import SourceInfo
from lab.upload.errors import UploadError, _q, display_name
from lab.upload.limits import MIN_ROWS, _format
from lab.upload.mapping import UploadResult, apply_mapping, suggest_mapping
from lab.upload.read import read_table


def load_upload(
    data: bytes,
    filename: str,
    format_key: str,
    mapping: dict[str, str] | None = None,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> UploadResult:
    """read_table → apply_mapping in one call (the CLI's route); without a mapping, the suggested one."""
    df = read_table(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    if mapping is None:
        mapping = suggest_mapping(df, format_key)
        missing = [c for c in _format(format_key).columns if c not in mapping]
        if missing:
            raise UploadError(f"Could not guess which column is {', '.join(missing)}; the file's columns are "
                              f"{', '.join(_q(c) for c in df.columns[:20])}. Name them explicitly.")
    return apply_mapping(df, format_key, mapping)


def make_upload_recipe(rows_df: pd.DataFrame, format_key: str, name: str, *, key: str = "upload") -> Recipe:
    """A recipe over checked upload rows (from `apply_mapping`), so an upload trains like a built-in recipe.

    The recipe keeps its own copy of the rows, so a later change to `rows_df` never reaches a run. Its
    transform only drops blank rows again; 'single' sentences become TSDAE's (damaged, original) pairs,
    since that is the only loss that reads unlabelled sentences.
    """
    fmt = _format(format_key)
    if list(rows_df.columns) != list(fmt.columns):
        raise UploadError(f"The rows must have exactly the {fmt.key} columns ({', '.join(fmt.columns)}); "
                          "run apply_mapping first.")
    if len(rows_df) < MIN_ROWS:
        raise UploadError(f"Only {len(rows_df)} row; training needs at least {MIN_ROWS}.")
    rows = rows_df.copy(deep=True).reset_index(drop=True)
    label = display_name(name)
    info = SourceInfo(name=f"Your upload: {label}", origin="upload", detail=label, rows=len(rows))

    def load_rows(mode: str) -> tuple[pd.DataFrame, SourceInfo]:
        return rows.copy(), info  # the data_source mode (Hub/bundled) does not apply to an upload

    if format_key == "single" and "denoise" in FORMATS:
        from lab.recipes import tsdae

        def noisy(raw: pd.DataFrame, seed: int, del_ratio: float = tsdae.DEL_RATIO.default) -> pd.DataFrame:
            return tsdae.add_noise(raw["text"], seed, del_ratio)

        return Recipe(key=key, format_key="denoise",
                      description=f"Your upload '{label}': {len(rows):,} sentences with deletion noise (TSDAE).",
                      load_rows=load_rows, transform=noisy, knobs=(tsdae.DEL_RATIO,))

    def transform(raw: pd.DataFrame, seed: int) -> pd.DataFrame:
        return clean_text(raw, fmt.inputs)[list(fmt.columns)].reset_index(drop=True)

    return Recipe(key=key, format_key=format_key,
                  description=f"Your upload '{label}': {len(rows):,} rows. {fmt.description}",
                  load_rows=load_rows, transform=transform)
