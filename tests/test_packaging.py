"""requirements.txt (for Spaces) and pyproject.toml declare the same runtime dependencies (torch pinned to what
ZeroGPU runs in requirements.txt), and the README's front matter is a Space card the Hub accepts."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _normalise(lines):
    reqs = [Requirement(line) for line in lines]
    return {(r.name.lower().replace("_", "-"), str(r.specifier), tuple(sorted(r.extras))) for r in reqs}


def _requirements() -> list[str]:
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def test_requirements_txt_matches_pyproject_but_for_torch():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    others = {r for r in _normalise(_requirements()) if r[0] != "torch"}
    assert others == {r for r in _normalise(pyproject) if r[0] != "torch"}
    assert others and len(others) == len(_requirements()) - 1


def test_a_space_gets_a_torch_that_zerogpu_runs():
    from lab.host.zerogpu import SUPPORTED_TORCH

    torch = next(Requirement(r) for r in _requirements() if r.startswith("torch"))
    low, high = SUPPORTED_TORCH
    assert torch.specifier.contains(low) and torch.specifier.contains(high)
    assert not torch.specifier.contains("2.12.0") and not torch.specifier.contains("2.7.1")
    pyproject = next(Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"] if d.startswith("torch"))
    assert pyproject.specifier.contains(low) and pyproject.specifier.contains(high)  # the Space's range is inside


def test_torch_range_admits_the_local_cpu_build():
    torch = next(
        Requirement(d)
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if d.startswith("torch")
    )
    assert torch.specifier.contains("2.13.0")


# The Hub refuses a push whose card breaks these (hub-docs spaces-config-reference.md; the Hub's validator:
# "short_description" length must be less than or equal to 60 characters long).
COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


def test_the_readme_is_a_space_card_the_hub_accepts():
    import gradio
    from huggingface_hub import SpaceCard

    from lab.host.zerogpu import SUPPORTED_PYTHON

    card = SpaceCard.load(ROOT / "README.md")
    data = card.data.to_dict()
    assert data["sdk"] == "gradio" and data["sdk_version"] == gradio.__version__  # what Spaces installs
    assert isinstance(data["python_version"], str) and data["python_version"] in SUPPORTED_PYTHON
    assert (ROOT / data["app_file"]).is_file()
    assert 0 < len(data["title"]) <= 30 and 0 < len(data["short_description"]) <= 60
    assert data["colorFrom"] in COLORS and data["colorTo"] in COLORS
    assert len(data["emoji"]) == 1 and not data["emoji"].isascii()
    assert isinstance(data["pinned"], bool)
    assert "## Deploy to Hugging Face Spaces" in card.text and "ZeroGPU" in card.text
