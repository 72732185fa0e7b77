"""Your own data: an uploaded file's bytes → a checked table → rows of one data format, with notes.

Pure and torch-free. The filename is only a hint for the file type and a label for messages; it is
never used as a path. Every problem raises `UploadError`, whose message is shown to the user as is.
"""

from __future__ import annotations

import io
import json
import logging
import math
import numbers
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lab.config import ConfigError
from lab.formats import FORMATS, DataFormat
from lab.recipes.base import Recipe, clean_text
from lab.sources import SourceInfo

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20_000_000  # 20 MB; LAB_UPLOAD_MAX_BYTES overrides
DEFAULT_MAX_ROWS = 200_000  # LAB_UPLOAD_MAX_ROWS overrides
MAX_COLUMNS = 1_000
MIN_ROWS = 2  # in-batch negatives need at least one other row
MAX_CLASSES = 100  # class ids 0..99; more usually means a text column was chosen as the label
PARQUET_EXPANSION = 10  # a parquet file may unpack to at most this many times the byte limit
RESCALE_MIN_SHARE = 0.05  # scores above 1 read as a 0–5 scale only if at least this share of rows is above 1

# Formats a user can upload. "denoise" is made from "single" sentences, never uploaded directly.
UPLOAD_FORMATS: tuple[str, ...] = tuple(k for k in ("pair-class", "pair-score", "triplet", "pair", "single")
                                        if k in FORMATS)
NLI_LABELS = ("entailment", "neutral", "contradiction")  # the ids the built-in NLI recipes use

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
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")
_ID_NAMES = {"id", "idx", "index", "rowid", "key", "pairid", "uid"}  # numbers, but never a label

# What an uploaded column is often called, per format column, best guess first (compared lower-case,
# letters and digits only: "Sentence A" and "sentence_a" both read "sentencea").
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "premise": ("premise", "sentence1", "sentencea", "texta", "text1", "s1", "sent1", "question1", "first"),
    "hypothesis": ("hypothesis", "sentence2", "sentenceb", "textb", "text2", "s2", "sent2", "question2", "second"),
    "label": ("label", "labels", "class", "goldlabel", "labelid", "classlabel", "category", "target", "y"),
    "sentence1": ("sentence1", "sentencea", "texta", "text1", "s1", "sent1", "premise", "question1", "query",
                  "first"),
    "sentence2": ("sentence2", "sentenceb", "textb", "text2", "s2", "sent2", "hypothesis", "question2", "answer",
                  "second"),
    "score": ("score", "similarity", "similarityscore", "sim", "relatedness", "relatednessscore", "goldscore",
              "rating", "cosine", "label", "target", "y"),
    "anchor": ("anchor", "query", "question", "q", "sentence1", "sentencea", "texta", "text1", "premise", "source",
               "title", "input", "prompt"),
    "positive": ("positive", "pos", "answer", "passage", "document", "doc", "context", "response",
                 "positivepassage", "sentence2", "sentenceb", "textb", "text2", "hypothesis", "entailment",
                 "target", "output"),
    "negative": ("negative", "neg", "hardnegative", "negativepassage", "negativedocument", "wronganswer",
                 "contradiction", "sentence3", "text3", "distractor"),
    "text": ("text", "sentence", "sentences", "content", "body", "document", "passage", "doc", "abstract",
             "paragraph", "question", "query"),
}


class UploadError(ConfigError):
    """A user-facing problem with an uploaded file or its column mapping; the message is shown as is."""


@dataclass(frozen=True)
class UploadResult:
    rows: pd.DataFrame  # exactly FORMATS[format_key].columns, in order; index 0..n-1
    notes: tuple[str, ...] = ()  # what was done to the data, for the UI to show
    dropped: int = 0  # rows dropped for an empty cell in a chosen column
    label_map: dict[str, int] | None = None  # class name -> id, when class labels were names


# ---------------------------------------------------------------------------------------------------------
# Limits and names


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


# ---------------------------------------------------------------------------------------------------------
# 1. Bytes -> table


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


