"""requirements.txt (for Spaces) and pyproject.toml declare the same runtime dependencies."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _normalise(lines):
    reqs = [Requirement(line) for line in lines]
    return {(r.name.lower().replace("_", "-"), str(r.specifier), tuple(sorted(r.extras))) for r in reqs}


def test_requirements_txt_matches_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [ln for ln in lines if ln and not ln.startswith("#")]
    assert _normalise(requirements) == _normalise(pyproject)


def test_torch_range_admits_the_local_cpu_build():
    torch = next(
        Requirement(d)
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if d.startswith("torch")
    )
    assert torch.specifier.contains("2.13.0")
