"""Uploaded bytes → a table of named columns: the file type from its name and content, text decoding, and
the refusal of binaries. The filename is only a hint and a label, never a path.
"""

from __future__ import annotations

import pandas as pd

from lab.errors import UploadError
from lab.upload.limits import PARQUET_EXPANSION, max_upload_bytes, max_upload_rows
from lab.upload.messages import _extension, _q, _size, display_name
from lab.upload.parse import _check_names, _read_csv, _read_json, _read_parquet

_KINDS = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "txt": None, "jsonl": "jsonl", "ndjson": "jsonl",
          "json": "jsonl", "parquet": "parquet", "pq": "parquet"}
_EXTENSION_HINTS = {
    **dict.fromkeys(("xlsx", "xls", "xlsm", "ods", "numbers"),
                    "Spreadsheets are not read: save the sheet as CSV (e.g. 'CSV UTF-8') and upload that."),
    **dict.fromkeys(("zip", "gz", "bz2", "xz", "zst", "7z", "tar", "tgz", "rar"),
                    "Compressed files are not read: unpack it and upload the CSV, TSV, JSONL or parquet file inside."),
}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or .docx file is one too)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls or .doc)"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20)])  # not DEL: text editors leave it in


def read_table(
    data: bytes,
    filename: str = "",
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Read CSV, TSV, JSONL (or a JSON array) or parquet bytes into a table of named columns.

    The type comes from the name's extension; content wins when it is unambiguous (a parquet marker, or
    JSON in a .csv/.txt file), and a name without an extension is sniffed. Notes about what was assumed
    are in `df.attrs["upload_notes"]`; `apply_mapping` passes them on.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError("read_table takes the uploaded file's bytes, never a path or text.")
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    max_rows = max_upload_rows() if max_rows is None else max_rows
    name = display_name(filename)
    base = display_name(filename, limit=10**9)
    ext = _extension(base)

    # 1. Cheap checks first: emptiness, the type the name claims, size.
    if not data:
        raise UploadError("The file is empty (0 bytes).")
    if ext and ext not in _KINDS:
        hint = _EXTENSION_HINTS.get(ext, "Upload a CSV, TSV, JSONL or parquet file.")
        raise UploadError(f"Unsupported file type '.{ext[:10]}' ({name}). {hint}")
    if len(data) > max_bytes:
        raise UploadError(f"The file is too large: {_size(len(data))}; the limit is {_size(max_bytes)}. "
                          "Upload a smaller sample of your data.")
    kind = _KINDS.get(ext)
    notes: list[str] = []

    # 2. Parquet by its marker; everything else must be text.
    if data[:4] == b"PAR1":
        if kind not in (None, "parquet"):
            notes.append(f"Read as parquet: the content is parquet although the name ends in '.{ext}'.")
        df, more = _read_parquet(data, max_rows, max_bytes * PARQUET_EXPANSION)
        notes += more
    elif kind == "parquet":
        raise UploadError(f"This is not a parquet file: it does not start with the 'PAR1' marker. "
                          f"{_looks_like(data)}")
    else:
        text, enc_note = _decode(data)
        if enc_note:
            notes.append(enc_note)
        if not text.strip():
            raise UploadError("The file has no content: only blank lines or whitespace.")
        if kind != "jsonl" and text.lstrip()[:1] in ("{", "["):
            where = f" although the name ends in '.{ext}'" if ext else ""
            notes.append(f"Read as JSON: the content is JSON{where}.")
            kind = "jsonl"
        if kind == "jsonl":
            df, more = _read_json(text, max_rows)
        else:
            df, more = _read_csv(text, kind, max_rows)
        notes += more

    # 3. The table itself: named, unique columns and at least one row.
    df.columns = _check_names(list(df.columns))
    if not len(df.columns):
        raise UploadError("The file has no columns: no data to read.")
    if df.empty:
        raise UploadError(f"The file has column names ({', '.join(_q(c) for c in df.columns[:10])}) but no data rows.")
    df = df.reset_index(drop=True)
    df.attrs["upload_notes"] = notes
    df.attrs["upload_name"] = name
    return df


def _looks_like(data: bytes) -> str:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f"It looks like {what}."
    return "Check that you picked the right file."


def _decode(data: bytes) -> tuple[str, str | None]:
    """Text from bytes: UTF-8 (BOM allowed), or UTF-16/32 when a byte-order mark says so."""
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                     (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                raise UploadError(f"The file starts with a {enc.upper()} byte-order mark but is not valid "
                                  f"{enc.upper()} text (bad bytes at byte {exc.start:,}). Save it as UTF-8.") from None
            if "\x00" in text:
                raise UploadError("The file contains NUL characters: it is binary, not a text table.")
            return text.removeprefix("\ufeff"), (f"Decoded as {enc.upper()} (the file starts with its byte-order "
                                                 "mark); UTF-8 is preferred.")
    _reject_binary(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        raise UploadError(
            f"The file is not UTF-8 text: line {line:,} has the byte 0x{byte} (byte {exc.start:,} of the file), "
            "which UTF-8 does not allow. It is probably Latin-1 or Windows-1252: save it as UTF-8 "
            "(e.g. 'CSV UTF-8') and upload it again."
        ) from None
    return text.removeprefix("\ufeff"), None


def _reject_binary(data: bytes) -> None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise UploadError(f"This is {what}, not a table. Upload a CSV, TSV, JSONL or parquet file.")
    head = data[:65_536]
    if b"\x00" in head:
        raise UploadError("The file contains NUL bytes: it is binary (or UTF-16 text without a byte-order mark), "
                          "not a text table. Upload CSV, TSV or JSONL saved as UTF-8, or parquet.")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > max(3, len(head) // 100):
        raise UploadError(f"The file is binary, not a text table ({controls:,} control bytes in its first "
                          f"{_size(len(head))}). Upload a CSV, TSV, JSONL or parquet file.")
