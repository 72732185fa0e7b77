"""Decoded text or parquet bytes → a DataFrame: CSV/TSV (delimiter sniffing, header checks), JSON lines or a
JSON array, and parquet read within the limits; column names checked for every type.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pandas as pd

from lab.errors import UploadError
from lab.upload.limits import MAX_CELLS, MAX_COLUMNS
from lab.upload.messages import _q, _size

_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


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
    # Cells before parsing: the header's fields × the lines (an upper bound on rows).
    _check_cells(min(text.count("\n") + 1, max_rows + 1), first_line.count(sep) + 1)
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
    _check_cells(len(records), len(keys))
    # A duplicate after trimming (" a" and "a") is caught by _check_names; here keep every key as written.
    # dtype=object keeps each value as written: 42 stays 42 (not 42.0 beside a 1.5), true stays a bool.
    df = pd.DataFrame(records, columns=list(keys), dtype=object)
    return df, notes


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")


def _read_parquet(data: bytes, max_rows: int, max_unpacked: int) -> tuple[pd.DataFrame, list[str]]:
    """Parquet bytes → a table, never holding more than `max_unpacked` bytes of decoded values.

    A few kB of parquet can stand for gigabytes of values (one long string dictionary-encoded a million times, or
    compressed runs), so sizes are checked in the footer first, and then row group by row group on the data as
    it is read, text still dictionary-encoded: its decoded length is the sum of its dictionary entries' lengths
    over the indices, measured without decoding. Only after every check do the values get decoded.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(io.BytesIO(data)).schema_arrow
        names = [str(n) for n in schema.names if not _PANDAS_INDEX.fullmatch(str(n))]
        _check_names(names)
        flat = [f for f in schema if f.name in names and not pa.types.is_nested(f.type)]
        # every text-like column stays dictionary-encoded while it is read: plain ones too (read_dictionary)
        text_like = [f.name for f in flat if _is_bytes_type(pa, f.type)
                     or (pa.types.is_dictionary(f.type) and _is_bytes_type(pa, f.type.value_type))]
        pf = pq.ParquetFile(io.BytesIO(data), read_dictionary=text_like)
        meta = pf.metadata
        # 1. What the footer claims: rows, cells and unpacked bytes, before any data is read.
        if meta.num_rows > max_rows:
            raise UploadError(f"The file has {meta.num_rows:,} rows; the upload limit is {max_rows:,}. "
                              "Upload a smaller sample.")
        _check_cells(meta.num_rows, len(flat))
        claimed = max(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)),
                      sum(meta.row_group(i).column(j).total_uncompressed_size
                          for i in range(meta.num_row_groups) for j in range(meta.row_group(i).num_columns)))
        if claimed > max_unpacked:
            raise UploadError(f"The parquet file unpacks to {_size(claimed)}, more than the {_size(max_unpacked)} "
                              "allowed. Upload a smaller sample.")
        if not flat:
            raise UploadError("The parquet file has no columns with plain values (text or numbers).")
        # 2. The data itself, one row group at a time, each measured as it would be once decoded.
        groups, decoded = [], 0
        for i in range(meta.num_row_groups):
            group = pf.read_row_group(i, columns=[f.name for f in flat])
            decoded += sum(_decoded_bytes(pa, column) for column in group.columns)
            if decoded > max_unpacked:
                raise UploadError(f"The parquet file unpacks to more than {_size(max_unpacked)} of values (at row "
                                  f"group {i + 1} of {meta.num_row_groups}). Upload a smaller sample.")
            groups.append(group)
        table = pa.concat_tables(groups) if groups else pf.schema_arrow.empty_table().select([f.name for f in flat])
    except UploadError:
        raise
    except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
        raise UploadError(f"The parquet file could not be read ({str(exc).splitlines()[0][:200]}); it may be "
                          "damaged or cut short.") from None
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


def _decoded_bytes(pa: Any, column: Any) -> int:
    """Bytes a column takes once decoded: a dictionary column's entries counted at each index, without decoding."""
    import pyarrow.compute as pc

    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            if _is_bytes_type(pa, chunk.type.value_type):
                lengths = pc.binary_length(chunk.dictionary).take(chunk.indices)  # (rows,) int: no text decoded
                total += (pc.sum(lengths).as_py() or 0) + chunk.indices.nbytes
            else:  # e.g. dictionary<int64>: each index becomes one fixed-width value
                width = max(1, getattr(chunk.type.value_type, "bit_width", 64) // 8)
                total += len(chunk) * width + chunk.indices.nbytes
        else:
            total += chunk.nbytes
    return total


def _check_cells(rows: int, columns: int) -> None:
    """A table's cells each cost memory once read (a Python object per text cell): their number is bounded too."""
    if rows * columns > MAX_CELLS:
        raise UploadError(f"The file has {rows:,} rows × {columns:,} columns = {rows * columns:,} cells; at most "
                          f"{MAX_CELLS:,} are read. Upload fewer rows or only the columns you need.")


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
