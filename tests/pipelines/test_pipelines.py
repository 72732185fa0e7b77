"""Multi-stage pipelines on tiny-bert with tiny data: every stage runs, reports, stores its output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lab.events import Eval, Finished, Log, Plan, Table
from lab.jobs.queue import JobManager
from lab.pipelines.augsbert import silver_histogram, split_gold_silver
from lab.store import RunStore


def test_gold_silver_split_and_histogram():
    rows = pd.DataFrame({"sentence1": list("abcdefghij"), "sentence2": list("klmnopqrst"), "score": [1.0, 0.0] * 5})
    gold, silver = split_gold_silver(rows, 0.2)
    assert len(gold) == 2 and len(silver) == 8 and gold["sentence1"].tolist() == ["a", "b"]
    hist = silver_histogram(np.array([0.05, 0.95, 0.97, 1.0]))
    assert sum(h["pairs"] for h in hist) == 4 and hist[-1]["pairs"] == 3


def _plan_names_what_the_run_emits(events):
    """The live charts take their categories from the Plan: it must name the loss curves and models really emitted."""
    plan = events[0]
    assert list(dict.fromkeys(e.stage for e in events if isinstance(e, Log))) == plan.curves
    evaluated = [e.model for e in events
                 if isinstance(e, Eval) and "spearman_cosine" in e.metrics and e.model != "base"]
    assert list(dict.fromkeys(evaluated)) == plan.series


@pytest.fixture()
def manager(tmp_path):
    m = JobManager(RunStore(tmp_path / "runs"))
    yield m
    m.close()


@pytest.mark.slow
def test_augsbert_pipeline(manager, tiny_config):
    run_id = manager.submit(tiny_config(recipe="augsbert", loss="cosine", max_train_samples=40, eval_steps=0,
                                        recipe_params={"gold_fraction": 0.25}))
    assert manager.wait(run_id, 600) == "completed", manager.snapshot(run_id).message
    events = manager.snapshot(run_id).events
    assert isinstance(events[0], Plan) and len(events[0].stages) == 5
    stages_with_logs = {e.stage for e in events if isinstance(e, Log)}
    assert stages_with_logs == {"cross-encoder", "gold+silver", "gold-only"}
    _plan_names_what_the_run_emits(events)
    tables = {e.name: e for e in events if isinstance(e, Table)}
    assert sum(r["pairs"] for r in tables["silver-labels"].rows) == 30
    assert [r["model"] for r in tables["comparison"].rows] == ["base", "gold only", "gold + silver"]
    assert isinstance(events[-1], Finished) and events[-1].metrics_after
    stages = manager.store.run_dir(run_id) / "stages"
    for name in ("cross-encoder", "gold-only", "silver.parquet", "gold.parquet"):
        assert (stages / name).exists(), name
    assert (manager.store.model_dir(run_id) / "modules.json").is_file()


@pytest.mark.slow
def test_augsbert_is_reproducible_whatever_ran_before(manager, tiny_config):
    """The cross-encoder's new classifier head starts from the run's seed, not from the process's random state."""
    import torch

    config = tiny_config(recipe="augsbert", loss="cosine", max_train_samples=40, eval_steps=0)
    silver = []
    for noise in (1, 1000):
        torch.rand(noise)  # whatever ran before in this process moved the global generator
        run_id = manager.submit(config)
        assert manager.wait(run_id, 600) == "completed", manager.snapshot(run_id).message
        silver.append(pd.read_parquet(manager.store.run_dir(run_id) / "stages" / "silver.parquet"))
    pd.testing.assert_frame_equal(silver[0], silver[1])


@pytest.mark.slow
def test_domain_adaptation_pipeline(manager, tiny_config):
    run_id = manager.submit(tiny_config(recipe="domain-adapt", loss="mnrl", max_train_samples=32, eval_steps=0,
                                        recipe_params={"tsdae_samples": 32, "eval_queries": 20}))
    assert manager.wait(run_id, 600) == "completed", manager.snapshot(run_id).message
    events = manager.snapshot(run_id).events
    assert {e.stage for e in events if isinstance(e, Log)} == {"tsdae", "tsdae+fine-tune", "fine-tune"}
    _plan_names_what_the_run_emits(events)
    retrieval = [e for e in events if isinstance(e, Eval) and "mrr@10" in e.metrics]
    assert [e.model for e in retrieval] == ["base", "TSDAE + fine-tune", "fine-tune only"]
    table = next(e for e in events if isinstance(e, Table) and e.name == "comparison")
    assert {"mrr@10", "ndcg@10", "recall@10", "sts_spearman_cosine"} <= set(table.rows[0])
    assert all(0.0 <= r["mrr@10"] <= 1.0 for r in table.rows)
    assert (manager.store.run_dir(run_id) / "stages" / "tsdae" / "modules.json").is_file()


@pytest.mark.slow
def test_cancel_inside_a_pipeline(manager, tiny_config):
    run_id = manager.submit(tiny_config(recipe="augsbert", loss="cosine", max_train_samples=4000, batch_size=8,
                                        eval_steps=0))
    for _ in range(2000):
        if any(isinstance(e, Log) for e in manager.snapshot(run_id).events):
            break
        manager.wait(run_id, 0.05)
    manager.cancel(run_id)
    assert manager.wait(run_id, 120) == "cancelled"
    assert (manager.store.run_dir(run_id) / "stages" / "gold.parquet").is_file()  # earlier output is kept
