"""End to end through the real SentenceTransformerTrainer on tiny-bert: events, metrics, saved model, cancel."""

from __future__ import annotations

import threading

import pytest

from lab.events import Eval, Finished, Log, Started
from lab.jobs.queue import JobManager
from lab.store import RunStore

pytestmark = pytest.mark.slow


@pytest.fixture()
def manager(tmp_path):
    m = JobManager(RunStore(tmp_path / "runs"))
    yield m
    m.close()


def test_tiny_bert_trains_end_to_end_and_reloads(manager, tiny_config):
    run_id = manager.submit(tiny_config())
    assert manager.wait(run_id, 300) == "completed", manager.snapshot(run_id).message
    events = manager.snapshot(run_id).events
    started = next(e for e in events if isinstance(e, Started))
    assert started.total_steps == 3 and started.row_counts["used"] == 48
    assert started.source["origin"] == "bundled"
    logs = [e for e in events if isinstance(e, Log)]
    assert [e.step for e in logs] == [1, 2, 3] and all(e.loss > 0 for e in logs)
    phases = [e.phase for e in events if isinstance(e, Eval)]
    assert phases[0] == "before" and "during" in phases and phases[-1] == "after"
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.status == "completed"
    assert set(finished.metrics_after) >= {"spearman_cosine", "pearson_cosine", "spearman_manhattan", "pearson_dot"}
    assert finished.train_samples_per_s > 0

    from sentence_transformers import SentenceTransformer

    reloaded = SentenceTransformer(finished.model_dir)
    assert reloaded.encode(["a sentence"]).shape == (1, 128)
    assert (manager.store.model_dir(run_id) / "README.md").is_file()  # the model card


def test_the_table_scores_the_whole_split_and_the_base_score_is_cached(manager, tiny_config):
    """The curve scores the config's 40 pairs; before/after is all 1,500; a second run of the base reads the cache."""
    first = manager.submit(tiny_config())
    assert manager.wait(first, 300) == "completed", manager.snapshot(first).message
    events = manager.snapshot(first).events
    evals = [e for e in events if isinstance(e, Eval)]
    whole = [e for e in evals if not e.subset]
    assert [(e.phase, e.pairs, e.cached) for e in whole] == [("before", 1500, False), ("after", 1500, False)]
    curve = [e for e in evals if e.subset]
    assert {e.pairs for e in curve} == {40} and curve[0].phase == "before" and curve[-1].phase == "after"
    assert all(0 < e.band < 0.5 for e in curve) and whole[0].band < curve[0].band  # fewer pairs, wider band
    finished = events[-1]
    assert finished.metrics_before == whole[0].metrics and finished.metrics_after == whole[1].metrics
    assert finished.metrics_after != curve[-1].metrics

    second = manager.submit(tiny_config(lr=2e-4))  # same base model, other training
    assert manager.wait(second, 300) == "completed", manager.snapshot(second).message
    again = [e for e in manager.snapshot(second).events if isinstance(e, Eval) and e.phase == "before"]
    assert [(e.subset, e.cached) for e in again] == [(False, True), (True, True)]
    assert again[0].metrics == whole[0].metrics and again[0].elapsed_s == 0.0


@pytest.mark.parametrize(
    ("recipe", "loss"),
    [("nli-3class", "softmax"), ("nli-scores", "cosine"), ("stsb-scores", "cosent"), ("nli-triplets", "triplet")],
)
def test_other_losses_train(manager, tiny_config, recipe, loss):
    run_id = manager.submit(tiny_config(recipe=recipe, loss=loss, max_train_samples=32, eval_steps=0))
    assert manager.wait(run_id, 300) == "completed", manager.snapshot(run_id).message


def test_matryoshka_wraps_a_loss(manager, tiny_config):
    run_id = manager.submit(tiny_config(matryoshka_dims=(128, 64, 32), max_train_samples=32, eval_steps=0))
    assert manager.wait(run_id, 300) == "completed", manager.snapshot(run_id).message


def test_cancel_while_training_stops_after_the_current_step(manager, tiny_config):
    run_id = manager.submit(tiny_config(max_train_samples=2000, batch_size=8, eval_steps=0))
    seen = threading.Event()
    for _ in range(3000):
        if any(isinstance(e, Log) for e in manager.snapshot(run_id).events):
            seen.set()
            break
        manager.wait(run_id, 0.05)
    assert seen.is_set()
    manager.cancel(run_id)
    assert manager.wait(run_id, 120) == "cancelled"
    finished = manager.snapshot(run_id).events[-1]
    assert isinstance(finished, Finished) and finished.steps < 250


def test_softmax_classifier_head_is_really_trained(tiny_model):
    """sentence-transformers 3.0.1 silently left SoftmaxLoss's classifier out of the optimizer (#2872)."""
    import tempfile

    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer

    from lab.config import RunConfig
    from lab.recipes import prepare
    from lab.training.runner import build_loss, training_args

    config = RunConfig(model="tiny-bert", recipe="nli-3class", loss="softmax", batch_size=8, lr=1e-3)
    data = prepare("nli-3class", seed=0, max_rows=32, data_source="offline")
    loss = build_loss(config, tiny_model, num_labels=3)
    before = loss.classifier.weight.detach().clone()
    with tempfile.TemporaryDirectory() as out:
        trainer = SentenceTransformerTrainer(
            model=tiny_model,
            args=training_args(config, out, cuda=False),
            train_dataset=Dataset.from_pandas(data.rows),
            loss=loss,
        )
        trainer.train()
    assert not torch.equal(before, loss.classifier.weight.detach())


def test_a_nan_loss_fails_the_run_with_a_message(manager, tiny_config, monkeypatch):
    import torch

    import lab.training.runner as runner

    real_build = runner.build_loss

    class NanLoss(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args, **kwargs):
            return self.inner(*args, **kwargs) * float("nan")

    monkeypatch.setattr(runner, "build_loss", lambda *a, **k: NanLoss(real_build(*a, **k)))
    run_id = manager.submit(tiny_config(eval_steps=0))
    assert manager.wait(run_id, 300) == "failed"
    snap = manager.snapshot(run_id)
    assert "diverged" in snap.message and "step 1" in snap.message


def test_the_worker_survives_a_crashing_run(manager, tiny_config, monkeypatch):
    import lab.training.runner as runner

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")

    monkeypatch.setattr(runner, "build_loss", broken)
    bad = manager.submit(tiny_config())
    assert manager.wait(bad, 300) == "failed"
    assert "cached-mnrl" in manager.snapshot(bad).message  # the OOM hint
    monkeypatch.undo()
    good = manager.submit(tiny_config(eval_steps=0))
    assert manager.wait(good, 300) == "completed"


def test_tsdae_trains_with_a_tied_decoder_and_cls_pooling(manager, tiny_config):
    run_id = manager.submit(tiny_config(recipe="tsdae", loss="tsdae", max_train_samples=32, eval_steps=0))
    assert manager.wait(run_id, 300) == "completed", manager.snapshot(run_id).message
    import json

    pooling = json.loads((manager.store.model_dir(run_id) / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode"] == "cls"
    losses = [e.loss for e in manager.snapshot(run_id).events if isinstance(e, Log)]
    assert losses and all(v > 0 for v in losses)
