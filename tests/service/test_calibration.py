"""The plan's numbers measured from this server's finished runs (lab/service/calibration.py, previews.estimate)."""

from __future__ import annotations

import helpers

from lab.config import RunConfig
from lab.events import Eval, Finished, Stage, Started


def _stored_run(store, run_id: str, config: RunConfig, *, before_s: float, start_s: float, train_s: float,
                during_s: float, after_s: float, rest_s: float, steps: int) -> None:
    """A completed run whose log says: base evaluated for `before_s`, `start_s` to its first step, `train_s` of
    training, evaluations of `during_s` each during and `after_s` after, and `rest_s` of anything else."""
    store.create(run_id, config.to_dict(), owner="a" * 32)
    t = 1000.0
    events = [Stage(name="evaluate", message="", t=t),
              Eval(step=0, phase="before", metrics={"spearman_cosine": 0.5}, elapsed_s=before_s, pairs=1500,
                   t=t + before_s)]
    t += before_s + start_s
    events.append(Started(total_steps=steps, train_rows=steps * config.batch_size, row_counts={}, source={},
                          device="cpu", versions={}, t=t))
    during = steps // config.eval_steps
    t += train_s + during * during_s + rest_s
    events += [Eval(step=steps, phase="after", metrics={"spearman_cosine": 0.6}, elapsed_s=after_s, pairs=1500,
                    t=t + after_s)]
    events += [Eval(step=(i + 1) * config.eval_steps, phase="during", metrics={"spearman_cosine": 0.6},
                    elapsed_s=during_s, pairs=100, t=t) for i in range(during)]
    t += after_s
    events.append(Finished(status="completed", metrics_before={}, metrics_after={},
                           train_samples_per_s=steps * config.batch_size / train_s, train_runtime_s=train_s,
                           steps=steps, model_dir="", t=t))
    for event in events:
        store.append_event(run_id, event)
    store.update_meta(run_id, status="completed")
    store.release(run_id)


def test_the_plan_counts_what_a_run_spends_beside_training_and_evaluation():
    """A run of 8 steps that spent 12 s neither training nor evaluating (views' snapshots, saving) at 4 points
    (start, two evaluations, end): the next plan of the same sizes says 12 s of it, and the same total."""
    from lab import service
    from lab.service.live import store

    helpers.reset_service()
    config = RunConfig(model="tiny-bert", max_train_samples=256, batch_size=32, eval_steps=4, eval_max_pairs=100)
    _stored_run(store(), "a" * 24, config, before_s=9.0, start_s=2.0, train_s=16.0, during_s=1.0, after_s=10.0,
                rest_s=12.0, steps=8)
    est = service.estimate(config, available_rows=1000)
    assert est["measured_runs"] == 1
    assert abs(est["train_s"] - 16.0) < 1e-6 and abs(est["rest_s"] - 12.0) < 1e-6
    # the trained model's whole split (1,500 pairs) and 3 curve evaluations of 100 at the run's pooled rate (3,200
    # pairs in 21 s: a median of per-evaluation rates would weigh a 100-pair one like the whole split); the base
    # model's scores are cached now
    assert abs(est["eval_s"] - 1800 / (3200 / 21.0)) < 1e-6
    assert abs(est["total_s"] - (2.0 + 16.0 + est["eval_s"] + 12.0)) < 1e-6
    # twice the evaluation points, twice the rest; views off: measured from runs with the views off when there are
    longer = RunConfig(**{**config.__dict__, "eval_steps": 2})
    assert abs(service.estimate(longer, available_rows=1000)["rest_s"] - 18.0) < 1e-6  # 6 points × 3 s
    _stored_run(store(), "b" * 24, RunConfig(**{**config.__dict__, "views": False}), before_s=9.0, start_s=2.0,
                train_s=16.0, during_s=1.0, after_s=10.0, rest_s=0.4, steps=8)
    quiet = service.estimate(RunConfig(**{**config.__dict__, "views": False}), available_rows=1000)
    assert abs(quiet["rest_s"] - 0.4) < 1e-6
    assert "views and saving ≈ 12 s" in service.plan_text(config, 1000)
    helpers.reset_service()
