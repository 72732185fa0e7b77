"""lab.export: the generated training script (every recipe × loss compiles; the tiny-bert one really trains)
and the model zip."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.losses import LOSSES
from lab.recipes import RECIPES
from lab.service.export import can_script, training_script, zip_model


def _all_configs():
    for recipe_key, recipe in RECIPES.items():
        for loss_key, spec in LOSSES.items():
            if recipe.format_key in spec.formats:
                try:
                    yield RunConfig(recipe=recipe_key, loss=loss_key)
                except ConfigError:  # e.g. upload recipes need an uploaded file first
                    continue


def test_every_recipe_and_loss_has_a_script_that_parses_or_a_clear_message():
    configs = list(_all_configs())
    scripted = [c for c in configs if can_script(c)]
    assert {c.recipe for c in scripted} >= {"nli-3class", "nli-scores", "nli-triplets", "stsb-scores"}
    for config in scripted:
        code = training_script(config, "abc")
        ast.parse(code)
        assert "# 1. Model" in code and "# 8. Evaluate after training" in code
        assert "import lab" not in code and "from lab" not in code  # plain sentence-transformers
    for config in configs:
        if not can_script(config):
            with pytest.raises(KeyError, match="does not cover"):
                training_script(config)


def test_script_reflects_the_config():
    config = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", pooling="cls", max_seq_length=64,
                       matryoshka_dims=(64, 32), loss_params={"scale": 30.0}, data_source="hub", lr=3e-4)
    code = training_script(config)
    assert "scale=30.0" in code and "MatryoshkaLoss" in code and "matryoshka_dims=[64, 32]" in code
    assert '"cls"' in code and "max_seq_length = 64" in code and "learning_rate=0.0003" in code
    assert "load_dataset(\"nyu-mll/glue\"" in code and "NO_DUPLICATES" in code
    assert "BATCH_SAMPLER" in training_script(RunConfig(recipe="nli-3class", loss="softmax"))


def test_zip_model(tmp_path: Path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "modules.json").write_text("[]")
    (model / "config.json").write_text("{}")
    archive = zip_model(model, "0123456789abcdef01234567", RunConfig(model="tiny-bert"))
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert "contrastive-lab-01234567/modules.json" in names
    assert "contrastive-lab-01234567/train_script.py" in names
    with pytest.raises(FileNotFoundError):
        zip_model(tmp_path, "x" * 24)


@pytest.mark.slow
def test_generated_tiny_bert_script_trains(tmp_path: Path):
    config = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=32, batch_size=16,
                       eval_max_pairs=20, eval_steps=1, logging_steps=1)
    script = tmp_path / "train_script.py"
    script.write_text(training_script(config, "test"), encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, str(script), str(out)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "before:" in proc.stdout and "after:" in proc.stdout
    assert (out / "final" / "modules.json").is_file()
