"""What the benchmarks share: where results go, and how one is saved (a JSON file with everything measured, a
Markdown summary beside it, the summary printed)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def save(name: str, data, lines: list[str]) -> None:
    """bench/results/<name>.json (`data`) and <name>.md (`lines`), then the summary on stdout."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
