"""Shared test set-up: offline, isolated run store, and one session-scoped tiny model."""

from __future__ import annotations

import os

import helpers

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture(scope="session")
def tiny_model():
    from lab.models import load_model

    return load_model("tiny-bert", seed=0)


@pytest.fixture()
def tiny_config():
    """A run that trains tiny-bert through the real trainer in a few seconds."""
    from lab.config import RunConfig

    def make(**changes):
        base = dict(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=48, batch_size=16,
                    eval_steps=2, logging_steps=1, eval_max_pairs=40, lr=1e-4)
        return RunConfig(**{**base, **changes})

    return make


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """The app, launched in-process on a free port with its own run store and gradio cache (one per test module)."""
    os.environ.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                      LAB_RUNS_DIR=str(tmp_path_factory.mktemp("runs")),
                      GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp("gradio")))
    from lab.ui.app import build_app, launch

    helpers.reset_service()
    demo = build_app()
    local_url = launch(demo, quiet=True, server_port=None)
    yield local_url
    demo.close()
    helpers.reset_service()
