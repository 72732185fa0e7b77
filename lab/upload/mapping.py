"""A table's columns → a format's roles: suggest_mapping (a guess for the preview), parse_mapping (from text),
apply_mapping (pick, rename and check into UploadResult) and preview (a half-made mapping's first rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lab.errors import UploadError
from lab.formats import DataFormat
from lab.upload.cells import _as_float, _blank_mask, _class_labels, _missing, _scores, _text_cells
from lab.upload.limits import MIN_ROWS, _format
from lab.upload.messages import _q, _rows_list

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


@dataclass(frozen=True)
class UploadResult:
    rows: pd.DataFrame  # exactly FORMATS[format_key].columns, in order; index 0..n-1
    notes: tuple[str, ...] = ()  # what was done to the data, for the UI to show
    dropped: int = 0  # rows dropped for an empty cell in a chosen column
    label_map: dict[str, int] | None = None  # class name -> id, when class labels were names
    distinct_rows: int = 0  # rows left once exact repeats are counted once


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
    distinct = distinct_rows(rows)
    if distinct == 1:
        notes.append(f"All {len(rows):,} rows are identical: training would learn from one example, and a loss "
                     "that uses the other rows of a batch as negatives cannot train on it at all.")
    elif distinct < len(rows):
        notes.append(f"{len(rows) - distinct:,} of {len(rows):,} rows repeat an earlier row ({distinct:,} distinct).")
    return UploadResult(rows, tuple(notes), dropped, label_map, distinct)


def distinct_rows(rows: pd.DataFrame) -> int:
    return int(len(rows.drop_duplicates()))


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
