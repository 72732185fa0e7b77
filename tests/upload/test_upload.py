"""Uploads: each bad file or mapping gets a specific message; good files of every type give exactly the format rows."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab.errors import UploadError
from lab.formats import FORMATS
from lab.upload import (
    UPLOAD_FORMATS,
    apply_mapping,
    display_name,
    load_upload,
    parse_mapping,
    preview,
    read_table,
    suggest_mapping,
)
from lab.upload.saved import load_saved_upload, save_upload

UPLOAD_PKG = Path(__file__).resolve().parents[2] / "lab" / "upload"  # a package: every file is checked

# Five hand-written rows per format, and the column names a user's file might use instead.
GOOD = {
    "pair-class": pd.DataFrame({
        "premise": ["A man eats.", "A dog runs.", "Kids play.", "It rains.", "She sings."],
        "hypothesis": ["Someone eats.", "A cat sleeps.", "Kids sit still.", "It is wet.", "Nobody sings."],
        "label": [0, 1, 2, 0, 2],
    }),
    "pair-score": pd.DataFrame({
        "sentence1": ["A plane takes off.", "A man plays flute.", "A cat naps.", "Two dogs run.", "Rain falls."],
        "sentence2": ["An air plane departs.", "A man plays a flute.", "A dog barks.", "Dogs race.", "Sun shines."],
        "score": [1.0, 0.76, 0.1, 0.5, 0.0],
    }),
    "triplet": pd.DataFrame({
        "anchor": ["how to boil eggs", "capital of peru", "python sort list", "cat food", "rain tomorrow?"],
        "positive": ["Boil eggs 9 minutes.", "Lima is the capital.", "Use sorted().", "Cats eat fish.", "Yes, rain."],
        "negative": ["Eggs are oval.", "Peru is big.", "Snakes are long.", "Dogs bark.", "Sun is hot."],
    }),
    "pair": pd.DataFrame({
        "anchor": ["what is 2+2", "who wrote hamlet", "largest ocean", "speed of light", "boiling point"],
        "positive": ["Four.", "Shakespeare.", "The Pacific.", "About 300,000 km/s.", "100 °C at sea level."],
    }),
    "single": pd.DataFrame({"text": ["First sentence.", "Second one here.", "A third.", "Fourth, with a comma.",
                                     "Fifth — with “quotes” and ünïcödé."]}),
}
FILE_NAMES = {  # format column -> what the uploaded file calls it
    "pair-class": {"premise": "sentence_a", "hypothesis": "Sentence B", "label": "gold_label"},
    "pair-score": {"sentence1": "text1", "sentence2": "text2", "score": "similarity"},
    "triplet": {"anchor": "query", "positive": "answer", "negative": "hard_negative"},
    "pair": {"anchor": "question", "positive": "passage"},
    "single": {"text": "sentence"},
}


def _encode(df: pd.DataFrame, kind: str) -> bytes:
    if kind in ("csv", "txt", "noext"):
        return df.to_csv(index=False).encode()
    if kind == "tsv":
        return df.to_csv(index=False, sep="\t").encode()
    if kind == "jsonl":
        return df.to_json(orient="records", lines=True, force_ascii=False).encode()
    if kind == "json":
        return df.to_json(orient="records", force_ascii=False).encode()
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _parquet(table: pa.Table, **kwargs) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    return buf.getvalue()


def _jsonl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _expect_error(phrase: str, fn, *args, **kwargs) -> str:
    with pytest.raises(UploadError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert phrase.lower() in message.lower(), message
    assert 20 < len(message) < 600, message  # specific, and still readable
    assert not any(ch in message for ch in "\x00\r"), message
    return message


# --------------------------------------------------------------------------------------------------------------
# Good files


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "json", "parquet", "txt", "noext"])
@pytest.mark.parametrize("format_key", UPLOAD_FORMATS)
def test_good_files_give_exactly_the_format_columns(format_key, kind):
    expected = GOOD[format_key]
    uploaded = expected.rename(columns=FILE_NAMES[format_key])
    name = "my data" if kind == "noext" else f"my data.{kind}"

    df = read_table(_encode(uploaded, kind), name)
    mapping = suggest_mapping(df, format_key)
    assert mapping == FILE_NAMES[format_key]
    result = apply_mapping(df, format_key, mapping)

    fmt = FORMATS[format_key]
    assert list(result.rows.columns) == list(fmt.columns)
    assert result.dropped == 0 and result.label_map is None
    pd.testing.assert_frame_equal(result.rows, expected, check_dtype=False)
    if fmt.label == "label":
        assert result.rows["label"].dtype == "int64"
    if fmt.label == "score":
        assert result.rows["score"].dtype == "float64"
    shown = preview(result.rows, format_key, n=2)
    assert len(shown) == 2 and set(shown[0]) == {fmt.role_of(c) for c in fmt.columns}


def test_cells_stay_as_written():
    df = read_table(b'anchor,positive\nNA,null\n"a, quoted\nline",  spaced  \n', "x.csv")
    rows = apply_mapping(df, "pair", {"anchor": "anchor", "positive": "positive"}).rows
    assert rows["anchor"].tolist() == ["NA", "a, quoted\nline"]  # "NA" is a sentence, not a missing value
    assert rows["positive"].tolist() == ["null", "  spaced  "]


@pytest.mark.parametrize(
    "data, name, note",
    [
        (b"\xef\xbb\xbfanchor,positive\nq,a\nr,b\n", "bom.csv", None),
        ("anchor\tpositive\nq\ta\nr\tb\n".encode("utf-16"), "excel.txt", "UTF-16"),
        ("anchor,positive\nq,a\nr,b\n".encode("utf-16-be"), "x.csv", None),  # no BOM: refused below
        (b"anchor;positive\r\nq;a\r\nr;b\r\n", "semi.csv", "separated by ';'"),
        (b"anchor\tpositive\nq\ta\nr\tb\n", "tabs.csv", "tabs"),
        (b'{"anchor": "q", "positive": "a"}\n{"anchor": "r", "positive": "b"}\n', "wrong.csv", "JSON"),
        (_parquet(pa.table({"anchor": ["q", "r"], "positive": ["a", "b"]})), "wrong.csv", "parquet"),
        (b"\n\nanchor,positive\n\nq,a\n\n\nr,b\n\n", "blank lines.csv", None),
        ('{"anchor": "q\u2028x", "positive": "a"}\n{"anchor": "r", "positive": "b"}'.encode(), "x.jsonl", None),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16-no-bom", "semicolons", "tabs-in-csv", "json-in-csv", "parquet-in-csv",
         "blank-lines", "u2028-in-json"],
)
def test_tolerated_variants(data, name, note):
    if data.startswith(b"\x00"):  # UTF-16 without a byte-order mark cannot be told from binary
        _expect_error("UTF-16", read_table, data, name)
        return
    df = read_table(data, name)
    assert list(df.columns) == ["anchor", "positive"] and len(df) == 2
    if note:
        assert any(note in n for n in df.attrs["upload_notes"]), df.attrs["upload_notes"]
    result = apply_mapping(df, "pair", {"anchor": "anchor", "positive": "positive"})
    assert list(result.rows.columns) == ["anchor", "positive"]


# --------------------------------------------------------------------------------------------------------------
# Bad files: read_table


def _zip_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("sheet.xml", "<x/>")
    return buf.getvalue()


def _gzip_bytes() -> bytes:
    import gzip

    return gzip.compress(b"anchor,positive\nq,a\n")


_RANDOM = np.random.default_rng(0).bytes(4096)
_PARQUET_OK = _parquet(pa.table({"anchor": ["q", "r", "s", "t"], "positive": ["a", "b", "c", "d"]}))
_PARQUET_DUP = _parquet(pa.table([pa.array(["q"]), pa.array(["a"])], names=["text", "text"]))
_PARQUET_EMPTY = _parquet(pa.table({"anchor": pa.array([], pa.string()), "positive": pa.array([], pa.string())}))
_PARQUET_NESTED = _parquet(pa.table({"tags": [["a", "b"], ["c"]]}))
_PARQUET_NO_NAME = _parquet(pa.table({" ": ["q"], "b": ["a"]}))
# Small files that unpack to far more than they weigh: a long string repeated (dictionary-encoded),
# and a column of zeros (compressed).
_PARQUET_TEXT_BOMB = _parquet(pa.table({"text": ["x" * 10_000] * 2_000}), compression="zstd")
_PARQUET_ZERO_BOMB = _parquet(pa.table({"score": np.zeros(100_000)}), compression="zstd", use_dictionary=False)

BAD_FILES = [
    # (data, filename, key phrase of the message, limits)
    pytest.param(b"", "x.csv", "empty (0 bytes)", {}, id="empty-csv"),
    pytest.param(b"", "x", "empty (0 bytes)", {}, id="empty-noext"),
    pytest.param(b"", "x.parquet", "empty (0 bytes)", {}, id="empty-parquet"),
    pytest.param(b"", "x.jsonl", "empty (0 bytes)", {}, id="empty-jsonl"),
    pytest.param(b"   \n\t\n  ", "x.csv", "only blank lines", {}, id="whitespace-csv"),
    pytest.param(b"\n\n\n", "x.jsonl", "only blank lines", {}, id="newlines-jsonl"),
    pytest.param(b"\r\n \r\n", "x.tsv", "only blank lines", {}, id="crlf-only-tsv"),
    pytest.param(b"\xef\xbb\xbf", "x.csv", "only blank lines", {}, id="bom-only"),
    pytest.param(b"\x00" * 100, "x.csv", "NUL bytes", {}, id="nul-bytes"),
    pytest.param(b"anchor,positive\nq,a\x00b\n", "x.csv", "NUL bytes", {}, id="nul-inside-text"),
    pytest.param(_RANDOM, "x.csv", "binary", {}, id="random-bytes-csv"),
    pytest.param(_RANDOM, "upload", "binary", {}, id="random-bytes-noext"),
    pytest.param(_RANDOM, "x.jsonl", "binary", {}, id="random-bytes-jsonl"),
    pytest.param(bytes(range(1, 9)) * 50, "x.csv", "binary", {}, id="control-bytes"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + _RANDOM, "x.csv", "PNG image", {}, id="png-as-csv"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + _RANDOM, "photo", "PNG image", {}, id="png-noext"),
    pytest.param(b"\xff\xd8\xff\xe0" + _RANDOM, "x.tsv", "JPEG image", {}, id="jpeg-as-tsv"),
    pytest.param(b"GIF89a" + _RANDOM, "x.txt", "GIF image", {}, id="gif-as-txt"),
    pytest.param(b"%PDF-1.7\n" + _RANDOM, "x.csv", "PDF document", {}, id="pdf-as-csv"),
    pytest.param(_zip_bytes(), "x.csv", "ZIP archive", {}, id="zip-as-csv"),
    pytest.param(_gzip_bytes(), "x.csv", "gzip", {}, id="gzip-as-csv"),
    pytest.param(b"\x7fELF\x02\x01\x01" + _RANDOM, "x.jsonl", "program", {}, id="elf-as-jsonl"),
    pytest.param(b"SQLite format 3\x00" + _RANDOM, "db", "SQLite", {}, id="sqlite-noext"),
    pytest.param(b"anchor,positive\ncaf\xe9,au lait\n", "x.csv", "line 2", {}, id="latin1-line"),
    pytest.param(b"anchor,positive\ncaf\xe9,au lait\n", "x.csv", "not UTF-8", {}, id="latin1"),
    pytest.param(b"text\n\x93smart quotes\x94\n", "x.csv", "0x93", {}, id="cp1252-byte"),
    pytest.param(b'{"text": "caf\xe9"}\n', "x.jsonl", "not UTF-8", {}, id="latin1-jsonl"),
    pytest.param(b"text\nabc\xe2\x82", "x.csv", "not UTF-8", {}, id="truncated-utf8"),
    pytest.param("anchor,positive\nq,a\n".encode("utf-16-le"), "x.csv", "UTF-16", {}, id="utf16-no-bom"),
    pytest.param(b"\xff\xfe" + "anchor".encode("utf-16-le") + b"\x00", "x.csv", "not valid UTF-16", {},
                 id="utf16-odd-length"),
    pytest.param(b"\xff\xfe" + "a\x00b".encode("utf-16-le"), "x.csv", "NUL characters", {}, id="utf16-with-nul"),
    pytest.param(b"anchor,positive\n" + b"q,a\n" * 10, "x.csv", "too large", {"max_bytes": 20}, id="too-large"),
    pytest.param(_PARQUET_OK, "x.parquet", "too large", {"max_bytes": 100}, id="too-large-parquet"),
    pytest.param(b"anchor,positive\n" + b"q,a\n" * 5, "x.csv", "more than 3 rows", {"max_rows": 3}, id="rows-csv"),
    pytest.param(b"anchor\tpositive\n" + b"q\ta\n" * 5, "x.tsv", "more than 3 rows", {"max_rows": 3}, id="rows-tsv"),
    pytest.param(_jsonl(*['{"a": 1}'] * 5), "x.jsonl", "limit is 3", {"max_rows": 3}, id="rows-jsonl"),
    pytest.param(b'[{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}]', "x.json", "limit is 3", {"max_rows": 3},
                 id="rows-json-array"),
    pytest.param(_PARQUET_OK, "x.parquet", "4 rows; the upload limit is 3", {"max_rows": 3}, id="rows-parquet"),
    pytest.param(b"q,a\n", "x.exe", "Unsupported file type '.exe'", {}, id="exe"),
    pytest.param(b"q,a\n", "../../x.exe", "Unsupported file type '.exe'", {}, id="exe-traversal"),
    pytest.param(b"q,a\n", "x.csv\x00.exe", "Unsupported file type '.exe'", {}, id="nul-in-name"),
    pytest.param(b"q,a\n", "x.exe\n", "Unsupported file type '.exe'", {}, id="newline-in-name"),
    pytest.param(b"q,a\n", "a" * 10_000 + ".exe", "Unsupported file type '.exe'", {}, id="long-name-exe"),
    pytest.param(b"q,a\n", "x.xlsx", "save the sheet as CSV", {}, id="xlsx"),
    pytest.param(b"q,a\n", "x.ods", "save the sheet as CSV", {}, id="ods"),
    pytest.param(b"q,a\n", "x.zip", "unpack it", {}, id="zip-name"),
    pytest.param(b"q,a\n", "x.csv.gz", "unpack it", {}, id="gz-name"),
    pytest.param(b"q,a\n", "x.pdf", "Unsupported file type '.pdf'", {}, id="pdf-name"),
    pytest.param(b"q,a\n", "x.html", "Unsupported file type '.html'", {}, id="html-name"),
    pytest.param(b"anchor,positive\nq,a\n", "x.parquet", "not a parquet file", {}, id="csv-as-parquet"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + _RANDOM, "x.parquet", "PNG", {}, id="png-as-parquet"),
    pytest.param(b"PAR1" + _RANDOM, "x.parquet", "could not be read", {}, id="garbage-parquet"),
    pytest.param(_PARQUET_OK[: len(_PARQUET_OK) // 2], "x.parquet", "could not be read", {}, id="cut-parquet"),
    pytest.param(_PARQUET_DUP, "x.parquet", "Duplicate column name 'text'", {}, id="dup-parquet"),
    pytest.param(_PARQUET_EMPTY, "x.parquet", "no data rows", {}, id="zero-rows-parquet"),
    pytest.param(_PARQUET_NESTED, "x.parquet", "no columns with plain values", {}, id="nested-parquet"),
    pytest.param(_PARQUET_NO_NAME, "x.parquet", "Column 1 has no name", {}, id="nameless-parquet"),
    pytest.param(_PARQUET_TEXT_BOMB, "x.parquet", "unpacks to", {"max_bytes": 50_000}, id="text-bomb-parquet"),
    pytest.param(_PARQUET_ZERO_BOMB, "x.parquet", "unpacks to", {"max_bytes": 20_000}, id="zero-bomb-parquet"),
    pytest.param(b"a,b,a\n1,2,3\n", "x.csv", "Duplicate column name 'a' (columns 1 and 3)", {}, id="dup-csv"),
    pytest.param(b"text, text\nq,a\n", "x.csv", "Duplicate column name 'text'", {}, id="dup-after-trim"),
    pytest.param(b"a\tb\tb\nq\ta\tz\n", "x.tsv", "Duplicate column name 'b'", {}, id="dup-tsv"),
    pytest.param(_jsonl('{"a": "q", "a": "r"}'), "x.jsonl", "Line 1 repeats the key 'a'", {}, id="dup-key-jsonl"),
    pytest.param(b'[{"a": "q", "a": "r"}]', "x.json", "repeats the key 'a'", {}, id="dup-key-json"),
    pytest.param(_jsonl('{"a": "q", " a": "r"}'), "x.jsonl", "Duplicate column name 'a'", {}, id="dup-key-trim"),
    pytest.param(b"a,,b\n1,2,3\n", "x.csv", "Column 2 has no name", {}, id="nameless-column"),
    pytest.param(b"a,b,\n1,2,\n", "x.csv", "Column 3 has no name", {}, id="trailing-comma"),
    pytest.param(_jsonl('{"": "q"}'), "x.jsonl", "Column 1 has no name", {}, id="empty-key"),
    pytest.param(b"0.5,a cat\n0.7,a dog\n", "x.csv", "does not look like a header", {}, id="no-header-number"),
    pytest.param(b"1\tq\ta\n2\tr\tb\n", "x.tsv", "does not look like a header", {}, id="no-header-tsv"),
    pytest.param(("x" * 300 + ",y\n" + "a,b\n").encode(), "x.csv", "does not look like a header", {},
                 id="no-header-long"),
    pytest.param(b"anchor,positive\n", "x.csv", "no data rows", {}, id="header-only"),
    pytest.param(b"anchor,positive\n\n\n", "x.csv", "no data rows", {}, id="header-and-blanks"),
    pytest.param(b"a,b\n1,2\n3,4,5\n", "x.csv", "Line 3 has 3 fields but the header has 2", {}, id="extra-field"),
    pytest.param(b"a,b\nx,y,z\n", "x.csv", "Line 2 has 3 fields", {}, id="extra-field-first-row"),
    pytest.param(b"a\tb\n1\t2\t3\n", "x.tsv", "Line 2 has 3 fields", {}, id="extra-field-tsv"),
    pytest.param(b'a,b\n1,2\n"3,4\n5,6\n', "x.csv", "never closed", {}, id="unclosed-quote"),
    pytest.param(b'a,b\n1,2\n"3,4\n5,6\n', "x.csv", "line 3", {}, id="unclosed-quote-line"),
    pytest.param(_jsonl('{"a": 1}', '{"a": 2}', '{"a": 3'), "x.jsonl", "Line 3 is not valid JSON", {},
                 id="bad-json-line"),
    pytest.param(_jsonl('{"a": 1}', "not json"), "x.jsonl", "Line 2 is not valid JSON", {}, id="text-in-jsonl"),
    pytest.param(_jsonl('{"a": 1}', '["a", "b"]'), "x.jsonl", "Line 2 is a list, not an object", {}, id="list-line"),
    pytest.param(_jsonl('{"a": 1}', '"text"'), "x.jsonl", "Line 2 is a string", {}, id="string-line"),
    pytest.param(_jsonl('{"a": 1}', "42"), "x.jsonl", "Line 2 is a number", {}, id="number-line"),
    pytest.param(_jsonl('{"a": 1}', "null"), "x.jsonl", "Line 2 is null", {}, id="null-line"),
    pytest.param(_jsonl('{"score": NaN}'), "x.jsonl", "NaN is not valid JSON", {}, id="nan-literal"),
    pytest.param(_jsonl('{"score": -Infinity}'), "x.jsonl", "Infinity is not valid JSON", {}, id="inf-literal"),
    pytest.param(b'{\n  "a": 1\n}\n', "x.jsonl", "pretty-printed JSON is not JSONL", {}, id="pretty-json"),
    pytest.param(b"[1, 2]", "x.json", "Item 1 of the JSON array is a number", {}, id="array-of-numbers"),
    pytest.param(b'[{"a": 1}, "b"]', "x.json", "Item 2 of the JSON array is a string", {}, id="array-mixed"),
    pytest.param(b'[{"a": 1}', "x.json", "not valid JSON", {}, id="array-cut"),
    pytest.param(b"[]", "x.json", "no columns", {}, id="empty-array"),
    pytest.param(_jsonl("{}", "{}"), "x.jsonl", "no columns", {}, id="empty-objects"),
    pytest.param(b"[" * 100_000, "x.json", "not valid JSON", {}, id="deeply-nested-json"),
    pytest.param(b"anchor,positive\nq,a\n", "x.jsonl", "Line 1 is not valid JSON", {}, id="csv-as-jsonl"),
    pytest.param((",".join(f"c{i}" for i in range(1001)) + "\n" + "x," * 1000 + "x\n").encode(), "x.csv",
                 "at most 1,000", {}, id="too-many-columns"),
    pytest.param(_jsonl(*[f'{{"c{i}": 1}}' for i in range(1001)]), "x.jsonl", "at most 1,000", {},
                 id="too-many-keys"),
]


@pytest.mark.parametrize("data, filename, phrase, limits", BAD_FILES)
def test_bad_files_get_a_specific_message(data, filename, phrase, limits):
    _expect_error(phrase, read_table, data, filename, **limits)


def test_a_path_is_never_accepted_in_place_of_bytes(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("anchor,positive\nq,a\nr,b\n")
    with pytest.raises(TypeError, match="bytes"):
        read_table(str(secret), "secret.csv")
    with pytest.raises(TypeError):
        read_table(secret, "secret.csv")


@pytest.mark.parametrize(
    "env, value, data, phrase",
    [
        ("LAB_UPLOAD_MAX_BYTES", "30", b"anchor,positive\n" + b"q,a\n" * 10, "limit is 30 bytes"),
        ("LAB_UPLOAD_MAX_ROWS", "2", b"anchor,positive\n" + b"q,a\n" * 3, "more than 2 rows"),
        ("LAB_UPLOAD_MAX_ROWS", "1_000", b"anchor,positive\n" + b"q,a\n" * 1001, "more than 1,000 rows"),
    ],
    ids=["env-bytes", "env-rows", "env-rows-underscore"],
)
def test_limits_come_from_the_environment(monkeypatch, env, value, data, phrase):
    monkeypatch.setenv(env, value)
    _expect_error(phrase, read_table, data, "x.csv")


@pytest.mark.parametrize("value", ["lots", "-5", "0", "1e9"])
def test_a_bad_limit_in_the_environment_keeps_the_default(monkeypatch, value):
    monkeypatch.setenv("LAB_UPLOAD_MAX_ROWS", value)
    assert len(read_table(b"a,b\n" + b"q,r\n" * 50, "x.csv")) == 50


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_a_million_rows_is_refused_quickly(kind):
    n = 1_000_000
    if kind == "csv":
        data = b"anchor,positive\n" + b"q,a\n" * n
    elif kind == "jsonl":
        data = b'{"a":"q"}\n' * n
    else:
        data = _parquet(pa.table({"score": np.zeros(n, dtype="float32")}))
    start = time.perf_counter()
    _expect_error("200,000", read_table, data, f"big.{kind}")
    assert time.perf_counter() - start < 3.0  # measured ~0.2-0.3 s; parsing stops at the limit


# --------------------------------------------------------------------------------------------------------------
# Odd names: only a label for messages, never a path


ODD_NAMES = [
    "../../x.csv",
    "..%2Fx.csv",
    "..\\..\\x.csv",
    "/etc/passwd.csv",
    "C:\\Windows\\System32\\x.csv",
    "a" * 10_000 + ".csv",
    "x\x00.csv",
    "x\n.csv",
    "line\r\nbreak.csv",
    "\u202egnp.csv",  # right-to-left override
    "~/.ssh/id_rsa.csv",
    "x",
    "",
    "..",
    "con.csv",
]


@pytest.mark.parametrize("name", ODD_NAMES, ids=range(len(ODD_NAMES)))
def test_odd_names_are_labels_and_never_paths(tmp_path, monkeypatch, name):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = load_upload(b"anchor,positive\nq,a\nr,b\n", name, "pair")
    shown = display_name(name)
    rows, info = load_saved_upload(save_upload(result.rows, "pair", shown))
    assert len(rows) == 2 and info.origin == "upload"
    assert info.detail == shown and 0 < len(shown) <= 80
    assert not any(ch in shown for ch in "/\\\x00\n\r\u202e")
    assert shown not in ("", ".", "..")
    assert list(cwd.iterdir()) == []  # nothing was written anywhere near the name


def test_no_file_is_created_even_for_bad_uploads(tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for name in ("../../x.parquet", "x.parquet", "evil\x00.parquet", "a" * 5000 + ".csv"):
        with pytest.raises(UploadError):
            read_table(b"PAR1" + _RANDOM, name)
        with pytest.raises(UploadError):
            read_table(_RANDOM, name)
    assert list(cwd.iterdir()) == []


def test_the_module_never_opens_files_or_imports_heavy_libraries():
    for path in sorted(UPLOAD_PKG.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), path
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "open" not in calls, path
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"torch", "gradio", "datasets", "transformers", "sentence_transformers"}, path


def test_importing_the_module_loads_no_torch():
    code = "import sys, lab.upload; bad = {'torch', 'gradio', 'datasets'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=UPLOAD_PKG.parent.parent, timeout=60)


# --------------------------------------------------------------------------------------------------------------
# Bad mappings and bad values: apply_mapping


def _table(text: str, name: str = "x.csv") -> pd.DataFrame:
    return read_table(text.encode(), name)


TRIPLET = "query,answer,neg\nq1,a1,n1\nq2,a2,n2\nq3,a3,n3\n"
TRIPLET_MAP = {"anchor": "query", "positive": "answer", "negative": "neg"}
SCORE_MAP = {"sentence1": "s1", "sentence2": "s2", "score": "score"}
CLASS_MAP = {"premise": "p", "hypothesis": "h", "label": "label"}


def _scores(*values: str) -> str:
    return "s1,s2,score\n" + "".join(f"a{i},b{i},{v}\n" for i, v in enumerate(values))


def _labels(*values: str) -> str:
    return "p,h,label\n" + "".join(f"a{i},b{i},{v}\n" for i, v in enumerate(values))


def _jsonl_table(*objects: str) -> pd.DataFrame:
    return read_table(_jsonl(*objects), "x.jsonl")


BAD_MAPPINGS = [
    # (table, format, mapping, key phrase)
    pytest.param(TRIPLET, "nope", TRIPLET_MAP, "Unknown data format 'nope'", id="unknown-format"),
    pytest.param(TRIPLET, "denoise", TRIPLET_MAP, "Unknown data format", id="derived-format"),
    pytest.param(TRIPLET, "triplet", ["query", "answer", "neg"], "must map each format column", id="not-a-dict"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "foo": "query"}, "'foo' is not a column of the triplet",
                 id="unknown-role"),
    pytest.param(TRIPLET, "triplet", {"anchor": "query", "positive": "answer"}, "negative (should be far)",
                 id="role-left-out"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "negative": None}, "Choose a column", id="role-none"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "negative": "  "}, "Choose a column", id="role-blank"),
    pytest.param(TRIPLET, "triplet", {}, "anchor (the query)", id="nothing-mapped"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "negative": "hard"}, "'hard' (chosen for negative",
                 id="missing-column"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "negative": "../../etc/passwd"}, "is not in the file",
                 id="path-as-column"),
    pytest.param(TRIPLET, "triplet", {**TRIPLET_MAP, "negative": "query"}, "chosen for both anchor",
                 id="same-column-twice"),
    pytest.param(TRIPLET, "pair", {"anchor": "query", "positive": "query"}, "each role needs its own column",
                 id="same-column-pair"),
    pytest.param("query,answer,neg\nq1,a1,\nq2,a2,  \n", "triplet", TRIPLET_MAP, "Every row has an empty cell",
                 id="column-all-blank"),
    pytest.param("query,answer,neg\nq1,a1,n1\n", "triplet", TRIPLET_MAP, "Only 1 usable row", id="one-row"),
    pytest.param("query,answer,neg\nq1,a1,n1\n,a2,n2\n", "triplet", TRIPLET_MAP, "Only 1 usable row",
                 id="one-row-after-blanks"),
    pytest.param("text\nhello\n", "single", {"text": "text"}, "at least 2", id="one-sentence"),
    pytest.param(_jsonl_table('{"q": "x", "a": "y"}', '{"q": ["x"], "a": "y"}'), "pair",
                 {"anchor": "q", "positive": "a"}, "row 2 has list value", id="list-in-text"),
    pytest.param(_jsonl_table('{"q": {"k": 1}, "a": "y"}', '{"q": "x", "a": "y"}'), "pair",
                 {"anchor": "q", "positive": "a"}, "must hold text", id="object-in-text"),
    pytest.param(pd.DataFrame({"q": ["x", "y"], "a": [b"raw", b"bytes"]}), "pair", {"anchor": "q", "positive": "a"},
                 "row 1 has bytes value", id="bytes-in-text"),
    pytest.param(pd.DataFrame({"q": ["x", "y"], "a": pd.to_datetime(["2024-01-01", "2024-01-02"])}), "pair",
                 {"anchor": "q", "positive": "a"}, "must hold text", id="dates-as-text"),
    pytest.param(_scores("0.5", "high", "0.2"), "pair-score", SCORE_MAP, "row 2 has 'high', which is not a number",
                 id="score-word"),
    pytest.param(_scores("0.5", '"0,7"'), "pair-score", SCORE_MAP, "decimal separator", id="score-comma"),
    pytest.param(_scores("0.5", "NaN"), "pair-score", SCORE_MAP, "is not a finite number", id="score-nan-text"),
    pytest.param(_scores("0.5", "nan", "NAN"), "pair-score", SCORE_MAP, "1 more rows too", id="score-nan-count"),
    pytest.param(_scores("inf", "0.5"), "pair-score", SCORE_MAP, "row 1 has 'inf', which is not a finite",
                 id="score-inf"),
    pytest.param(_scores("0.1", "-Infinity"), "pair-score", SCORE_MAP, "not a finite number", id="score-neg-inf"),
    pytest.param(_scores("0.1", "1e999"), "pair-score", SCORE_MAP, "not a finite number", id="score-overflow"),
    pytest.param(pd.DataFrame({"s1": ["a", "b"], "s2": ["c", "d"], "score": [0.5, np.inf]}), "pair-score",
                 SCORE_MAP, "not a finite number", id="score-inf-float"),
    pytest.param(_scores("0.5", "-0.2"), "pair-score", SCORE_MAP, "row 2 has -0.2", id="score-negative"),
    pytest.param(_scores("-1", "1"), "pair-score", SCORE_MAP, "(s + 1) / 2", id="score-cosine-range"),
    pytest.param(_scores("0.5", "7"), "pair-score", SCORE_MAP, "a 0–5 scale is rescaled automatically",
                 id="score-above-5"),
    pytest.param(_scores("10", "100", "55"), "pair-score", SCORE_MAP, "row 2 has 100", id="score-percent"),
    pytest.param(_scores(*(["0.5"] * 39 + ["1.5"])), "pair-score", SCORE_MAP, "look like typos",
                 id="score-typo-above-1"),
    pytest.param(_jsonl_table('{"s1": "a", "s2": "b", "score": true}', '{"s1": "c", "s2": "d", "score": 0.1}'),
                 "pair-score", SCORE_MAP, "is not a number", id="score-bool"),
    pytest.param(_jsonl_table('{"s1": "a", "s2": "b", "score": [0.5]}', '{"s1": "c", "s2": "d", "score": 0.1}'),
                 "pair-score", SCORE_MAP, "is not a number", id="score-list"),
    pytest.param(_scores("0.5", "0.1"), "pair-score", {"sentence1": "score", "sentence2": "s2", "score": "s1"},
                 "row 1 has 'a0', which is not a number",
                 id="text-column-as-score"),
    pytest.param(_scores("", " "), "pair-score", SCORE_MAP, "Every row has an empty cell", id="scores-all-missing"),
    pytest.param(_labels("0", "0.5"), "pair-class", CLASS_MAP, "whole numbers", id="label-float"),
    pytest.param(_labels("1", '"1.5"'), "pair-class", CLASS_MAP, "row 2 of 'label' has '1.5'", id="label-float-text"),
    pytest.param(_labels("1", "nan"), "pair-class", CLASS_MAP, "whole numbers", id="label-nan-text"),
    pytest.param(_labels("1", "inf"), "pair-class", CLASS_MAP, "whole numbers", id="label-inf"),
    pytest.param(_labels("0", "neutral", "1"), "pair-class", CLASS_MAP, "mixes numbers and names", id="label-mixed"),
    pytest.param(_labels("1", "1", "1.0"), "pair-class", CLASS_MAP, "same class (1)", id="label-single-int"),
    pytest.param(_labels("yes", "yes"), "pair-class", CLASS_MAP, "same class ('yes')", id="label-single-name"),
    pytest.param(_labels("0", "-1"), "pair-class", CLASS_MAP, "0 or more, but row 2 has -1", id="label-negative"),
    pytest.param(_labels("0", "523"), "pair-class", CLASS_MAP, "below 100, but row 2 has 523", id="label-huge"),
    pytest.param(_labels(*[f"class{i}" for i in range(150)]), "pair-class", CLASS_MAP, "150 different class names",
                 id="label-too-many-names"),
    pytest.param(_labels(*range(150)), "pair-class", {"premise": "label", "hypothesis": "h", "label": "p"},
                 "Is it the right column?", id="text-col-as-label"),
    pytest.param(_jsonl_table('{"p": "a", "h": "b", "label": [1]}', '{"p": "c", "h": "d", "label": 0}'), "pair-class",
                 CLASS_MAP, "must hold class labels, but row 1", id="label-list"),
    pytest.param(pd.DataFrame({"p": ["a", "b"], "h": ["c", "d"], "label": [0.0, 0.25]}), "pair-class", CLASS_MAP,
                 "whole numbers", id="label-float-parquet"),
    pytest.param(_labels("", ""), "pair-class", CLASS_MAP, "Every row has an empty cell", id="labels-all-missing"),
]


@pytest.mark.parametrize("table, format_key, mapping, phrase", BAD_MAPPINGS)
def test_bad_mappings_and_values_get_a_specific_message(table, format_key, mapping, phrase):
    df = _table(table) if isinstance(table, str) else table
    _expect_error(phrase, apply_mapping, df, format_key, mapping)


@pytest.mark.parametrize(
    "call, phrase",
    [
        (lambda: parse_mapping("", "triplet"), "Give the columns"),
        (lambda: parse_mapping("q,a", "triplet"), "needs 3 columns"),
        (lambda: parse_mapping("anchor=q,a", "pair"), "either all as role=column pairs"),
        (lambda: parse_mapping("anchor=q,anchor=a", "pair"), "named twice"),
        (lambda: parse_mapping("q", "nope"), "Unknown data format"),
        (lambda: load_upload(b"foo,bar\nx,y\nz,w\n", "x.csv", "triplet"), "Could not guess"),
        (lambda: load_upload(b"0.5\n1\n2\n", "x.csv", "pair-score"), "does not look like a header"),
        (lambda: preview(GOOD["pair"], "nope"), "Unknown data format"),
        (lambda: suggest_mapping(GOOD["pair"], "denoise"), "Unknown data format"),
    ],
    ids=["parse-empty", "parse-count", "parse-mixed", "parse-twice", "parse-format", "load-unguessable",
         "load-headerless", "preview-format",
         "suggest-format"],
)
def test_helpers_reject_bad_input(call, phrase):
    _expect_error(phrase, call)


def test_upload_errors_are_config_errors_and_value_errors():
    from lab.errors import ConfigError

    assert issubclass(UploadError, ConfigError) and issubclass(UploadError, ValueError)


# --------------------------------------------------------------------------------------------------------------
# What the notes say


def test_blank_rows_are_dropped_and_counted():
    df = _table("query,answer,neg\nq1,a1,n1\n,a2,n2\nq3,   ,n3\nq4,a4,n4\nq5,a5,\n")
    result = apply_mapping(df, "triplet", TRIPLET_MAP)
    assert result.dropped == 3 and len(result.rows) == 2
    assert result.rows["anchor"].tolist() == ["q1", "q4"]
    assert result.rows.index.tolist() == [0, 1]
    assert any("Dropped 3 of 5 rows" in n and "rows 2, 3, 5" in n for n in result.notes), result.notes


def test_missing_scores_and_labels_drop_their_rows():
    result = apply_mapping(_table(_scores("0.5", "", "0.25")), "pair-score", SCORE_MAP)
    assert result.dropped == 1 and result.rows["score"].tolist() == [0.5, 0.25]
    df = pd.DataFrame({"p": ["a", "b", "c"], "h": ["d", "e", "f"], "label": [0, None, 1]})
    result = apply_mapping(df, "pair-class", CLASS_MAP)
    assert result.dropped == 1 and result.rows["label"].tolist() == [0, 1]


def test_scores_on_a_0_to_5_scale_are_divided_by_5():
    result = apply_mapping(_table(_scores("5", "2.5", "0", "4.2")), "pair-score", SCORE_MAP)
    assert result.rows["score"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.84])
    assert any("0–5 scale" in n and "divided by 5" in n for n in result.notes)


def test_scores_already_in_range_are_untouched():
    result = apply_mapping(_table(_scores("1", "0.5", " 0.25 ", "1e-1")), "pair-score", SCORE_MAP)
    assert result.rows["score"].tolist() == [1.0, 0.5, 0.25, 0.1] and not result.notes


def test_class_names_get_alphabetical_ids_and_a_reported_map():
    result = apply_mapping(_table(_labels("pos", "neg", "pos", "neutral")), "pair-class", CLASS_MAP)
    assert result.label_map == {"neg": 0, "neutral": 1, "pos": 2}
    assert result.rows["label"].tolist() == [2, 0, 2, 1]
    assert any("alphabetical" in n and "'neg' → 0" in n for n in result.notes)


def test_nli_class_names_keep_the_chapter_ids():
    result = apply_mapping(_table(_labels("Contradiction", "entailment", "neutral")), "pair-class", CLASS_MAP)
    assert result.label_map == {"entailment": 0, "neutral": 1, "Contradiction": 2}
    assert result.rows["label"].tolist() == [2, 0, 1]


def test_whole_number_labels_in_any_spelling_are_ids():
    df = _jsonl_table('{"p": "a", "h": "b", "label": 1}', '{"p": "c", "h": "d", "label": "2"}',
                      '{"p": "e", "h": "f", "label": 1.0}', '{"p": "g", "h": "h", "label": true}')
    with pytest.raises(UploadError, match="mixes numbers and names"):
        apply_mapping(df, "pair-class", CLASS_MAP)  # true is a name, not the id 1
    result = apply_mapping(df.iloc[:3], "pair-class", CLASS_MAP)
    assert result.rows["label"].tolist() == [1, 2, 1] and result.label_map is None
    assert any("3 outputs" in n for n in result.notes)  # ids 1, 2: id 0 unused, and the note says so


def test_notes_from_reading_are_passed_on():
    df = read_table(b"query;answer\nq;a\nr;b\n", "x.csv")
    result = apply_mapping(df, "pair", {"anchor": "query", "positive": "answer"})
    assert any("';'" in n for n in result.notes)


def test_numbers_in_text_columns_are_written_out():
    df = _jsonl_table('{"q": 42, "a": "forty-two"}', '{"q": 1.5, "a": "one and a half"}')
    assert apply_mapping(df, "pair", {"anchor": "q", "positive": "a"}).rows["anchor"].tolist() == ["42", "1.5"]


# --------------------------------------------------------------------------------------------------------------
# Suggestions, preview, parse_mapping


@pytest.mark.parametrize(
    "columns, format_key, expected",
    [
        (["question", "answer"], "pair", {"anchor": "question", "positive": "answer"}),
        (["Query", "Document", "Negative Passage"], "triplet",
         {"anchor": "Query", "positive": "Document", "negative": "Negative Passage"}),
        (["sentence_a", "sentence_b", "label"], "pair-score",
         {"sentence1": "sentence_a", "sentence2": "sentence_b", "score": "label"}),
        (["premise", "hypothesis", "label"], "pair-class",
         {"premise": "premise", "hypothesis": "hypothesis", "label": "label"}),
        (["id", "content"], "single", {"text": "content"}),
        (["anchor", "positive", "negative"], "pair", {"anchor": "anchor", "positive": "positive"}),
    ],
)
def test_suggest_mapping_reads_common_names(columns, format_key, expected):
    df = pd.DataFrame({c: [f"{c} one", f"{c} two"] for c in columns})
    assert suggest_mapping(df, format_key) == expected


def test_suggest_mapping_falls_back_to_content():
    df = pd.DataFrame({"id": ["1", "2"], "foo": ["a cat", "a dog"], "bar": ["un chat", "un chien"], "x": ["1", "0"]})
    assert suggest_mapping(df, "pair-class") == {"premise": "foo", "hypothesis": "bar", "label": "x"}
    assert suggest_mapping(pd.DataFrame({"n": [1, 2]}), "pair") == {}


def test_preview_of_a_half_made_mapping_never_raises():
    df = _table(TRIPLET)
    rows = preview(df, "triplet", n=2, mapping={"anchor": "query", "negative": "gone"})
    assert rows == [
        {"anchor (the query)": "q1", "positive (should be close)": None, "negative (should be far)": None},
        {"anchor (the query)": "q2", "positive (should be close)": None, "negative (should be far)": None},
    ]
    assert preview(df, "triplet", n=-1, mapping={}) == []
    long = pd.DataFrame({"text": ["x" * 1000]})
    assert len(preview(long, "single")[0]["a sentence (noised and reconstructed)"]) == 201


def test_parse_mapping_by_name_or_by_order():
    assert parse_mapping("anchor=question, positive=answer", "pair") == {"anchor": "question", "positive": "answer"}
    assert parse_mapping("q,a,n", "triplet") == {"anchor": "q", "positive": "a", "negative": "n"}


# --------------------------------------------------------------------------------------------------------------
# The upload as a recipe


def test_an_upload_recipe_trains_like_a_built_in_one():
    from lab.recipes import RECIPES, prepare

    result = load_upload(_encode(GOOD["triplet"], "csv"), "../../my triplets.csv", "triplet")
    upload_id = save_upload(result.rows, "triplet", display_name("../../my triplets.csv"))
    recipe = RECIPES["upload-triplet"]
    assert recipe.format_key == "triplet" and recipe.format is FORMATS["triplet"] and recipe.uses_upload
    raw, info = load_saved_upload(upload_id)
    assert (info.name, info.origin, info.detail, info.rows) == ("Your upload: my triplets.csv", "upload",
                                                                "my triplets.csv", 5)
    rows = prepare("upload-triplet", seed=0, max_rows=None, upload_id=upload_id).rows
    pd.testing.assert_frame_equal(rows.sort_values("anchor").reset_index(drop=True),
                                  GOOD["triplet"].sort_values("anchor").reset_index(drop=True), check_dtype=False)


def test_a_saved_upload_keeps_its_own_copy():
    rows = GOOD["pair"].copy()
    upload_id = save_upload(rows, "pair", "x.csv")
    rows.loc[0, "anchor"] = "changed"
    first, _ = load_saved_upload(upload_id)
    first.loc[1, "anchor"] = "changed too"
    again, _ = load_saved_upload(upload_id)
    assert again["anchor"].tolist() == GOOD["pair"]["anchor"].tolist()


def test_uploaded_sentences_become_tsdae_pairs():
    from lab.recipes import RECIPES

    recipe = RECIPES["upload-single"]
    assert recipe.format_key == "denoise" and [k.name for k in recipe.knobs] == ["del_ratio"]
    rows = recipe.transform(GOOD["single"], 0, del_ratio=0.5)
    assert list(rows.columns) == list(FORMATS["denoise"].columns)
    assert rows["original"].tolist() == GOOD["single"]["text"].tolist()


def test_the_tests_leave_no_files_behind():
    assert not [p for p in os.listdir(UPLOAD_PKG.parent.parent) if p.endswith((".csv", ".jsonl", ".parquet"))]
