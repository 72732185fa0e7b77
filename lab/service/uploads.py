"""Your own data in the app: an uploaded temp file → a checked table → a column mapping → a saved upload,
and the RunConfig that trains on it. No gradio, no torch; every user problem is an `UploadError`/`ConfigError`.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lab.config import RunConfig
from lab.errors import ConfigError, UploadError
from lab.formats import FORMATS, UPLOAD_FORMATS
from lab.recipes import RECIPES, prepare
from lab.recipes.upload import recipe_for
from lab.service.access import clean_owner
from lab.service.choices import loss_knobs, recipe_knobs
from lab.service.form import build_config
from lab.upload import apply_mapping, display_name, max_upload_bytes, preview, read_table, suggest_mapping
from lab.upload.saved import check_upload_access, save_upload

MAX_ROLES = max(len(FORMATS[f].columns) for f in UPLOAD_FORMATS)  # role pickers the form needs (3)


def _env_mb(name: str, default_mb: int) -> int:
    try:
        value = int(os.environ.get(name, "").strip() or default_mb)
    except ValueError:
        value = default_mb  # a typo in the server's environment must not stop uploads
    return max(1, value) * 1_000_000
NONE = ""  # the role picker's "no column" choice


@dataclass(frozen=True)
class ReadFile:
    table: pd.DataFrame  # the uploaded table, every column as read
    name: str  # the file's display name (a label only, never a path)
    notes: tuple[str, ...]


def format_choices() -> list[tuple[str, str]]:
    return [(f"{key} — {FORMATS[key].description}", key) for key in UPLOAD_FORMATS]


def read_file(path: str | os.PathLike | None, original_name: str = "") -> ReadFile:
    """Read the file gradio saved for this upload. The size is checked before a byte is read.

    `path` comes from gradio (its own temp dir), never from the user; the user's file name is shown only.
    """
    if not path:
        raise UploadError("Choose a file first.")
    size = os.stat(path).st_size
    limit = max_upload_bytes()
    name = display_name(original_name or os.path.basename(str(path)))
    if size > limit:
        raise UploadError(f"The file is too large: {size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB. "
                          "Upload a smaller sample of your data.")
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    df = read_table(data, name)
    return ReadFile(df, name, tuple(df.attrs.get("upload_notes", ())))


class HeldUploads:
    """Tables read from uploads and not used yet, held between the page's steps (read → map → use) in server
    memory: the page keeps only a token. Bounded whatever the files claim: one table per page session (a new
    upload replaces the last), at most `per_session_bytes` each, and `total_bytes` for all sessions together (the
    least recently used table goes first; its page is asked to upload again)."""

    def __init__(self, total_bytes: int, per_session_bytes: int) -> None:
        self.total_bytes, self.per_session_bytes = total_bytes, per_session_bytes
        self._tables: OrderedDict[str, tuple[str, ReadFile, int]] = OrderedDict()  # token -> (session, read, bytes)
        self._lock = threading.Lock()

    def hold(self, session: str, read: ReadFile) -> str:
        size = int(read.table.memory_usage(deep=True).sum())
        if size > self.per_session_bytes:
            raise UploadError(f"This file takes {size / 1e6:,.0f} MB in memory once read; a page may hold "
                              f"{self.per_session_bytes / 1e6:,.0f} MB. Upload fewer rows or columns.")
        token = secrets.token_hex(16)
        with self._lock:
            for old in [t for t, (s, _, _) in self._tables.items() if s == session]:
                del self._tables[old]
            self._tables[token] = (session, read, size)
            while sum(n for _, _, n in self._tables.values()) > self.total_bytes and len(self._tables) > 1:
                self._tables.popitem(last=False)
        return token

    def get(self, token: object) -> ReadFile:
        with self._lock:
            held = self._tables.get(token) if isinstance(token, str) else None
            if held is not None:
                self._tables.move_to_end(token)
        if held is None:
            raise UploadError("The server no longer holds your uploaded file (it keeps uploads only while they "
                              "are being used); upload it again.")
        return held[1]

    def bytes_held(self) -> int:
        with self._lock:
            return sum(n for _, _, n in self._tables.values())


HELD = HeldUploads(total_bytes=_env_mb("LAB_UPLOAD_MEMORY_MB", 1024), per_session_bytes=_env_mb(
    "LAB_UPLOAD_SESSION_MB", 256))


def roles(format_key: str) -> list[tuple[str, str]]:
    """(format column, what it plays) for each role of the format, in the order the loss reads them."""
    fmt = FORMATS[format_key]
    return [(col, fmt.role_of(col)) for col in fmt.columns]


def suggested(df: pd.DataFrame, format_key: str) -> dict[str, str]:
    return suggest_mapping(df, format_key)


def mapping_from(format_key: str, chosen: list[str | None]) -> dict[str, str]:
    """The role pickers' values (in `roles` order) as {format column: uploaded column}."""
    cols = [c for c, _ in roles(format_key)]
    return {col: (value or NONE) for col, value in zip(cols, chosen, strict=False)}


