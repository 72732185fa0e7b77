"""`upload-<format>`: your own data (checked by lab/upload/, kept by lab/upload/saved.py), trained like a
built-in recipe. One recipe per uploadable format; 'single' sentences become TSDAE's (damaged, original) pairs.
"""

from __future__ import annotations

import pandas as pd

from lab.errors import ConfigError
from lab.formats import FORMATS, UPLOAD_FORMATS
from lab.recipes.base import Recipe, clean_text
from lab.recipes.tsdae import DEL_RATIO, add_noise
from lab.sources import SourceInfo


def _no_rows(mode: str) -> tuple[pd.DataFrame, SourceInfo]:
    raise ConfigError("This recipe trains on an upload: give the upload id.")


def _identity(format_key: str):
    columns = FORMATS[format_key]

    def transform(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
        return clean_text(rows, columns.inputs)[list(columns.columns)].reset_index(drop=True)

    return transform


def _noisy(rows: pd.DataFrame, seed: int, del_ratio: float = 0.6) -> pd.DataFrame:
    return add_noise(rows["text"], seed, del_ratio)


UPLOAD_RECIPES = tuple(
    Recipe(f"upload-{fmt}", fmt, f"Your own data: {FORMATS[fmt].description}", _no_rows, _identity(fmt),
           uses_upload=True)
    for fmt in UPLOAD_FORMATS if fmt != "single"
) + (
    Recipe("upload-single", "denoise", "Your own unlabelled sentences, with deletion noise (TSDAE).", _no_rows,
           _noisy, knobs=(DEL_RATIO,), uses_upload=True),
)


def recipe_for(format_key: str) -> str:
    return f"upload-{format_key}"
