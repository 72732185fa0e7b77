"""lab.service (form → config, compatible losses, preview, estimate) and the UI's import rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lab import service
from lab.config import ConfigError
from lab.losses import LOSSES
from lab.models import ModelError
from lab.recipes import RECIPES

ROOT = Path(__file__).resolve().parent.parent
MINE = ("charts.py", "explore.py", "export.py", "projection.py", "service.py")
FORBIDDEN_IN_UI = {"torch", "sentence_transformers", "datasets", "transformers", "umap"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_ui_imports_gradio_and_ui_imports_no_heavy_library():
    for path in (ROOT / "lab").rglob("*.py"):
        names = _imports(path)
        if "ui" in path.relative_to(ROOT / "lab").parts:
            assert not names & FORBIDDEN_IN_UI, f"{path} imports {names & FORBIDDEN_IN_UI}"
        else:
            assert "gradio" not in names, f"{path} imports gradio"


def test_every_module_opens_with_a_docstring():
    for path in [*(ROOT / "lab" / "ui").glob("*.py"), *(ROOT / "lab" / f for f in MINE), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} has no module docstring"


def test_loss_choices_only_fit_the_recipe():
    for key, recipe in RECIPES.items():
        offered = [k for _, k in service.loss_choices(key)]
        assert offered and all(recipe.format_key in LOSSES[k].formats for k in offered)
        assert all(" — " in label for label, _ in service.loss_choices(key))  # a description each
    assert service.loss_choices("nope") == []


def test_build_config_from_form_values():
    config = service.build_config(
        {"model": "tiny-bert", "recipe": "nli-triplets", "loss": "mnrl", "max_train_samples": 64.0,
         "batch_size": 16.0, "eval_max_pairs": 0, "pooling": "model default", "matryoshka_dims": "64, 32"},
        {"scale": 25, "margin": 3},  # margin belongs to another loss: ignored
    )
    assert config.max_train_samples == 64 and config.batch_size == 16 and config.eval_max_pairs is None
    assert config.loss_params == {"scale": 25.0} and config.matryoshka_dims == (64, 32) and config.pooling is None


@pytest.mark.parametrize(
    ("form", "error", "text"),
    [
        ({"loss": "softmax"}, ConfigError, "softmax"),
        ({"batch_size": 0}, ConfigError, "batch_size"),
        ({"matryoshka_dims": "a,b"}, ConfigError, "Matryoshka"),
        ({"model": "not a model!"}, ModelError, "not a known model"),
        ({"hub_id": "someone/some-model"}, ModelError, "Hub"),
        ({"lr": 1.5e3}, ConfigError, "lr"),
    ],
)
def test_build_config_errors_are_user_facing(form, error, text, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(error, match=text):
        service.build_config(form)


def test_preview_shows_roles_and_the_rows_the_loss_gets():
    prev = service.preview("nli-triplets", seed=42, max_rows=64, data_source="offline")
    assert list(prev.rows.columns) == ["anchor", "positive", "negative"] and len(prev.rows) == 5
    assert "anchor" in prev.roles and "should be far" in prev.roles
    assert "bundled" in prev.source and prev.available_rows > 64
    from lab.recipes import prepare

    full = prepare("nli-triplets", seed=42, max_rows=64, data_source="offline")
    assert full.rows.head(5).equals(prev.rows)
    scores = service.preview("stsb-scores", seed=1, max_rows=None, data_source="offline")
    assert "score" in scores.rows.columns and "similarity score" in scores.roles


def test_estimate_counts_steps():
    config = service.build_config({"model": "tiny-bert", "max_train_samples": 100, "batch_size": 16, "epochs": 2})
    est = service.estimate(config, available_rows=50)
    assert est["rows"] == 50 and est["steps"] == 2 * 4
    assert 0 < est["first_loss_s"] < est["total_s"]


def test_presets_build_valid_configs():
    for name, preset in service.PRESETS.items():
        config = service.build_config({**service.DEFAULT_FORM, **preset})
        assert config.loss in LOSSES, name


def test_warmup_reports_state():
    w = service.Warmup()
    assert "waiting" in w.describe() and not w.all_done()