def _read_csv(text: str, kind: str | None, max_rows: int) -> tuple[pd.DataFrame, list[str]]:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if kind == "tsv":
        sep = "\t"
    else:
        # The delimiter that splits the header line into the most fields; a comma when none does.
        counts = {s: first_line.count(s) for s in (",", "\t", ";")}
        sep = max(counts, key=lambda s: (counts[s], s == ","))
        sep = sep if counts[sep] else ","
    notes = []
    if kind == "csv" and sep != ",":
        notes.append(f"Columns are separated by {'tabs' if sep == chr(9) else repr(sep)}, not commas.")
    if kind is None:
        notes.append(f"Read as {'TSV' if sep == chr(9) else 'CSV'} (the name does not end in .csv or .tsv).")
    try:
        # header=None: the header is row 0, so a data line with extra fields is an error rather than
        # silently becoming the index; dtype=str and no NA parsing keep every cell as written.
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                          na_filter=False, nrows=max_rows + 2, engine="c", skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        raise UploadError(_csv_error(str(exc), sep)) from None
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise UploadError(f"The file could not be read as {'TSV' if sep == chr(9) else 'CSV'}: "
                          f"{str(exc).splitlines()[0][:200]}") from None
    if len(raw) - 1 > max_rows:
        raise UploadError(f"The file has more than {max_rows:,} rows, the upload limit. "
                          f"Upload at most {max_rows:,} rows (a random sample works well).")
    header = [str(h) for h in raw.iloc[0].tolist()]
    if len(header) > MAX_COLUMNS:
        raise UploadError(f"The file has {len(header):,} columns; at most {MAX_COLUMNS:,} are read.")
    _check_header(header)
    df = raw.iloc[1:].reset_index(drop=True)
    df.columns = header
    return df, notes


def _csv_error(message: str, sep: str) -> str:
    delim = "a tab" if sep == "\t" else repr(sep)
    if m := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message):
        want, line, saw = m.groups()
        return (f"Line {line} has {saw} fields but the header has {want}. A cell that contains {delim} must be "
                f"quoted (\"like{sep} this\"); otherwise check the delimiter.")
    if m := re.search(r"EOF inside string starting at row (\d+)", message):
        return (f"A quoted cell starting on line {int(m.group(1)) + 1} is never closed (an unmatched '\"'). "
                "Close the quote, or double any quote inside a quoted cell (\"\").")
    return f"The file could not be read as a table: {message.splitlines()[-1][:200]}"


def _check_header(header: list[str]) -> None:
    """Reject a first line that holds data rather than column names."""
    for i, name in enumerate(header, 1):
        if _NUMBER.fullmatch(name.strip()):
            raise UploadError(
                f"The first line does not look like a header: column {i} is named {_q(name)}, a number. "
                "The first line must name the columns, e.g. 'anchor,positive' or 'sentence1,sentence2,score'."
            )
        if len(name) > 200:
            raise UploadError(
                f"The first line does not look like a header: column {i}'s name is {len(name):,} characters long. "
                "The first line must name the columns, e.g. 'anchor,positive' or 'sentence1,sentence2,score'."
            )


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON; write null for a missing value")


