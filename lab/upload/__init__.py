"""Your own data: an uploaded file's bytes → a checked table → rows of one data format, with notes.

Pure and torch-free. The filename is only a hint for the file type and a label for messages; it is
never used as a path. Every problem raises `UploadError`, whose message is shown to the user as is.
Flow: limits/errors (shared) → read + parse (bytes → table) → mapping + cells (table → format rows) → load.
"""

from __future__ import annotations

from lab.errors import UploadError
from lab.upload.limits import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    MAX_CLASSES,
    MAX_COLUMNS,
    MIN_ROWS,
    NLI_LABELS,
    PARQUET_EXPANSION,
    RESCALE_MIN_SHARE,
    UPLOAD_FORMATS,
    log,
    max_upload_bytes,
    max_upload_rows,
)
from lab.upload.load import load_upload
from lab.upload.mapping import UploadResult, apply_mapping, parse_mapping, preview, suggest_mapping
from lab.upload.messages import display_name
from lab.upload.read import read_table

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "MAX_CLASSES",
    "MAX_COLUMNS",
    "MIN_ROWS",
    "NLI_LABELS",
    "PARQUET_EXPANSION",
    "RESCALE_MIN_SHARE",
    "UPLOAD_FORMATS",
    "UploadError",
    "UploadResult",
    "apply_mapping",
    "display_name",
    "load_upload",
    "log",
    "max_upload_bytes",
    "max_upload_rows",
    "parse_mapping",
    "preview",
    "read_table",
    "suggest_mapping",
]
