"""lab/service/duel.py and lab/charts/duel.py: a duel's runs differ only in the loss, queue as one request, and
are read back pair by pair."""

from __future__ import annotations

import numpy as np
import pytest

from lab.charts import duel as duel_chart
from lab.config import RunConfig
from lab.errors import ConfigError, QueueFull
from lab.evaluation.sts import sts_pairs
from lab.events import Eval, Started, View
from lab.service.duel import duel_configs, duel_losses


def test_the_runs_differ_only_in_the_loss_and_the_format_it_needs():
    base = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", seed=7, max_train_samples=500,
                     batch_size=16, lr=3e-4, eval_steps=0, eval_max_pairs=200, loss_params={"scale": 30.0})
    configs = duel_configs(base, ["mnrl", "softmax", "cosine"])
    assert [(c.loss, c.recipe) for c in configs] == [("mnrl", "nli-triplets"), ("softmax", "nli-3class"),
                                                     ("cosine", "nli-scores")]
    for c in configs:
        same = {k: v for k, v in c.to_dict().items() if k not in ("loss", "recipe", "loss_params", "label")}
        assert same == {**{k: v for k, v in base.to_dict().items() if k not in ("loss", "recipe", "loss_params",
                                                                                   "label")}, "eval_steps": 10}
        assert c.label == f"duel · {c.loss}"
    assert configs[0].loss_params == {"scale": 20.0}  # each loss at its defaults: the duel is about the loss
    assert "tsdae" not in duel_losses() and {"mnrl", "softmax", "cosine", "triplet"} <= set(duel_losses())


@pytest.mark.parametrize("config, losses, message", [
    (RunConfig(recipe="nli-triplets"), ["mnrl"], "Pick 2 to 3"),
    (RunConfig(recipe="nli-triplets"), ["mnrl", "cosine", "softmax", "triplet"], "Pick 2 to 3"),
    (RunConfig(recipe="augsbert", loss="cosine"), ["cosine", "cosent"], "pipeline"),
    (RunConfig(recipe="stsb-scores", loss="cosine"), ["cosine", "mnrl"], "cannot take the data"),
    (RunConfig(recipe="nli-triplets"), ["mnrl", "nope"], "Unknown loss"),
])
def test_a_duel_that_cannot_be_run_says_why(config, losses, message):
    with pytest.raises(ConfigError, match=message):
        duel_configs(config, losses)


def _run(cos, geometry_points=((0, 0.5, 0.1, -1.0), (10, 0.6, 0.3, -2.0))):
    events = [Started(total_steps=10, train_rows=160, row_counts={}, source={}, device="cpu", versions={}, t=100.0)]
    for step, spearman, align, unif in geometry_points:
        events.append(Eval(step=step, phase="before" if step == 0 else "during", metrics={"spearman_cosine": spearman},
                           subset=True, geometry={"alignment": align, "uniformity": unif, "anisotropy": 0.1},
                           t=100.0 + step))
    events.append(View(name="pairs", step=10, data={"split": "validation", "cos": list(cos)}))
    return events


def test_pairs_one_loss_places_right_and_the_other_wrong():
    _, _, gold = sts_pairs("validation")
    gold = np.asarray(gold)
    a = gold.copy()  # A ranks every pair exactly as the humans
    b = gold.copy()
    flipped = [int(np.argmax(gold)), int(np.argmin(gold))]
    b[flipped[0]], b[flipped[1]] = gold.min() - 1, gold.max() + 1  # B puts the top pair last and the bottom first
    a_not_b, b_not_a = duel_chart.differences(_run(a), _run(b))
    assert b_not_a == []
    assert {r["sentence 1"] for r in a_not_b} == {sts_pairs("validation")[0][i] for i in flipped}
    assert duel_chart.counts(_run(a), _run(b)) == (len(gold) - 2, 2, 0)
    assert duel_chart.differences(_run(a), _run(a[:10])) == ([], [])  # different lengths: nothing to compare


def test_the_duel_curves_against_step_examples_and_seconds():
    events = _run([0.0])
    points = duel_chart.curve(events, batch_size=16)
    assert [(p["step"], p["examples"], p["seconds"]) for p in points] == [(0, 0, 0.0), (10, 160, 10.0)]
    fig = duel_chart.figure([("A", events, 16), ("B", events, 16)], x="examples")
    assert len(fig.data) == 6 and list(fig.data[0].x) == [0, 160]
    assert {t.name for t in fig.data} == {"A", "B"} and "loss" not in str(fig.layout).lower().replace("losses", "")
    assert duel_chart.figure([("A", [], 16)]) is None


@pytest.mark.slow
def test_a_duel_from_a_finished_run_trains_and_reads_back(tmp_path, monkeypatch):
    import helpers

    from lab import service

    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path))
    helpers.reset_service()
    try:
        base = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=48, batch_size=16,
                         eval_steps=1, eval_max_pairs=40, lr=1e-3, logging_steps=1)
        owner = service.new_owner()
        first = service.start(base, owner)
        assert service.manager().wait(first, 600) == "completed"
        ids = service.duel.start_duel(first, ["mnrl", "cosine"], owner)
        for run_id in ids:
            assert service.manager().wait(run_id, 600) == "completed", service.snapshot(run_id, owner).message
        snaps = [service.snapshot(r, owner) for r in ids]
        assert [s.config["loss"] for s in snaps] == ["mnrl", "cosine"]
        view = service.duel.duel_view(ids, "seconds", owner)
        assert not view.live and view.figure is not None and "placed right by both" in view.text
        assert len(view.figure.data) == 6
        with pytest.raises(ConfigError, match="Pick a run"):
            service.duel.start_duel("ab" * 12, ["mnrl", "cosine"], owner)
        with pytest.raises(QueueFull):  # one waiting request per person: a second duel waits for the first
            service.duel.start_duel(first, ["mnrl", "triplet"], owner)
            service.duel.start_duel(first, ["mnrl", "triplet"], owner)
    finally:
        helpers.reset_service()
