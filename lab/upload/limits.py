"""What an upload may be: its size and row limits (LAB_UPLOAD_MAX_BYTES / LAB_UPLOAD_MAX_ROWS override the
byte and row defaults) and the data formats a user can upload.
"""

from __future__ import annotations

import logging
import os

from lab.errors import UploadError
from lab.formats import FORMATS, UPLOAD_FORMATS, DataFormat
from lab.upload.messages import _q

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20_000_000  # 20 MB; LAB_UPLOAD_MAX_BYTES overrides
DEFAULT_MAX_ROWS = 200_000  # LAB_UPLOAD_MAX_ROWS overrides
MAX_COLUMNS = 1_000
MAX_CELLS = 4_000_000  # rows × columns read from any file: each text cell becomes a Python object
MIN_ROWS = 2  # in-batch negatives need at least one other row
MAX_CLASSES = 100  # class ids 0..99; more usually means a text column was chosen as the label
PARQUET_EXPANSION = 10  # a parquet file may unpack to at most this many times the byte limit
RESCALE_MIN_SHARE = 0.05  # scores above 1 read as a 0–5 scale only if at least this share of rows is above 1

NLI_LABELS = ("entailment", "neutral", "contradiction")  # the ids the built-in NLI recipes use


def max_upload_bytes() -> int:
    return _env_int("LAB_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_upload_rows() -> int:
    return _env_int("LAB_UPLOAD_MAX_ROWS", DEFAULT_MAX_ROWS)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        # A typo in the server's environment must not stop every upload: keep the default, and say so in the log.
        log.warning("%s=%r is not a positive whole number; using %s.", name, raw, default)
        return default
    return value


def _format(format_key: str) -> DataFormat:
    if format_key not in UPLOAD_FORMATS:
        raise UploadError(f"Unknown data format {_q(format_key)}. Choose one of: {', '.join(UPLOAD_FORMATS)}.")
    return FORMATS[format_key]
