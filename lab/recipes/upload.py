"""`upload-<format>`: your own data, validated by lab/upload/, trained like a built-in recipe.

A checked upload is saved by the lab under `<runs dir>/uploads/<random id>.parquet` (the user's file
name is never part of a path) with a small JSON of its format, display name and owner; a run refers
to it by that id, so the run can be repeated after a restart.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import pandas as pd

from lab.config import ConfigError
from lab.formats import FORMATS
from lab.paths import runs_dir
from lab.recipes.base import Recipe, clean_text
from lab.recipes.tsdae import DEL_RATIO, add_noise
from lab.sources import SourceInfo

UPLOAD_ID = re.compile(r"^[0-9a-f]{24}$")
UPLOAD_FORMATS = ("pair-class", "pair-score", "triplet", "pair", "single")


def uploads_dir() -> Path:
    return Path(os.environ.get("LAB_UPLOADS_DIR") or runs_dir() / "uploads")


def _paths(upload_id: str) -> tuple[Path, Path]:
    if not UPLOAD_ID.match(upload_id or ""):
        raise ConfigError("That upload id is not valid; upload the file again.")
    return uploads_dir() / f"{upload_id}.parquet", uploads_dir() / f"{upload_id}.json"


def save_upload(rows: pd.DataFrame, format_key: str, name: str, owner: str = "", notes: tuple[str, ...] = ()) -> str:
    """Keep checked rows (exactly the format's columns) for later runs; returns the upload id."""
    if format_key not in UPLOAD_FORMATS:
        raise ConfigError(f"Uploads can be one of: {', '.join(UPLOAD_FORMATS)}.")
    upload_id = secrets.token_hex(12)
    data_path, meta_path = _paths(upload_id)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    rows.reset_index(drop=True).to_parquet(data_path)
    meta = {"format": format_key, "name": name, "owner": owner, "rows": len(rows), "notes": list(notes)}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return upload_id


def upload_meta(upload_id: str) -> dict:
    _, meta_path = _paths(upload_id)
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError("That upload is no longer on the server; upload the file again.") from None


def check_upload_access(upload_id: str, owner: str) -> dict:
    """The upload's metadata, if `owner` may use it (uploads are private to the session that made them)."""
    meta = upload_meta(upload_id)
    if meta.get("owner", "") != owner:
        raise ConfigError("That upload belongs to another session; upload the file again.")
    return meta


def load_saved_upload(upload_id: str) -> tuple[pd.DataFrame, SourceInfo]:
    data_path, _ = _paths(upload_id)
    meta = upload_meta(upload_id)
    rows = pd.read_parquet(data_path)
    return rows, SourceInfo(f"Your upload: {meta['name']}", "upload", meta["name"], len(rows))


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
    for fmt in ("pair-class", "pair-score", "triplet", "pair")
) + (
    Recipe("upload-single", "denoise", "Your own unlabelled sentences, with deletion noise (TSDAE).", _no_rows,
           _noisy, knobs=(DEL_RATIO,), uses_upload=True),
)


def recipe_for(format_key: str) -> str:
    return f"upload-{format_key}"