def preview_frame(df: pd.DataFrame, format_key: str, mapping: dict[str, str], n: int = 5) -> pd.DataFrame:
    """The first rows as the loss would get them under this mapping; never raises on a half-made mapping."""
    rows = preview(df, format_key, n=n, mapping={k: v for k, v in mapping.items() if v})
    columns = FORMATS[format_key].columns  # the pickers' labels say each column's role
    return pd.DataFrame([list(r.values()) for r in rows], columns=list(columns))


@dataclass(frozen=True)
class SavedUpload:
    upload_id: str
    recipe: str
    rows: int
    notes: tuple[str, ...]


def use(df: pd.DataFrame, format_key: str, mapping: dict[str, str], name: str, owner: str) -> SavedUpload:
    """Check the mapped rows (apply_mapping) and keep them for this session's runs."""
    result = apply_mapping(df, format_key, mapping)
    upload_id = save_upload(result.rows, format_key, name, owner=owner, notes=result.notes)
    notes = list(result.notes)
    if result.label_map:
        notes.append("Class ids: " + ", ".join(f"{k} → {v}" for k, v in result.label_map.items()) + ".")
    return SavedUpload(upload_id, recipe_for(format_key), len(result.rows), tuple(notes))


def is_upload_recipe(recipe: str) -> bool:
    r = RECIPES.get(recipe)
    return bool(r and r.uses_upload)


def upload_config(base: RunConfig, recipe: str, loss: str, loss_params: dict[str, Any],
                  recipe_params: dict[str, Any], upload_id: str, owner: str) -> RunConfig:
    """`base` (the form's generic settings, already validated) retargeted at this session's upload."""
    if not is_upload_recipe(recipe):
        raise ConfigError(f"'{recipe}' is not an upload recipe.")
    check_upload_access(upload_id, owner)
    return base.replace(recipe=recipe, loss=loss, loss_params=loss_params, recipe_params=recipe_params,
                        upload_id=upload_id)


def upload_preview(upload_id: str, owner: str, recipe: str, seed: int, max_rows: int | None,
                   params: dict[str, Any] | None = None, n: int = 5) -> tuple[pd.DataFrame, str, int]:
    """(first rows exactly as the loss gets them, source line, rows before the limit) of this session's upload."""
    meta = check_upload_access(upload_id, owner)
    data = _prepared(upload_id, recipe, int(seed), max_rows, tuple(sorted((params or {}).items())))
    return data.rows.head(n), f"Your upload: {meta.get('name', '?')} ({meta.get('rows', 0):,} rows)", \
        data.transformed_rows


@functools.lru_cache(maxsize=8)
def _prepared(upload_id: str, recipe: str, seed: int, max_rows: int | None, params: tuple):
    return prepare(recipe, seed=seed, max_rows=max_rows, params=dict(params), upload_id=upload_id)


def build_run_config(form: dict[str, Any], knobs: dict[str, Any], recipe_knob_values: dict[str, Any],
                     owner: str) -> RunConfig:
    """The form → RunConfig, for built-in recipes (form.build_config) and for this session's upload.

    For an upload the generic settings are validated through build_config on a stand-in recipe,
    then retargeted (RunConfig.replace validates again, loss fit and knobs included).
    """
    recipe = str(form.get("recipe") or "")
    if not is_upload_recipe(recipe):
        return build_config(form, knobs, recipe_knob_values)
    upload_id = str(form.get("upload_id") or "").strip()
    if not upload_id:
        raise ConfigError("Upload a file and press 'Use this data' first (section 'Your own data').")
    loss = str(form.get("loss") or "")
    base = build_config({**form, "recipe": "nli-triplets", "loss": "mnrl"}, {}, {})
    loss_params = {k: v for k, v in (knobs or {}).items() if k in loss_knobs(loss) and v is not None}
    recipe_params = {k: v for k, v in (recipe_knob_values or {}).items()
                     if k in recipe_knobs(recipe) and v is not None}
    return upload_config(base, recipe, loss, loss_params, recipe_params, upload_id, clean_owner(owner))


def roles_text(recipe: str) -> str:
    """Markdown: which column of the recipe's format plays which role (as the built-in preview shows it)."""
    fmt = RECIPES[recipe].format
    return " · ".join(
        [f"**{i + 1}. `{c}`**: {fmt.role_of(c)}" for i, c in enumerate(fmt.inputs)]
        + ([f"**label `{fmt.label}`**: {fmt.role_of(fmt.label)}"] if fmt.label else [])
    )
