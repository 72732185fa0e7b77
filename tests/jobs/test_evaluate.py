"""Evaluation jobs go through the training queue and report a table per model × task."""

from __future__ import annotations

import pytest

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.events import Table
from lab.jobs.evaluate import EvalConfig
from lab.jobs.queue import JobManager
from lab.store import RunStore


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"models": ()}, "at least one"),
    ({"models": ("run:../../x",)}, "not a run"),
    ({"models": ("no such model!",)}, "not a known model"),
    ({"models": ("tiny-bert",), "tasks": ("squad",)}, "Tasks must be"),
    ({"models": ("tiny-bert",), "max_test": 5}, "between 77"),
    ({"models": tuple(f"m{i}" for i in range(9))}, "at most"),
])
def test_bad_evaluations_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        EvalConfig(**kwargs)


@pytest.mark.slow
def test_evaluate_a_base_model_and_a_trained_run(tmp_path):
    manager = JobManager(RunStore(tmp_path))
    try:
        run_id = manager.submit(RunConfig(model="tiny-bert", recipe="nli-scores", loss="cosine", max_train_samples=16,
                                          batch_size=8, eval_max_pairs=20))
        assert manager.wait(run_id, 300) == "completed"
        eval_id = manager.submit(EvalConfig(models=("tiny-bert", f"run:{run_id}"), tasks=("sts-test",)))
        assert manager.wait(eval_id, 300) == "completed", manager.snapshot(eval_id).message
        snap = manager.snapshot(eval_id)
        table = [e for e in snap.events if isinstance(e, Table)][-1]
        assert [r["model"] for r in table.rows] == ["tiny-bert", f"run:{run_id}"]
        assert all(-1 <= r["spearman_cosine"] <= 1 and r["seconds"] >= 0 for r in table.rows)
        assert snap.config["kind"] == "evaluation"
        assert not any(r["cached"] for r in table.rows)
        # The same weights evaluated again (by anyone): read from the cache, not computed.
        import lab.jobs.evaluate as evaluate

        def computed(*_, **__):
            raise AssertionError("evaluated again")

        real, evaluate.evaluate_sts = evaluate.evaluate_sts, computed
        try:
            again = manager.submit(EvalConfig(models=(f"run:{run_id}", "tiny-bert"), tasks=("sts-test",)))
            assert manager.wait(again, 300) == "completed", manager.snapshot(again).message
        finally:
            evaluate.evaluate_sts = real
        rows = [e for e in manager.snapshot(again).events if isinstance(e, Table)][-1].rows
        assert all(r["cached"] for r in rows)
        assert {r["model"]: r["spearman_cosine"] for r in rows} == {r["model"]: r["spearman_cosine"]
                                                                      for r in table.rows}
    finally:
        manager.close()
