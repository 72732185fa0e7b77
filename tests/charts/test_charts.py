"""lab.charts on hand-written events: frames, tables, status text, diffs, the scatter figure."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from lab import charts
from lab.events import Eval, Failed, Finished, Log, Stage, Started

M = {"spearman_cosine": 0.5, "pearson_cosine": 0.4}


def _events():
    return [
        Stage(name="data", message="Preparing data", t=100.0),
        Eval(step=0, phase="before", metrics=M, elapsed_s=2.0, t=101.0),
        Started(total_steps=10, train_rows=160, row_counts={"used": 160, "transformed": 999},
                source={"name": "NLI", "origin": "bundled", "detail": "x.parquet", "note": ""}, device="cpu",
                versions={}, t=102.0),
        Stage(name="train", message="Training", t=102.0),
        Log(step=2, total_steps=10, loss=3.0, lr=1e-5, epoch=0.2, samples_per_s=50.0, t=104.0),
        Log(step=4, total_steps=10, loss=float("nan"), lr=1e-5, epoch=0.4, samples_per_s=50.0, t=106.0),
        Eval(step=4, phase="during", metrics={"spearman_cosine": 0.6}, t=107.0),
    ]


def test_loss_and_eval_frames():
    ev = _events()
    loss = charts.staged_loss_frame(ev)
    assert list(loss.columns) == ["step", "loss", "stage"] and loss["step"].tolist() == [2]  # NaN dropped
    evals = charts.eval_frame(ev)
    assert evals["phase"].tolist() == ["before", "during"]
    assert charts.staged_loss_frame([]).empty and charts.eval_frame([]).empty


def test_loss_frame_is_strided():
    ev = [Log(step=i, total_steps=5000, loss=1.0, lr=0, epoch=0, samples_per_s=1) for i in range(5000)]
    df = charts.staged_loss_frame(ev)
    assert len(df) <= charts.MAX_POINTS + 1 and df["step"].iloc[-1] == 4999


def test_status_text_states():
    ev = _events()
    assert "position 2 of 3" in charts.status_text("queued", [], position=2, queue_length=3)
    running = charts.status_text("running", ev, now=108.0)
    assert "step 4/10" in running and "ETA" in running
    assert "Preparing data" in charts.status_text("running", ev[:1], now=100.5)
    done = ev + [Finished(status="completed", metrics_before=M, metrics_after=M, train_samples_per_s=1,
                          train_runtime_s=1, steps=10, model_dir="m", t=130.0)]
    assert "Done" in charts.status_text("completed", done) and "30 s" in charts.status_text("completed", done)
    assert "boom" in charts.status_text("failed", [Failed(message="boom")])
    assert "Start" in charts.status_text("", [])


def test_progress_eta_counts_remaining_steps():
    p = charts.progress(_events(), now=106.0)
    assert p["step"] == 4 and p["total"] == 10
    assert math.isclose(p["eta_s"], 6 * 1.0 + 2.0)  # 1 s/step for 6 steps + the final eval (as long as 'before')


def test_sts_table_and_metrics():
    ev = _events() + [Eval(step=10, phase="after", metrics={"spearman_cosine": 0.7}, t=120.0)]
    before, after = charts.metrics_of(ev)
    table = charts.sts_table(before, after)
    assert table.loc[0, "similarity"] == "cosine" and math.isclose(table.loc[0, "Δ spearman"], 0.2)
    assert len(table) == 4


def test_source_text():
    assert "bundled offline copy" in charts.source_text(_events())
    assert charts.source_text([]) == ""


def test_runs_frame_and_diff():
    rec = SimpleNamespace(run_id="a" * 24, config={"model": "tiny-bert", "loss": "mnrl", "lr": 1e-4},
                          meta={"status": "completed", "created": 0,
                                "metrics": {"metrics_before": M, "metrics_after": {"spearman_cosine": 0.55}}})
    df = charts.runs_frame([rec])
    assert df.loc[0, "Δ"] == 0.05 and "STS after" in df.columns and df.loc[0, "model"] == "tiny-bert"
    assert charts.runs_frame([]).empty
    diff = charts.config_diff({"lr": 1e-4, "loss_params": {"scale": 20.0}, "model": "x"},
                              {"lr": 2e-5, "loss_params": {"scale": 20.0}, "model": "x"})
    assert diff["setting"].tolist() == ["lr"]
    assert len(charts.config_diff({"a": 1}, {"a": 1}, only_changed=False)) == 1


def test_overlays_have_run_column():
    df = charts.overlay_loss({"r1": _events(), "r2": []})
    assert set(df["run"]) == {"r1"}
    assert list(charts.overlay_eval({}).columns) == ["step", "spearman", "phase", "run"]


def test_scatter_figure_both_kinds():
    fig = charts.scatter_figure([[0, 0], [1, 1], [2, 0]], ["a", "b", "a"], ["x", "y", "z"], "t")
    assert len(fig.data) == 2 and fig.layout.height
    fig = charts.scatter_figure([[0, 0], [1, 1]], [0.1, 0.9], ["x", "y"], "t", "score", continuous=True)
    assert len(fig.data) == 1
    assert charts.scatter_figure([], [], [], "empty") is not None


def test_the_compare_loss_chart_puts_losses_on_one_scale_and_names_the_loss_first():
    """A triplet loss near 5 and a cosine MSE near 0.2 are drawn each relative to its first value, and a legend
    label starts with the loss (legends cut long labels at the end)."""
    def curve(values):
        return [Log(step=i + 1, total_steps=3, loss=v, lr=0, epoch=0, samples_per_s=1) for i, v in enumerate(values)]

    df = charts.overlay_loss({"triplet": curve([5.0, 4.5, 4.0]), "cosine": curve([0.2, 0.15, 0.1])})
    by_run = df.groupby("run")[charts.RELATIVE_LOSS].apply(list).to_dict()
    assert by_run == {"triplet": [1.0, 0.9, 0.8], "cosine": [1.0, 0.75, 0.5]}
    label = charts.legend_label("abcdef123456", {"loss": "cosent", "model": "tiny-bert", "recipe": "stsb-scores"})
    assert label.startswith("cosent · tiny-bert")


def _plain_run(subset: bool, logs: int):
    whole = dict.fromkeys(["spearman_cosine"], 0.60)
    events = [Eval(step=0, phase="before", metrics=whole, pairs=1500, band=0.01),
              *([Eval(step=0, phase="before", metrics={"spearman_cosine": 0.70}, pairs=200, subset=True, band=0.04)]
                if subset else []),
              Started(total_steps=100, train_rows=10, row_counts={}, source={}, device="cpu", versions={}),
              *[Log(step=s, total_steps=100, loss=1.0 / s, lr=0, epoch=0, samples_per_s=1) for s in range(1, logs + 1)]]
    return events


def test_the_live_curve_draws_its_subset_with_a_noise_band_and_the_table_keeps_the_whole_split():
    events = _plain_run(subset=True, logs=2)
    after_subset = Eval(step=100, phase="after", metrics={"spearman_cosine": 0.72}, pairs=200, subset=True, band=0.04)
    after_whole = Eval(step=100, phase="after", metrics={"spearman_cosine": 0.61}, pairs=1500, band=0.01)
    events += [after_subset, after_whole]
    frame = charts.live_eval_frame(events)
    lines = {name: sorted(set(part["spearman"])) for name, part in frame.groupby("series")}
    assert lines["STS-B"] == [0.70, 0.72]  # the subset's points only
    assert lines["base model"] == [0.70]
    assert lines["base + noise"] == pytest.approx([0.74]) and lines["base − noise"] == pytest.approx([0.66])
    assert charts.eval_axis(events) == [0.35, 1.0]
    before, after = charts.metrics_of(events)  # no Finished yet: the whole split's evaluations
    assert before["spearman_cosine"] == 0.60 and after["spearman_cosine"] == 0.61
    text = charts.source_text(events)
    assert "random 200 of the 1,500 pairs" in text and "±0.040" in text
    colors = charts.eval_color_map(frame["series"])
    assert colors["base + noise"] == colors["base − noise"] != colors["STS-B"]


def test_a_run_without_a_subset_draws_every_evaluation_and_an_older_run_no_band():
    events = _plain_run(subset=False, logs=2)
    frame = charts.live_eval_frame(events)
    assert sorted(set(frame[frame["series"] == "base + noise"]["spearman"])) == [0.61]
    old = [Eval(step=0, phase="before", metrics={"spearman_cosine": 0.5}), *events[1:]]  # no pairs, no band
    frame = charts.live_eval_frame(old)
    assert frame[frame["series"] == "base + noise"]["spearman"].isna().all()  # a category, nothing drawn
    assert "STS-B" not in charts.source_text(old)  # nothing to say about pairs an older run did not record


def test_a_lone_loss_point_is_drawn_as_a_short_dash():
    one = charts.live_loss_frame(_plain_run(subset=False, logs=1))
    assert one["step"].tolist() == [0.0, 2.0] and one["loss"].tolist() == [1.0, 1.0]  # ±1 % of 100 steps
    two = charts.live_loss_frame(_plain_run(subset=False, logs=2))
    assert two["step"].tolist() == [1, 2]
