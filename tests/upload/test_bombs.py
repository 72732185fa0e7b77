"""Decoded-size bombs: a small file that stands for gigabytes of values is refused with a specific message, and
memory stays bounded while it is checked — for every column type and file format. (CSV and JSON text decodes to
itself: under the byte limit only their cell count can blow up, and a CSV of empty cells is the case here.)"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab.errors import UploadError
from lab.upload import read_table

ROWS, LONG = 150_000, "x" * 10_000  # 1.5 GB of text once decoded


def _parquet(table: pa.Table, **kwargs) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", **kwargs)
    return out.getvalue()


def _category() -> bytes:
    frame = pd.DataFrame({"anchor": pd.Categorical([LONG] * ROWS), "positive": pd.Categorical(["p"] * ROWS)})
    out = io.BytesIO()
    frame.to_parquet(out, compression="zstd")
    return out.getvalue()


BOMBS = {
    "pandas category": _category,
    "arrow dictionary<string>": lambda: _parquet(pa.table({
        "anchor": pa.array([LONG] * ROWS).dictionary_encode(), "positive": pa.array(["p"] * ROWS)})),
    "large_string (run-length / dictionary pages)": lambda: _parquet(pa.table({
        "anchor": pa.array([LONG] * ROWS, type=pa.large_string()), "positive": pa.array(["p"] * ROWS)})),
    "binary": lambda: _parquet(pa.table({
        "anchor": pa.array([LONG.encode()] * ROWS, type=pa.binary()), "positive": pa.array(["p"] * ROWS)})),
    "large_binary, dictionary off": lambda: _parquet(pa.table({
        "anchor": pa.array([LONG.encode()] * ROWS, type=pa.large_binary()), "positive": pa.array(["p"] * ROWS)}),
        use_dictionary=False),
    "dictionary<int64>, 1000 columns": lambda: _parquet(pa.table({
        f"c{i}": pa.array([7] * ROWS, type=pa.int64()).dictionary_encode() for i in range(1000)})),
    "csv of empty cells": lambda: ("," * 999 + "\n").join([",".join(f"c{i}" for i in range(1000)), *[""] * 9000])
    .encode(),
}
NAMES = {name: ("bomb.csv" if "csv" in name else "bomb.parquet")
         for name in BOMBS}


def _peak_rss_mb() -> float:
    return int(next(line for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmHWM:")).split()[1]) / 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: resets VmHWM to the current RSS


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_bomb_is_refused_with_its_reason_and_memory_stays_bounded(kind):
    data = BOMBS[kind]()
    assert len(data) < 20_000_000  # under the byte limit: only the decoded size can refuse it
    _reset_peak()
    before = _peak_rss_mb()
    with pytest.raises(UploadError, match="unpacks to|cells") as err:
        read_table(data, NAMES[kind])
    grew = _peak_rss_mb() - before
    assert grew < 400, f"{kind}: peak memory grew by {grew:.0f} MB while refusing it"
    assert "Upload" in str(err.value)


def test_the_same_data_within_the_limits_is_read():
    small = pd.DataFrame({"anchor": pd.Categorical(["a long question"] * 50 + ["another"] * 50),
                          "positive": ["p"] * 100})
    out = io.BytesIO()
    small.to_parquet(out)
    df = read_table(out.getvalue(), "ok.parquet")
    assert len(df) == 100 and df["anchor"].iloc[0] == "a long question"


def test_a_nested_column_is_never_decoded():
    """Lists and records are skipped unread: a nested bomb costs nothing, and the note says what was skipped."""
    data = _parquet(pa.table({"anchor": pa.array([[LONG] * 3] * ROWS), "positive": pa.array(["p"] * ROWS)}))
    _reset_peak()
    before = _peak_rss_mb()
    df = read_table(data, "nested.parquet")
    assert _peak_rss_mb() - before < 400
    assert list(df.columns) == ["positive"] and "Skipped columns with nested values" in df.attrs["upload_notes"][0]
