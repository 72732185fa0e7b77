"""`upload-<format>`: your own data (checked by lab/upload/, kept by lab/upload/saved.py), trained like a
built-in recipe. One recipe per uploadable format; 'single' sentences become TSDAE's (damaged, original) pairs.
"""

from __future__ import annotations

import pandas as pd

from lab.errors import ConfigError
from lab.formats import FORMATS, UPLOAD_FORMATS
from lab.recipes.base import Recipe, clean_text, script_clean
from lab.recipes.tsdae import DEL_RATIO, SCRIPT_NOISE, add_noise
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


def _script(format_key: str) -> str:
    """The script reads the user's own file (--data), which must already have the format's columns."""
    fmt = FORMATS[format_key]
    names = ", ".join(f'"{c}"' for c in fmt.columns)
    lines = [f"    raw = read_table(args.data, [{names}])", script_clean("raw", fmt.inputs),
             f"    rows = raw[[{names}]].reset_index(drop=True)"]
    if fmt.label:
        dtype = "int64" if fmt.label == "label" else "float64"  # a class id, or a similarity score
        lines.append(f'    rows["{fmt.label}"] = rows["{fmt.label}"].astype("{dtype}")')
    return "\n".join(lines)


UPLOAD_RECIPES = tuple(
    Recipe(f"upload-{fmt}", fmt, f"Your own data: {FORMATS[fmt].description}", _no_rows, _identity(fmt),
           uses_upload=True, script=_script(fmt))
    for fmt in UPLOAD_FORMATS if fmt != "single"
) + (
    Recipe("upload-single", "denoise", "Your own unlabelled sentences, with deletion noise (TSDAE).", _no_rows,
           _noisy, knobs=(DEL_RATIO,), uses_upload=True,
           script='    sentences = read_table(args.data, ["text"])["text"]' + SCRIPT_NOISE),
)


def recipe_for(format_key: str) -> str:
    return f"upload-{format_key}"


def file_columns(recipe_key: str) -> tuple[str, ...]:
    """The columns an upload recipe's file has: those of its upload format ('single': text)."""
    return FORMATS[recipe_key.removeprefix("upload-")].columns
