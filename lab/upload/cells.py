"""One chosen column's cells, checked: blanks, text, similarity scores (0–1, or a 0–5 scale rescaled) and
class labels (whole ids, or names given ids).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from lab.errors import UploadError
from lab.upload.limits import MAX_CLASSES, NLI_LABELS, RESCALE_MIN_SHARE
from lab.upload.messages import _q


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
    merged_note = None
    if names:
        # "yes" and "YES" (or "Yes " after trimming) are one class, not two: merge names that differ only in case,
        # under their first spelling in the file, and say so.
        first_spelling: dict[str, str] = {}
        for k in sorted(names, key=lambda k: row_of[k]):
            first_spelling.setdefault(names[k].casefold(), names[k])
        variants: dict[str, set[str]] = {}
        for k, name in names.items():
            variants.setdefault(first_spelling[name.casefold()], set()).add(name)
            names[k] = first_spelling[name.casefold()]
        merged = {canon: sorted(spellings) for canon, spellings in variants.items() if len(spellings) > 1}
        if merged:
            merged_note = "Class names that differ only in upper/lower case were merged: " + "; ".join(
                f"{', '.join(_q(v) for v in spellings)} → {_q(canon)}" for canon, spellings in list(merged.items())[:5]
            ) + "."
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
        return per_value[codes], label_map, " ".join(filter(None, (merged_note, f"{how}: {shown}{more}.")))
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
