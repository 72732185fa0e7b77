"""lab/views/: the teaching views computed in a real tiny-bert run: what they store is what they claim (the matrix's
diagonal is scale × the positives' cosines under the trained model, the probe cosines are the model's, geometry is
measured on the evaluator's pairs), they replay from the store, and they do not change what the run trains."""

from __future__ import annotations

import numpy as np
import pytest

from lab import views
from lab.events import Eval, View
from lab.jobs.queue import JobManager
from lab.store import RunStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One MNRL run with every view on (and one user pair), its twin with views off, and a softmax run."""
    from lab.config import RunConfig

    base = dict(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=160, batch_size=16,
                eval_steps=4, logging_steps=1, eval_max_pairs=40, lr=1e-3)
    store = RunStore(tmp_path_factory.mktemp("runs"))
    manager = JobManager(store)
    out = {}
    try:
        for name, config in {
            "on": RunConfig(**base, probe_pairs=(("A cat sits on the mat.", "A kitten rests on a rug."),)),
            "off": RunConfig(**base, views=False),
            "softmax": RunConfig(**{**base, "recipe": "nli-3class", "loss": "softmax"}),
        }.items():
            run_id = manager.submit(config)
            assert manager.wait(run_id, 600) == "completed", manager.snapshot(run_id).message
            out[name] = (run_id, config, list(manager.snapshot(run_id).events))
    finally:
        manager.close()
    out["store"] = store
    return out


def _model(store, run_id):
    from lab.models import load_model

    return load_model(str(store.model_dir(run_id)), allow_local=True)


def test_the_matrix_diagonal_is_the_positives_similarity_under_the_trained_model(runs):
    run_id, config, events = runs["on"]
    head, shots = views.batch.snapshots(events)
    steps = [s for s, _ in shots]
    assert steps[0] == 0 and steps == sorted(set(steps)) and len(steps) >= 3
    final = events[-1].steps
    assert steps[-1] == final
    rows = views.batch.watch_rows(__import__("lab.recipes", fromlist=["prepare"]).prepare(
        config.recipe, seed=config.seed, max_rows=config.max_train_samples, data_source="offline").rows,
        config.batch_size, config.seed)
    assert [views.batch._short(r[0]) for r in rows] == head["anchors"]
    model = _model(runs["store"], run_id)
    emb = np.asarray(model.encode([r[0] for r in rows] + [r[1] for r in rows] + [r[2] for r in rows]))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    n = len(rows)
    sim = np.asarray(shots[-1][1]["matrix"])
    assert sim.shape == (n, 2 * n) and head["positives"] == n and head["scale"] == 20.0
    np.testing.assert_allclose(np.diag(sim[:, :n]), 20.0 * (emb[:n] * emb[n:2 * n]).sum(axis=1), atol=2e-3)
    np.testing.assert_allclose(sim[:, n:], 20.0 * emb[:n] @ emb[2 * n:].T, atol=2e-3)
    assert shots[-1][1]["top1"] == views.batch.top1_share(sim)
    assert shots[-1][1]["top1"] > shots[0][1]["top1"]  # lr 1e-3: the diagonal lights up within a few steps


def test_probe_cosines_follow_the_model_from_base_to_final(runs):
    run_id, _, events = runs["on"]
    pairs, steps, cos = views.probes.series(events)
    assert pairs[-1] == {"a": "A cat sits on the mat.", "b": "A kitten rests on a rug.", "gold": None}
    golds = [p["gold"] for p in pairs[:-1]]
    assert len(golds) == 10 and [min(int(g), 4) for g in golds] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # two per band
    evals = sorted({e.step for e in events if isinstance(e, Eval) and e.phase == "during"})
    assert steps == [0, *evals, events[-1].steps] or steps == [0, *evals]  # base, each evaluation, the final model
    model = _model(runs["store"], run_id)
    a = np.asarray(model.encode([p["a"] for p in pairs]))
    b = np.asarray(model.encode([p["b"] for p in pairs]))
    direct = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos[-1], direct, atol=1e-3)
    for row in views.probes.wrong_way(events):
        assert (row["gold"] >= views.probes.HIGH or row["gold"] <= views.probes.LOW) and row["against the drift"] > 0


def test_geometry_is_measured_at_every_evaluation_on_the_evaluators_pairs(runs):
    _, _, events = runs["on"]
    evals = [e for e in events if isinstance(e, Eval)]
    assert evals and all(set(e.geometry) == {"alignment", "uniformity", "anisotropy"} for e in evals)
    whole = [e for e in evals if not e.subset]
    assert [e.phase for e in whole] == ["before", "after"]
    curve, marks = views.geometry.points(events)
    assert [p["step"] for p in marks] == [0, events[-1].steps] and all(p["pairs"] == 40 for p in curve)
    assert "whole split" in views.geometry.summary(events)


def test_views_change_nothing_the_run_trains_and_off_means_none(runs):
    on, off = runs["on"][2], runs["off"][2]
    assert not [e for e in off if isinstance(e, View)]
    assert on[-1].metrics_after == off[-1].metrics_after  # encoding in eval mode draws no random numbers
    assert [e.loss for e in on if e.kind == "log"] == [e.loss for e in off if e.kind == "log"]


def test_a_loss_without_in_batch_negatives_has_no_matrix(runs):
    events = runs["softmax"][2]
    assert views.batch.figure(events) is None
    assert views.probes.figure(events) is not None and views.geometry.figure(events) is not None


def test_the_views_replay_from_the_store(runs):
    run_id, _, events = runs["on"]
    stored = runs["store"].load(run_id).events
    assert [e.to_dict() for e in stored if isinstance(e, View)] == [e.to_dict() for e in events if isinstance(e, View)]
    figures = views.figures(list(stored), runs["store"].run_dir(run_id) / "views")
    assert all(f is not None for f in figures.values())
    slider = figures["batch"].layout.sliders[0]
    assert [s.label for s in slider.steps] == [str(s) for s, _ in views.batch.snapshots(events)[1]]


def test_the_map_keeps_each_snapshot_beside_the_run_and_draws_one_projection(runs):
    run_id, _, events = runs["on"]
    folder = runs["store"].run_dir(run_id) / "views"
    sample, steps, stack = views.embedding_map.snapshots(events, folder)
    evals = sorted({e.step for e in events if isinstance(e, Eval) and e.phase == "during"})
    assert steps[0] == 0 and set(evals) <= set(steps) and steps[-1] == events[-1].steps
    n = len(views.embedding_map.texts(sample))
    assert stack.shape[:2] == (len(steps), n) and len(sample["pairs"]) == 15 and len(sample["banking"]) == 20
    # the final snapshot is the saved model's embedding of the sample (float16 on disk)
    model = _model(runs["store"], run_id)
    emb = np.asarray(model.encode(views.embedding_map.texts(sample)))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.testing.assert_allclose(stack[-1], emb, atol=2e-3)
    fig = views.embedding_map.figure(events, folder)
    assert [s.label for s in fig.layout.sliders[0].steps] == [str(s) for s in steps]
    # one projection for all snapshots: the slider's coordinates are the joint PCA's, snapshot by snapshot
    xy = views.embedding_map.joint_projection(stack)
    first_intent = fig.data[len(views.embedding_map.BANDS)]
    intent = sorted({b["intent"] for b in sample["banking"]})[0]
    rows = [2 * 15 + j for j, b in enumerate(sample["banking"]) if b["intent"] == intent]
    np.testing.assert_allclose(first_intent.x, xy[-1, rows, 0], atol=1e-9)
    # a jump to a step shows the nearest snapshot
    jumped = views.embedding_map.figure(events, folder, active=steps[1] + 0.4)
    assert jumped.layout.sliders[0].active == 1


def test_the_map_reads_only_its_own_well_formed_files(runs, tmp_path):
    from dataclasses import replace

    run_id, _, events = runs["on"]
    folder = runs["store"].run_dir(run_id) / "views"
    maps = [e for e in events if isinstance(e, View) and e.name == "map"]
    evil = [replace(maps[0])] + [replace(e, data={**e.data, "file": "../../config.json"}) for e in maps[1:2]]
    (tmp_path / "map-000001.npy").write_bytes(b"\x93NUMPY not really")
    broken = [replace(e, data={**e.data, "file": "map-000001.npy"}) for e in maps[2:3]]
    _, steps, _ = views.embedding_map.snapshots(evil + broken, folder)
    assert steps == [0]  # the path outside views/ is refused by name; the broken file is elsewhere, so missing
    _, steps, _ = views.embedding_map.snapshots(maps[:1] + broken, tmp_path)
    assert steps == []  # the base file is not in tmp_path, the broken one does not parse
