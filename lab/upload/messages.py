"""Helpers that keep an upload's messages (lab.errors.UploadError) safe and short: display names, quoted values,
sizes and row lists.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd


def display_name(filename: object, limit: int = 80) -> str:
    """The file's name made safe to show: last path part, no control or format characters, at most `limit` chars."""
    text = filename[-1000:] if isinstance(filename, str) else ""  # the end holds the name and its extension
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # control, format (bidi), unassigned
    text = " ".join(text.replace("\\", "/").rsplit("/", 1)[-1].split())
    if text in ("", ".", ".."):
        return "upload"
    if len(text) > limit:
        ext = _extension(text)
        tail = f".{ext}" if ext else ""
        text = text[: limit - len(tail) - 1] + "…" + tail
    return text


def _extension(name: str) -> str:
    m = re.search(r"\.([A-Za-z0-9]{1,10})$", name)
    return m.group(1).lower() if m else ""


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n:,} bytes"


def _q(value: object, limit: int = 40) -> str:
    """A value quoted for a message: printable, and short."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else "?" for ch in text)
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def _rows_list(index: pd.Index, limit: int = 5) -> str:
    """'rows 2, 5, 9' from a 0-based index; row numbers count data rows from 1, without the header."""
    shown = ", ".join(str(int(i) + 1) for i in index[:limit])
    more = f" and {len(index) - limit:,} more" if len(index) > limit else ""
    return f"row{'s' if len(index) > 1 else ''} {shown}{more}"