def _read_json(text: str, max_rows: int) -> tuple[pd.DataFrame, list[str]]:
    """JSON lines (one object per line), or a single JSON array of objects."""
    notes = []
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
        except _DuplicateKey as exc:
            raise UploadError(f"An object in the JSON array repeats the key {_q(str(exc))}; "
                              "every key (column name) must be unique.") from None
        except (json.JSONDecodeError, ValueError, RecursionError) as exc:
            where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) \
                else str(exc)[:200]
            raise UploadError(f"The file is not valid JSON ({where}).") from None
        if not isinstance(records, list):
            raise UploadError("The JSON file must be a list of objects, or one object per line (JSONL).")
        if len(records) > max_rows:
            raise UploadError(f"The file has {len(records):,} rows; the upload limit is {max_rows:,}. "
                              "Upload a smaller sample.")
        for i, rec in enumerate(records, 1):
            if not isinstance(rec, dict):
                raise UploadError(f"Item {i} of the JSON array is {_json_kind(rec)}, not an object "
                                  "like {\"anchor\": \"…\", \"positive\": \"…\"}.")
        notes.append(f"Read a JSON array of {len(records):,} objects.")
    else:
        lines = text.split("\n")  # not splitlines(): U+2028 may sit inside a JSON string
        count = sum(1 for line in lines if line.strip())
        if count > max_rows:
            raise UploadError(f"The file has {count:,} rows; the upload limit is {max_rows:,}. "
                              "Upload a smaller sample.")
        records = []
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=_no_constants)
                if isinstance(obj, dict) and line.count(":") > len(obj):
                    # Every key in the text has a colon, so a repeated key always lands here (as do colons
                    # inside values or nested objects); only these lines pay for the slower, exact check.
                    json.loads(line, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
            except _DuplicateKey as exc:
                raise UploadError(f"Line {lineno} repeats the key {_q(str(exc))}; every key (column name) must "
                                  "be unique.") from None
            except json.JSONDecodeError as exc:
                raise UploadError(f"Line {lineno} is not valid JSON ({exc.msg} at column {exc.colno}). JSONL needs "
                                  "one complete JSON object per line; pretty-printed JSON is not JSONL.") from None
            except (ValueError, RecursionError) as exc:
                raise UploadError(f"Line {lineno} is not valid JSON: {str(exc)[:200]}.") from None
            if not isinstance(obj, dict):
                raise UploadError(f"Line {lineno} is {_json_kind(obj)}, not an object. JSONL needs one object per "
                                  "line, like {\"anchor\": \"…\", \"positive\": \"…\"}.")
            records.append(obj)
    keys: dict[str, None] = {}
    for rec in records:
        keys.update(dict.fromkeys(rec))
        if len(keys) > MAX_COLUMNS:
            raise UploadError(f"The file has more than {MAX_COLUMNS:,} different keys; at most {MAX_COLUMNS:,} "
                              "columns are read.")
    # A duplicate after trimming (" a" and "a") is caught by _check_names; here keep every key as written.
    # dtype=object keeps each value as written: 42 stays 42 (not 42.0 beside a 1.5), true stays a bool.
    df = pd.DataFrame(records, columns=list(keys), dtype=object)
    return df, notes


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")


def _read_parquet(data: bytes, max_rows: int, max_unpacked: int) -> tuple[pd.DataFrame, list[str]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(io.BytesIO(data)).schema_arrow
        names = [str(n) for n in schema.names if not _PANDAS_INDEX.fullmatch(str(n))]
        _check_names(names)
        flat = [f for f in schema if f.name in names and not pa.types.is_nested(f.type)]
        text_like = [f.name for f in flat if _is_bytes_type(pa, f.type)]
        pf = pq.ParquetFile(io.BytesIO(data), read_dictionary=text_like)
        meta = pf.metadata
        # 1. The row count and unpacked size come from the footer, before any data is read.
        if meta.num_rows > max_rows:
            raise UploadError(f"The file has {meta.num_rows:,} rows; the upload limit is {max_rows:,}. "
                              "Upload a smaller sample.")
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > max_unpacked:
            raise UploadError(f"The parquet file unpacks to {_size(unpacked)}, more than the {_size(max_unpacked)} "
                              "allowed. Upload a smaller sample.")
        if not flat:
            raise UploadError("The parquet file has no columns with plain values (text or numbers).")
        table = pf.read(columns=[f.name for f in flat])
    except UploadError:
        raise
    except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
        raise UploadError(f"The parquet file could not be read ({str(exc).splitlines()[0][:200]}); it may be "
                          "damaged or cut short.") from None
    # 2. Text columns were read still dictionary-encoded: measure what they decode to before decoding,
    # so a small file of one long string repeated a million times cannot fill the memory.
    decoded = 0
    for name in text_like:
        for chunk in table.column(name).chunks:
            if pa.types.is_dictionary(chunk.type):
                decoded += pc.sum(pc.binary_length(chunk.dictionary).take(chunk.indices)).as_py() or 0
    if decoded > max_unpacked:
        raise UploadError(f"The parquet file unpacks to {_size(decoded)} of text, more than the "
                          f"{_size(max_unpacked)} allowed. Upload a smaller sample.")
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        if pa.types.is_dictionary(col.type):
            table = table.set_column(i, name, pa.chunked_array([c.dictionary_decode() for c in col.chunks],
                                                               type=col.type.value_type))
    notes = []
    skipped = [n for n in names if n not in table.column_names]
    if skipped:
        notes.append(f"Skipped columns with nested values (lists or records): {', '.join(_q(n) for n in skipped)}.")
    return table.to_pandas(ignore_metadata=True), notes


def _is_bytes_type(pa: Any, t: Any) -> bool:
    checks = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)
    return any(check(t) for check in checks)


def _check_names(names: list[Any]) -> list[str]:
    out = []
    for i, name in enumerate(names, 1):
        text = ("" if name is None else str(name)).strip()
        if not text:
            raise UploadError(f"Column {i} has no name. Give every column a name in the first line "
                              "(a delimiter at the end of the header line also makes a nameless column).")
        out.append(text)
    if len(out) > MAX_COLUMNS:
        raise UploadError(f"The file has {len(out):,} columns; at most {MAX_COLUMNS:,} are read.")
    seen: dict[str, int] = {}
    for i, name in enumerate(out, 1):
        if name in seen:
            raise UploadError(f"Duplicate column name {_q(name)} (columns {seen[name]} and {i}). "
                              "Give every column its own name.")
        seen[name] = i
    return out


# ---------------------------------------------------------------------------------------------------------
# 2. Table -> format rows


def _format(format_key: str) -> DataFormat:
    if format_key not in UPLOAD_FORMATS:
        raise UploadError(f"Unknown data format {_q(format_key)}. Choose one of: {', '.join(UPLOAD_FORMATS)}.")
    return FORMATS[format_key]


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def suggest_mapping(df: pd.DataFrame, format_key: str) -> dict[str, str]:
    """A guess of {format column: uploaded column} for the preview; roles with no good guess are left out."""
    fmt = _format(format_key)
    df = df.rename(columns=str)
    cols = list(df.columns)
    norm = {c: _norm(c) for c in cols}
    chosen: dict[str, str] = {}

    def take(role: str, col: str) -> None:
        chosen[role] = col

    def free(col: str) -> bool:
        return col not in chosen.values()

    # 1. Exact names, then synonyms in rank order, so that a best guess for one role beats a weak one for another.
    for role in fmt.columns:
        exact = next((c for c in cols if c == role and free(c)), None)
        if exact:
            take(role, exact)
    depth = max(len(_SYNONYMS.get(r, ())) for r in fmt.columns)
    for rank in range(depth):
        for role in fmt.columns:
            names = _SYNONYMS.get(role, (role,))
            if role in chosen or rank >= len(names):
                continue
            match = next((c for c in cols if norm[c] == names[rank] and free(c)), None)
            if match:
                take(role, match)
    # 2. Fill what is left by content: a number-like column for the label, text-like columns in file order.
    sample = df.head(50)
    if fmt.label and fmt.label not in chosen:
        for c in cols:
            if free(c) and norm[c] not in _ID_NAMES and _looks_numeric(sample[c]):
                take(fmt.label, c)
                break
    for role in fmt.inputs:
        if role not in chosen:
            match = next((c for c in cols if free(c) and _looks_textual(sample[c])), None)
            if match:
                take(role, match)
    return {role: chosen[role] for role in fmt.columns if role in chosen}


def _looks_numeric(values: pd.Series) -> bool:
    present = [v for v in values if not _missing(v)]
    return bool(present) and all(_as_float(v) is not None for v in present)


def _looks_textual(values: pd.Series) -> bool:
    present = [v for v in values if not _missing(v)]
    return bool(present) and all(isinstance(v, str) and _as_float(v) is None for v in present)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return isinstance(value, str) and not value.strip()


def _as_float(value: Any) -> float | None:
    """The value as a number, or None when it is not one (bools and non-finite values are not)."""
    if isinstance(value, bool | np.bool_):
        return None
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def apply_mapping(df: pd.DataFrame, format_key: str, mapping: dict[str, str]) -> UploadResult:
    """Pick, rename and check the chosen columns into exactly the format's columns.

    Rows with an empty cell in a chosen column are dropped and counted (an error if none remain);
    scores on a 0–5 scale are divided by 5; class names become ids (NLI names keep the chapter's ids,
    others go in alphabetical order). Row numbers in messages count data rows from 1, header excluded.
    """
    fmt = _format(format_key)
    notes = list(df.attrs.get("upload_notes", []))
    df = df.rename(columns=str)
    source = _check_mapping(df, fmt, mapping)
    total = len(df)

    # 1. Text cells as str (None where empty); lists and objects are refused, numbers are written out.
    cells = {col: _text_cells(df[source[col]], source[col], fmt.role_of(col)) for col in fmt.inputs}
    blank = {col: values.isna().to_numpy() for col, values in cells.items()}
    if fmt.label:
        blank[fmt.label] = _blank_mask(df[source[fmt.label]])

    # 2. Rows with an empty cell anywhere in the chosen columns are dropped; the note says where.
    empty = np.logical_or.reduce(list(blank.values()))
    dropped = int(empty.sum())
    if dropped == total:
        chosen = ", ".join(_q(s) for s in source.values())
        raise UploadError(f"Every row has an empty cell in a chosen column ({chosen}); nothing is left to train on.")
    if dropped:
        which = ", ".join(_q(source[c]) for c, mask in blank.items() if mask.any())
        notes.append(f"Dropped {dropped:,} of {total:,} rows with an empty cell in {which} "
                     f"({_rows_list(df.index[empty])}).")
    keep = ~empty
    if int(keep.sum()) < MIN_ROWS:
        raise UploadError(f"Only {int(keep.sum())} usable row; training needs at least {MIN_ROWS} "
                          "(the other rows of a batch act as negatives).")
    out = {col: cells[col][keep].to_numpy(dtype=object) for col in fmt.inputs}

    # 3. The label column: similarity scores in [0, 1], or whole class ids.
    label_map = None
    if fmt.label == "score":
        scores, note = _scores(df[source["score"]][keep], source["score"])
        out["score"] = scores
        if note:
            notes.append(note)
    elif fmt.label == "label":
        labels, label_map, note = _class_labels(df[source["label"]][keep], source["label"])
        out["label"] = labels
        if note:
            notes.append(note)
    rows = pd.DataFrame({col: out[col] for col in fmt.columns})
    return UploadResult(rows, tuple(notes), dropped, label_map)


def _check_mapping(df: pd.DataFrame, fmt: DataFormat, mapping: dict[str, str]) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise UploadError("The column mapping must map each format column to a column of the file.")
    unknown = [k for k in mapping if k not in fmt.columns]
    if unknown:
        raise UploadError(f"{_q(str(unknown[0]))} is not a column of the {fmt.key} format; its columns are "
                          f"{', '.join(fmt.columns)}.")
    source = {col: ("" if mapping.get(col) is None else str(mapping[col])) for col in fmt.columns}
    unmapped = [col for col, src in source.items() if not src.strip()]
    if unmapped:
        roles = "; ".join(f"{fmt.role_of(c)} ('{c}')" for c in unmapped)
        raise UploadError(f"Choose a column of the file for: {roles}.")
    columns = [str(c) for c in df.columns]
    for col, src in source.items():
        if src not in columns:
            if src.strip() in columns:
                source[col] = src.strip()
                continue
            listed = ", ".join(_q(c) for c in columns[:20]) + (" …" if len(columns) > 20 else "")
            raise UploadError(f"Column {_q(src)} (chosen for {fmt.role_of(col)}) is not in the file. "
                              f"Its columns are: {listed}.")
    seen: dict[str, str] = {}
    for col, src in source.items():
        if src in seen:
            raise UploadError(f"Column {_q(src)} is chosen for both {fmt.role_of(seen[src])} and {fmt.role_of(col)}; "
                              "each role needs its own column.")
        seen[src] = col
    return source


def _blank_mask(values: pd.Series) -> np.ndarray:
    """True where a cell is missing or only whitespace."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":
        return (values.isna() | (values.astype(object).fillna("").str.strip() == "")).to_numpy(dtype=bool)
    if kind in ("empty", "integer", "floating", "mixed-integer-float", "boolean"):
        return values.isna().to_numpy(dtype=bool)
    return values.map(_missing).to_numpy(dtype=bool)


def _text_cells(values: pd.Series, src: str, role: str) -> pd.Series:
    """Cells as str, None where empty; numbers are written out, lists and objects are refused."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # the usual case, vectorised
        return values.astype(object).mask(_blank_mask(values), None)
    out: list[str | None] = []
    for i, v in values.items():
        if isinstance(v, str):
            out.append(v if v.strip() else None)
        elif _missing(v):
            out.append(None)
        elif isinstance(v, numbers.Number):
            out.append(str(v.item() if isinstance(v, np.generic) else v))
        else:
            raise UploadError(f"Column {_q(src)} (for {role}) must hold text, but row {i + 1} has "
                              f"{type(v).__name__} value {_q(v)}.")
    return pd.Series(out, index=values.index, dtype=object)


def _scores(values: pd.Series, src: str) -> tuple[np.ndarray, str | None]:
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float"):
        converted = pd.to_numeric(values, errors="coerce")
    elif kind == "string":
        converted = pd.to_numeric(values.astype(object).str.strip(), errors="coerce")
    else:  # mixed cells: one by one (a bool is not a score)
        converted = values.map(_as_float)
    s = pd.Series(np.asarray(converted, dtype="float64"), index=values.index)
    bad = ~np.isfinite(s)
    if bad.any():
        i = values.index[bad.to_numpy()][0]
        raw = values[i]
        finite = _as_float_any(raw)
        what = "is not a finite number" if finite is not None else "is not a number"
        hint = " (use a dot as the decimal separator)" if isinstance(raw, str) and "," in raw else ""
        more = f" ({int(bad.sum()) - 1:,} more rows too)" if bad.sum() > 1 else ""
        raise UploadError(f"Column {_q(src)} must hold similarity scores: row {i + 1} has {_q(raw)}, which {what}"
                          f"{hint}{more}.")
    lo, hi = float(s.min()), float(s.max())
    if lo < 0:
        i = int(s.idxmin())
        raise UploadError(f"Scores must be between 0 and 1, but row {i + 1} has {s[i]:g}. (Cosine similarities in "
                          "[-1, 1] can be rescaled with (s + 1) / 2 before uploading.)")
    if hi <= 1:
        return s.to_numpy(), None
    above = int((s > 1).sum())
    i = int(s.idxmax())
    if hi <= 5 and above >= RESCALE_MIN_SHARE * len(s):
        note = (f"Scores ran from {lo:g} to {hi:g}: read as a 0–5 scale (as in STS-B) and divided by 5 to fit "
                "[0, 1].")
        return (s / 5.0).to_numpy(), note
    if hi <= 5:
        raise UploadError(f"Scores must be between 0 and 1, but {above:,} of {len(s):,} rows are above 1 (row {i + 1} "
                          f"has {s[i]:g}) — too few for a 0–5 scale, so they look like typos. Fix those rows.")
    raise UploadError(f"Scores must be between 0 and 1 (a 0–5 scale is rescaled automatically), but row {i + 1} "
                      f"has {s[i]:g}. Rescale the column to [0, 1].")


def _as_float_any(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    try:
        return float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _nli_id(name: str) -> int:
    return NLI_LABELS.index(name.lower())


def _class_labels(values: pd.Series, src: str) -> tuple[np.ndarray, dict[str, int] | None, str | None]:
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "integer", "floating", "mixed-integer-float", "boolean"):
        for i, v in values.items():
            if not isinstance(v, str | numbers.Number):
                raise UploadError(f"Column {_q(src)} must hold class labels, but row {i + 1} has {_q(v)}.")
    if kind != "string":
        # A bool is a name ("True"), not the id 1; factorize would otherwise merge True with 1.
        values = values.map(lambda v: str(bool(v)) if isinstance(v, bool | np.bool_) else v)
    # Classify each distinct value once (there are few), then spread the ids over the rows.
    codes, uniques = pd.factorize(values)
    _, first = np.unique(codes, return_index=True)
    row_of = [int(values.index[p]) for p in first]  # first row of each distinct value, for messages
    ids: dict[int, int] = {}  # distinct value -> class id
    names: dict[int, str] = {}  # distinct value -> class name
    for k, v in enumerate(uniques):
        number = _as_float_any(v)
        if number is None:
            names[k] = str(v).strip()
        elif not math.isfinite(number) or not number.is_integer():
            raise UploadError(f"Class labels must be whole numbers (0, 1, 2 …) or names, but row {row_of[k] + 1} of "
                              f"{_q(src)} has {_q(v)}. For similarity scores choose the pair-score format.")
        else:
            ids[k] = int(number)
    if names and ids:
        a, b = next(iter(ids)), next(iter(names))
        raise UploadError(f"Column {_q(src)} mixes numbers and names (row {row_of[a] + 1}: {_q(uniques[a])}, "
                          f"row {row_of[b] + 1}: {_q(uniques[b])}). Use only class ids or only class names.")
    if names:
        distinct = sorted(set(names.values()))
        if len(distinct) > MAX_CLASSES:
            raise UploadError(f"Column {_q(src)} has {len(distinct):,} different class names; at most {MAX_CLASSES} "
                              "classes are allowed. Is it the right column?")
        if len(distinct) < 2:
            raise UploadError(f"Every row has the same class ({_q(distinct[0])}); pair-class data needs at "
                              "least two classes to learn from.")
        lowered = {n.lower() for n in distinct}
        if lowered <= set(NLI_LABELS) and len(lowered) == len(distinct):
            label_map = {n: _nli_id(n) for n in sorted(distinct, key=_nli_id)}
            how = "Class names were given the NLI ids the built-in recipes use"
        else:
            label_map = {n: k for k, n in enumerate(distinct)}
            how = "Class names were numbered in alphabetical order"
        shown = ", ".join(f"{_q(n)} → {k}" for n, k in list(label_map.items())[:10])
        more = " …" if len(label_map) > 10 else ""
        per_value = np.array([label_map[names[k]] for k in range(len(uniques))], dtype="int64")
        return per_value[codes], label_map, f"{how}: {shown}{more}."
    per_value = np.array([ids[k] for k in range(len(uniques))], dtype="int64")
    low, high = int(per_value.argmin()), int(per_value.argmax())
    if per_value[low] < 0:
        raise UploadError(f"Class ids must be 0 or more, but row {row_of[low] + 1} has {per_value[low]}.")
    if per_value[high] >= MAX_CLASSES:
        raise UploadError(f"Class ids must be below {MAX_CLASSES}, but row {row_of[high] + 1} has "
                          f"{per_value[high]:,}. Is it the right column?")
    distinct_ids = sorted(set(per_value.tolist()))
    if len(distinct_ids) < 2:
        raise UploadError(f"Every row has the same class ({distinct_ids[0]}); pair-class data needs at least two "
                          "classes to learn from.")
    note = None
    if distinct_ids != list(range(len(distinct_ids))):
        note = (f"Class ids used: {', '.join(map(str, distinct_ids[:10]))}{' …' if len(distinct_ids) > 10 else ''}. "
                f"The classifier gets {distinct_ids[-1] + 1} outputs (one per id up to the largest).")
    return per_value[codes], None, note


def preview(
    df: pd.DataFrame,
    format_key: str,
    n: int = 5,
    mapping: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The first `n` rows keyed by role name, for a live preview; never raises on a half-made mapping.

    Without `mapping`, `df` already has the format's columns (as `apply_mapping` returns them); with it,
    `df` is the uploaded table and roles without a (valid) column show None. Long texts are shortened.
    """
    fmt = _format(format_key)
    mapping = {c: c for c in fmt.columns} if mapping is None else mapping
    out = []
    for i in range(min(max(int(n), 0), len(df))):
        row = {}
        for col in fmt.columns:
            src = mapping.get(col)
            value = df[src].iloc[i] if isinstance(src, str) and src in df.columns else None
            row[fmt.role_of(col)] = _preview_value(value)
        out.append(row)
    return out


def _preview_value(value: Any, limit: int = 200) -> Any:
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value if isinstance(value, str | int | float | bool) else _q(value, limit)


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


def parse_mapping(spec: str, format_key: str) -> dict[str, str]:
    """A mapping from text: 'anchor=question,positive=answer', or file columns in the format's order: 'q,a'."""
    fmt = _format(format_key)
    parts = [p.strip() for p in str(spec).split(",")]
    if not any(parts):
        raise UploadError(f"Give the columns for {', '.join(fmt.columns)}, e.g. "
                          f"'{','.join(f'{c}=…' for c in fmt.columns)}'.")
    if all("=" in p for p in parts):
        pairs = [p.split("=", 1) for p in parts]
        mapping = {k.strip(): v.strip() for k, v in pairs}
        if len(mapping) != len(pairs):
            raise UploadError("A format column is named twice in the column mapping.")
        return mapping
    if any("=" in p for p in parts):
        raise UploadError("Write the column mapping either all as role=column pairs or as a plain list of columns.")
    if len(parts) != len(fmt.columns):
        raise UploadError(f"The {fmt.key} format needs {len(fmt.columns)} columns ({', '.join(fmt.columns)}), "
                          f"but {len(parts)} were given.")
    return dict(zip(fmt.columns, parts, strict=True))


# ---------------------------------------------------------------------------------------------------------
# 3. Rows -> a recipe


def make_upload_recipe(rows_df: pd.DataFrame, format_key: str, name: str, *, key: str = "upload") -> Recipe:
    """A recipe over checked upload rows (from `apply_mapping`), so an upload trains like a built-in recipe.

    The recipe keeps its own copy of the rows, so a later change to `rows_df` never reaches a run. Its
    transform only drops blank rows again; 'single' sentences become TSDAE's (damaged, original) pairs,
    since that is the only loss that reads unlabelled sentences.
    """
    fmt = _format(format_key)
    if list(rows_df.columns) != list(fmt.columns):
        raise UploadError(f"The rows must have exactly the {fmt.key} columns ({', '.join(fmt.columns)}); "
                          "run apply_mapping first.")
    if len(rows_df) < MIN_ROWS:
        raise UploadError(f"Only {len(rows_df)} row; training needs at least {MIN_ROWS}.")
    rows = rows_df.copy(deep=True).reset_index(drop=True)
    label = display_name(name)
    info = SourceInfo(name=f"Your upload: {label}", origin="upload", detail=label, rows=len(rows))

    def load_rows(mode: str) -> tuple[pd.DataFrame, SourceInfo]:
        return rows.copy(), info  # the data_source mode (Hub/bundled) does not apply to an upload

    if format_key == "single" and "denoise" in FORMATS:
        from lab.recipes import tsdae

        def noisy(raw: pd.DataFrame, seed: int, del_ratio: float = tsdae.DEL_RATIO.default) -> pd.DataFrame:
            return tsdae.add_noise(raw["text"], seed, del_ratio)

        return Recipe(key=key, format_key="denoise",
                      description=f"Your upload '{label}': {len(rows):,} sentences with deletion noise (TSDAE).",
                      load_rows=load_rows, transform=noisy, knobs=(tsdae.DEL_RATIO,))

    def transform(raw: pd.DataFrame, seed: int) -> pd.DataFrame:
        return clean_text(raw, fmt.inputs)[list(fmt.columns)].reset_index(drop=True)

    return Recipe(key=key, format_key=format_key,
                  description=f"Your upload '{label}': {len(rows):,} rows. {fmt.description}",
                  load_rows=load_rows, transform=transform)
