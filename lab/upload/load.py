"""One call through an upload: bytes → checked rows in the data format (the CLI's route)."""

from __future__ import annotations

from lab.errors import UploadError
from lab.upload.limits import _format
from lab.upload.mapping import UploadResult, apply_mapping, suggest_mapping
from lab.upload.messages import _q
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

