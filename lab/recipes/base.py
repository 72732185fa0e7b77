"""The recipe contract: where rows come from, a pure seeded transform, and the format it produces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from lab.formats import FORMATS, DataFormat
from lab.knobs import Knob
from lab.sources import SourceInfo


@dataclass(frozen=True)
class Recipe:
    key: str
    format_key: str
    description: str
    load_rows: Callable[[str], tuple[pd.DataFrame, SourceInfo]]  # data_source mode -> raw rows
    transform: Callable[..., pd.DataFrame]  # pure: (raw rows, seed, **knobs) -> format rows
    knobs: tuple[Knob, ...] = ()
    # A model-based step run after max_train_samples is applied (e.g. hard-negative mining), so that a
    # small run never pays for the whole corpus: (rows, seed, **knobs) -> format rows.
    enrich: Callable[..., pd.DataFrame] | None = None
    # Rows come from a checked upload (lab/upload/saved.py), named by the run's `upload_id`.
    uses_upload: bool = False
    # "Show code": the body of the generated script's `load_train_rows(args)` that builds `rows`, the format's
    # columns, from the raw data ({knob} fills in a knob value, so literal braces are doubled). The script then
    # keeps MAX_TRAIN_SAMPLES rows, unless the body calls limit_rows itself (to work after the limit, like enrich).
    script: str = ""

    @property
    def format(self) -> DataFormat:
        return FORMATS[self.format_key]


@dataclass(frozen=True)
class PreparedData:
    rows: pd.DataFrame  # exactly the columns of the recipe's format, in order
    source: SourceInfo
    raw_rows: int
    transformed_rows: int

    @property
    def used_rows(self) -> int:
        return len(self.rows)

    def counts(self) -> dict[str, int]:
        return {"raw": self.raw_rows, "transformed": self.transformed_rows, "used": self.used_rows}


def limit_rows(rows: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """A seeded random subset of at most `max_rows` rows (all of them, shuffled the same way, if fewer)."""
    n = len(rows) if max_rows is None else min(max_rows, len(rows))
    return rows.sample(n=n, random_state=seed).reset_index(drop=True)


# limit_rows in the generated script (lab/service/script.py), with its SEED.
SCRIPT_LIMIT_ROWS = '''\
def limit_rows(rows: pd.DataFrame, n: int | None) -> pd.DataFrame:
    """A seeded random subset of at most n rows (all of them, shuffled the same way, if fewer or None)."""
    n = len(rows) if n is None else min(n, len(rows))
    return rows.sample(n=n, random_state=SEED).reset_index(drop=True)'''


def script_clean(frame: str, columns: tuple[str, ...]) -> str:
    """clean_text as lines of a recipe's script template, on the script's DataFrame named `frame`."""
    names = ", ".join(f'"{c}"' for c in columns)
    return (f"    for col in [{names}]:  # drop rows whose text is missing or blank\n"
            f'        {frame} = {frame}[{frame}[col].notna() & ({frame}[col].astype(str).str.strip() != "")]')


def clean_text(rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Drop rows whose text columns are missing or blank."""
    keep = pd.Series(True, index=rows.index)
    for col in columns:
        keep &= rows[col].notna() & (rows[col].astype(str).str.strip() != "")
    return rows[keep]
