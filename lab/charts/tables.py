"""Result tables: a run's Table events as frames (and the bar chart a table's own spec asks for), and evaluation
jobs' results with one row per model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from lab.events import Event, Table


def tables_of(events: Iterable[Event]) -> dict[str, Table]:
    """The latest Table event of each name, in the order the names first appeared."""
    out: dict[str, Table] = {}
    for e in events:
        if isinstance(e, Table):
            out[e.name] = e
    return out


def table_frame(table: Table | None) -> pd.DataFrame:
    """A Table event's rows as a DataFrame (floats rounded for display); empty for None."""
    if table is None or not table.rows:
        return pd.DataFrame()
    df = pd.DataFrame(table.rows)
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col]):
            df[col] = df[col].round(4)
    return df


def chart_frame(table: Table | None) -> pd.DataFrame:
    """A Table's rows as (x, y) for the bar chart its `chart` spec names; x as text (a bar per row, sorted as
    text), y as a number. Empty when there is no spec or its columns are missing."""
    chart = getattr(table, "chart", None) or {}
    df = table_frame(table)
    x, y = chart.get("x"), chart.get("y")
    if df.empty or x not in df.columns or y not in df.columns:
        return pd.DataFrame(columns=["x", "y"])
    labels = [f"{v:g}" if isinstance(v, float) else str(v) for v in df[x]]
    return pd.DataFrame({"x": labels, "y": pd.to_numeric(df[y], errors="coerce")})


def table_text(table: Table | None) -> str:
    if table is None:
        return ""
    return f"**{table.title}**" + (f"  \n{table.note}" if table.note else "")


EVAL_TASK_COLUMNS = {
    "sts-validation": (("spearman_cosine", "STS-B validation spearman"), ("alignment", "alignment ↓"),
                       ("uniformity", "uniformity ↓"), ("anisotropy", "anisotropy")),
    "sts-test": (("spearman_cosine", "STS-B test spearman"), ("alignment", "alignment (test) ↓"),
                 ("uniformity", "uniformity (test) ↓"), ("anisotropy", "anisotropy (test)")),
    "banking77": (("accuracy", "Banking77 accuracy"), ("f1", "Banking77 F1")),
}


def evaluation_frame(rows: Sequence[dict[str, Any]], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Evaluation rows (model, task, metrics, seconds) side by side: one row per model, one column per metric."""
    labels = labels or {}
    table: dict[str, dict[str, Any]] = {}
    columns: list[str] = ["model"]
    for r in rows:
        name = str(r.get("model", "?"))
        line = table.setdefault(name, {"model": labels.get(name, name)})
        task = str(r.get("task", ""))
        for key, title in EVAL_TASK_COLUMNS.get(task, ()):
            if isinstance(r.get(key), int | float):
                line[title] = round(float(r[key]), 4)
                columns += [title] if title not in columns else []
        if task == "banking77" and r.get("route"):
            line["Banking77 route"] = r["route"]
        if isinstance(r.get("seconds"), int | float):
            line["seconds"] = round(line.get("seconds", 0.0) + float(r["seconds"]), 1)
        if "cached" in r:  # read from the evaluation cache (the same weights scored before), not computed
            seen = line.get("from cache")
            now = "yes" if r["cached"] else "no"
            line["from cache"] = now if seen in (None, now) else "partly"
    columns += [c for c in ("Banking77 route", "seconds") if any(c in line for line in table.values())]
    if any(line.get("from cache") in ("yes", "partly") for line in table.values()):
        columns.append("from cache")
    return pd.DataFrame(list(table.values()), columns=columns)
