"""Checked uploads kept for later runs: save, read back, and who may use them.

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

from lab.errors import ConfigError
from lab.formats import UPLOAD_FORMATS
from lab.host.paths import runs_dir
from lab.sources import SourceInfo

UPLOAD_ID = re.compile(r"^[0-9a-f]{24}$")


def uploads_dir() -> Path:
    return Path(os.environ.get("LAB_UPLOADS_DIR") or runs_dir() / "uploads")


def _paths(upload_id: str) -> tuple[Path, Path]:
    if not UPLOAD_ID.fullmatch(upload_id or ""):
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
    meta = {"format": format_key, "name": name, "owner": owner, "rows": len(rows),
            "distinct_rows": int(len(rows.drop_duplicates())), "notes": list(notes)}
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


def delete_upload(upload_id: str) -> bool:
    """Remove a saved upload (its rows and metadata); False if there was none."""
    data_path, meta_path = _paths(upload_id)
    existed = meta_path.exists() or data_path.exists()
    data_path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return existed


def uploads_of(owner: str) -> list[tuple[str, dict]]:
    """(upload id, metadata) of every saved upload of this owner, newest first."""
    folder = uploads_dir()
    found = []
    for meta_path in folder.glob("*.json") if folder.is_dir() else ():
        upload_id = meta_path.stem
        if UPLOAD_ID.fullmatch(upload_id):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if owner and meta.get("owner") == owner:
                found.append((meta_path.stat().st_mtime, upload_id, meta))
    return [(upload_id, meta) for _, upload_id, meta in sorted(found, reverse=True)]


def load_saved_upload(upload_id: str) -> tuple[pd.DataFrame, SourceInfo]:
    data_path, _ = _paths(upload_id)
    meta = upload_meta(upload_id)
    rows = pd.read_parquet(data_path)
    return rows, SourceInfo(f"Your upload: {meta['name']}", "upload", meta["name"], len(rows))

