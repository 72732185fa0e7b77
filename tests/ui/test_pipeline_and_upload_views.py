"""The UI side of the chapter's other methods: pipeline views (stages, staged loss, tables), your own data (upload →
mapping → preview → use → train config), the negative explorer's data, and evaluation jobs over HTTP."""

from __future__ import annotations

import os
import threading
import time

import gradio as gr
import pytest
from helpers import named_view, serve_fake_runs, train_form_values

from lab import charts, service
from lab.errors import ConfigError
from lab.events import Eval, Finished, Log, Plan, Stage, Started, Table
from lab.service import uploads
from lab.ui import run_view, train_form, train_tab, upload_section

OWNER, OTHER = "a" * 32, "b" * 32
M = {"spearman_cosine": 0.5, "pearson_cosine": 0.5}
STAGES = [{"name": "cross-encoder", "title": "1. Cross-encoder"}, {"name": "label-silver", "title": "2. Label"},
          {"name": "gold+silver", "title": "3. Gold + silver"}, {"name": "gold-only", "title": "4. Gold only"}]


def _pipeline_events(upto: int = 4):
    ev = [Plan(stages=STAGES, t=1.0), Stage(name="cross-encoder", message="1/4 Cross", t=2.0),
          Started(total_steps=4, train_rows=8, row_counts={}, source={}, device="cpu", versions={},
                  stage="cross-encoder", t=2.0)]
    ev += [Log(step=s, total_steps=4, loss=1.0 / s, lr=0, epoch=0, samples_per_s=1, stage="cross-encoder", t=3.0)
           for s in (1, 2)]
    if upto >= 2:
        ev += [Stage(name="label-silver", message="2/4 Label", t=4.0),
               Table(name="silver-labels", title="Silver", rows=[{"from": 0.0, "to": 0.5, "pairs": 3},
                                                                 {"from": 0.5, "to": 1.0, "pairs": 5}], note="n",
                     chart={"x": "from", "y": "pairs"})]
    if upto >= 3:
        ev += [Stage(name="gold+silver", message="3/4 Gold+silver", t=5.0),
               Eval(step=0, phase="before", metrics=M, model="base", t=5.0),
               Started(total_steps=3, train_rows=8, row_counts={}, source={}, device="cpu", versions={},
                       stage="gold+silver", t=5.0)]
        ev += [Log(step=s, total_steps=3, loss=2.0 / s, lr=0, epoch=0, samples_per_s=1, stage="gold+silver", t=6.0)
               for s in (1, 2, 3)]
        ev += [Eval(step=3, phase="after", metrics={**M, "spearman_cosine": 0.7}, model="gold+silver", t=7.0)]
    if upto >= 4:
        ev += [Stage(name="gold-only", message="4/4 Gold only", t=8.0),
               Eval(step=1, phase="after", metrics={**M, "spearman_cosine": 0.6}, model="gold-only", t=9.0),
               Table(name="comparison", title="Compare", rows=[{"model": "gold only", "spearman_cosine": 0.6}])]
    return ev


# --- pure views of a pipeline -------------------------------------------------------------------------
def test_staged_loss_and_eval_series():
    ev = _pipeline_events()
    loss = charts.staged_loss_frame(ev)
    assert set(loss["stage"]) == {"cross-encoder", "gold+silver"}
    assert loss[loss["stage"] == "gold+silver"]["step"].tolist() == [1, 2, 3]  # its own steps, its own line
    evals = charts.eval_frame(ev)
    # base → each trained model: every series starts at the base model's score
    assert sorted(set(evals["series"])) == ["gold+silver", "gold-only"]
    assert evals[evals["series"] == "gold-only"]["spearman"].tolist() == [0.5, 0.6]
    plain = [Log(step=1, total_steps=2, loss=1.0, lr=0, epoch=0, samples_per_s=1)]
    assert charts.staged_loss_frame(plain)["stage"].tolist() == [charts.PLAIN_STAGE]


def test_live_charts_keep_their_categories_and_colours_from_the_first_frame():
    """The browser embeds a chart once; a pipeline's later stages must already be categories then."""
    curves, series = ["cross-encoder", "gold+silver", "gold-only"], ["gold+silver", "gold-only"]
    planned = Plan(stages=STAGES, curves=curves, series=series, t=1.0)
    seen_loss, seen_eval = set(), set()
    for upto in (1, 2, 3, 4):
        ev = [planned, *_pipeline_events(upto)[1:]]
        loss, evals = charts.live_loss_frame(ev), charts.live_eval_frame(ev)
        assert list(dict.fromkeys(loss["stage"])) == curves  # planned order, whatever has run
        seen_loss.add(tuple(charts.color_map(loss["stage"]).items()))
        real = loss.dropna()
        assert real.reset_index(drop=True).equals(charts.staged_loss_frame(ev).astype(real.dtypes))
        assert loss[loss["loss"].isna()]["stage"].tolist() == [c for c in curves if c not in set(real["stage"])]
        if upto >= 3:  # from the base score on, every planned model is a series starting at it
            assert list(dict.fromkeys(evals["series"])) == series
            assert evals[evals["step"] == 0]["spearman"].tolist() == [0.5, 0.5]
            seen_eval.add(tuple(charts.color_map(evals["series"]).items()))
        else:
            assert evals.empty
    assert len(seen_loss) == 1 and len(seen_eval) == 1  # one colour map all run long: the chart never re-embeds
    # The placeholder rows reach the browser as nulls (valid JSON), which the chart skips.
    plot = gr.LinePlot(x="step", y="loss", color="stage").postprocess(charts.live_loss_frame([planned]))
    assert plot.data == [[None, None, c] for c in curves]
    # a plain run and the compare overlays are unchanged
    plain = [Log(step=1, total_steps=2, loss=1.0, lr=0, epoch=0, samples_per_s=1),
             Log(step=2, total_steps=2, loss=0.5, lr=0, epoch=0, samples_per_s=1)]
    assert charts.live_loss_frame(plain).equals(charts.staged_loss_frame(plain))


def test_stage_list_and_status_follow_the_current_stage():
    running = charts.stage_list(_pipeline_events(1), "running")
    assert "▶ **1. Cross-encoder — step 2/4 (50%)**" in running and "○" in running
    assert "Stage 1/4" in charts.status_text("running", _pipeline_events(1), now=4.0)
    third = charts.stage_list(_pipeline_events(3), "running")
    assert third.count("✓") == 2 and "3. Gold + silver — step 3/3" in third
    assert charts.stage_list(_pipeline_events(), "completed").count("✓") == 4
    assert "cancelled" in charts.stage_list(_pipeline_events(2), "cancelled")
    assert charts.stage_list([Stage(name="train")], "running") == ""  # a plain run has no stage list


def test_tables_their_charts_and_metrics_of_a_pipeline():
    ev = _pipeline_events() + [Finished(status="completed", metrics_before=M, metrics_after={"spearman_cosine": 0.7},
                                        train_samples_per_s=1, train_runtime_s=1, steps=3, model_dir="")]
    tables = charts.tables_of(ev)
    assert list(tables) == ["silver-labels", "comparison"]
    hist = charts.chart_frame(tables["silver-labels"])
    assert hist["x"].tolist() == ["0", "0.5"] and hist["y"].tolist() == [3, 5]
    assert charts.chart_frame(tables["comparison"]).empty  # a table without a chart spec draws no chart
    assert charts.table_frame(tables["comparison"]).loc[0, "model"] == "gold only"
    # the run's result is the main model (gold+silver), not the last evaluated one
    assert charts.metrics_of(ev)[1]["spearman_cosine"] == 0.7


def test_evaluation_frame_is_side_by_side():
    rows = [{"model": "tiny-bert", "task": "sts-test", "spearman_cosine": 0.1, "pearson_cosine": 0.1, "seconds": 1},
            {"model": "run:x", "task": "sts-test", "spearman_cosine": 0.3, "pearson_cosine": 0.1, "seconds": 2},
            {"model": "run:x", "task": "banking77", "accuracy": 0.5, "f1": 0.4, "route": "offline", "seconds": 3}]
    df = charts.evaluation_frame(rows, {"run:x": "trained"})
    assert df["model"].tolist() == ["tiny-bert", "trained"]
    assert df.loc[1, "Banking77 accuracy"] == 0.5 and df.loc[1, "seconds"] == 5.0
    assert list(df.columns[:2]) == ["model", "STS-B test spearman"]
    # the space's geometry beside STS-B, as the evaluation job reports it
    geo = [{"model": "m", "task": "sts-validation", "spearman_cosine": 0.8, "alignment": 0.27, "uniformity": -3.85,
            "anisotropy": 0.02, "seconds": 1}]
    df = charts.evaluation_frame(geo)
    assert df.loc[0, "alignment ↓"] == 0.27 and df.loc[0, "uniformity ↓"] == -3.85 and df.loc[0, "anisotropy"] == 0.02
    assert "from cache" not in df.columns  # nothing cached: no column
    # scores read from the evaluation cache say so, per model
    cached = [{**r, "cached": i != 2} for i, r in enumerate(rows)]
    df = charts.evaluation_frame(cached, {"run:x": "trained"})
    assert df["from cache"].tolist() == ["yes", "partly"]


# --- the Train tab on a fake pipeline ---------------------------------------------------------------
gate = threading.Event()


def fake_pipeline(config, ctx):
    for e in _pipeline_events(3):
        ctx.emit(e)
    gate.wait(10)
    for e in _pipeline_events()[len(_pipeline_events(3)):]:
        ctx.emit(e)
    return Finished(status="completed", metrics_before=M, metrics_after={**M, "spearman_cosine": 0.7},
                    train_samples_per_s=1, train_runtime_s=1, steps=3, model_dir="")


@pytest.fixture()
def fake_manager(tmp_path, monkeypatch):
    yield from serve_fake_runs(tmp_path / "runs", fake_pipeline, gate, monkeypatch)


def test_train_tab_shows_stages_tables_and_staged_curves(fake_manager):
    run_id = train_tab.start(None, OWNER, **train_form_values(recipe="augsbert", loss="cosine"))[0]
    for _ in range(200):
        snap = fake_manager.snapshot(run_id)
        if snap.status == "running" and sum(isinstance(e, Log) for e in snap.events) == 5:
            break
        time.sleep(0.02)
    view = named_view(run_view.poll(run_id, None))
    status, loss, stages, tables_box = view["status"], view["loss"], view["stages"], view["tables_box"]
    assert "Stage 3/4" in status and loss.color_map.keys() == {"cross-encoder", "gold+silver"}
    assert stages.visible is True and "▶" in stages.value
    # the first table (silver labels) has a chart spec: a bar chart; no second table yet
    assert tables_box.visible is True and view["table_0_plot"].visible is True
    assert view["table_1_frame"].visible is False
    assert snap.config["recipe_params"]["gold_fraction"] == service.recipe_knob_info("gold_fraction")[0]
    gate.set()
    fake_manager.wait(run_id, 10)
    done = named_view(run_view.poll(run_id, None))
    assert "Done" in done["status"] and done["table_1_frame"].visible is True  # the comparison, as a table only
    assert done["table_1_plot"].visible is False
    assert done["sts_table"].loc[0, "spearman after"] == 0.7


def test_recipe_dropdown_hides_upload_recipes_until_one_is_used():
    keys = [k for _, k in service.recipe_choices()]
    assert "augsbert" in keys and "nli-triplets-hard" in keys and "tsdae" in keys
    assert not any(k.startswith("upload-") for k in keys)
    assert service.recipe_choices("upload-pair", "x.csv")[-1] == ("upload-pair: your file x.csv",
                                                                         "upload-pair")


# --- your own data ---------------------------------------------------------------------------------
GOOD = "question,answer,id\n" + "".join(f"what is item {i}?,item {i} is a thing,{i}\n" for i in range(20))


def _file(tmp_path, text: str | bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def test_upload_flow_good_file(tmp_path):
    table, name, *rest = upload_section.on_file(_file(tmp_path, GOOD), "pair")
    pickers, preview, status, use_btn = rest[:3], rest[3], rest[4], rest[5]
    assert name == "data.csv" and len(service.uploads.HELD.get(table).table) == 20 and "20 rows" in status
    assert [p.value for p in pickers[:2]] == ["question", "answer"] and pickers[2].visible is False
    assert preview.value["data"][0][0] == "what is item 0?" and use_btn.interactive is True
    # another format: the pickers are re-guessed, and a half-made mapping previews without raising
    fmt_out = upload_section.on_format(table, "triplet")
    assert fmt_out[2].visible is True and fmt_out[5].interactive is False  # no negative column guessed
    half = upload_section.on_mapping(table, "triplet", "question", "", "")
    assert half[1].interactive is False
    recipe, upload_id, text, delete_btn = upload_section.use(table, name, "pair", "question", "answer", "", OWNER)
    assert recipe.value == "upload-pair" and len(upload_id) == 24 and "20 rows" in text and delete_btn.visible
    form = {**service.DEFAULT_FORM, "model": "tiny-bert", "recipe": "upload-pair", "loss": "mnrl",
            "upload_id": upload_id}
    config = uploads.build_run_config(form, {"scale": 20}, {}, OWNER)
    assert config.recipe == "upload-pair" and config.upload_id == upload_id and config.loss_params["scale"] == 20
    with pytest.raises(ConfigError, match="another session"):
        uploads.build_run_config(form, {}, {}, OTHER)
    plan = train_form.plan_preview(OWNER, **train_form_values(recipe="upload-pair", loss="mnrl", upload_id=upload_id))
    assert "steps" in plan[0] and "Your upload: data.csv" in plan[3]
    other = train_form.plan_preview(OTHER, **train_form_values(recipe="upload-pair", upload_id=upload_id))
    assert "another session" in other[0]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "empty.csv", "empty"),
    ("a,a\nx,y\n", "dup.csv", "Duplicate column"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "pic.csv", "PNG"),
    ("anything", "sheet.xlsx", "Spreadsheets"),
])
def test_upload_bad_files_are_messages(tmp_path, content, name, message):
    with pytest.warns(UserWarning, match=message):
        out = upload_section.on_file(_file(tmp_path, content, name), "pair")
    assert out[0] is None and message in out[-2] and out[-1].interactive is False


def test_upload_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_UPLOAD_MAX_BYTES", "100")
    with pytest.warns(UserWarning, match="too large"):
        out = upload_section.on_file(_file(tmp_path, GOOD), "pair")
    assert "too large" in out[-2]


def test_upload_bad_mapping_and_scores(tmp_path):
    text = "s1,s2,score\n" + "".join(f"a {i},b {i},{'high' if i == 3 else 0.5}\n" for i in range(5))
    table, name, *_ = upload_section.on_file(_file(tmp_path, text), "pair-score")
    with pytest.warns(UserWarning, match="score"):
        out = upload_section.use(table, name, "pair-score", "s1", "s2", "score", OWNER)
    assert out[0] == gr.skip() and "⚠" in out[2]
    with pytest.raises(gr.Error, match="session"):
        upload_section.use(table, name, "pair-score", "s1", "s2", "score", "not-an-owner")
    with pytest.raises(gr.Error, match="Upload a file"):
        upload_section.use(None, "", "pair", "a", "b", "", OWNER)


# --- the negative explorer (loads the bundled MiniLM) ----------------------------------------------
@pytest.mark.slow
def test_negative_explorer_data():
    from lab.service import negatives

    view = negatives.explore_negatives(anchors=60, seed=1, n_examples=4, range_max=10, num_negatives=1)
    cols = ["anchor", "positive", "positive score", "kind", "negative", "negative score", "likely false negative"]
    assert list(view.examples.columns) == cols
    assert set(view.examples["kind"]) <= {"random", "mined"} and "random" in set(view.examples["kind"])
    assert [t.name.split(" (")[0] for t in view.figure.data] == ["positive", "random negative", "mined negative"]
    assert "60 anchors" in view.summary and "likely false negatives" in view.summary
    with pytest.raises(ConfigError):
        negatives.explore_negatives(anchors=5)
    with pytest.raises(ConfigError, match="margin"):
        negatives.explore_negatives(anchors=50, margin=7)


# --- evaluation jobs over HTTP (tiny-bert, STS-B test) ----------------------------------------------
@pytest.mark.slow
def test_evaluation_job_through_the_client(url, monkeypatch):
    from gradio_client import Client

    monkeypatch.setenv("LAB_RUNS_DIR", os.environ["LAB_RUNS_DIR"])  # the server's store, not the per-test one
    client = Client(url, verbose=False)
    out = client.predict(None, OWNER, [], ["tiny-bert"], ["sts-test"], False, api_name="/evaluate")
    job_id = out[0]
    assert len(job_id) == 24
    deadline = time.time() + 180
    while time.time() < deadline:
        status, results, _ = client.predict(job_id, api_name="/poll_evaluation")
        if "Done" in status:
            break
        time.sleep(0.5)
    assert "Done" in status, status
    assert results["headers"][:2] == ["model", "STS-B test spearman"] and results["data"][0][0] == "base: tiny-bert"
    assert service.snapshot(job_id).config["kind"] == "evaluation"
    # the evaluation is no training run: not offered to Explore/Evaluate as a model
    from lab.service import evaluations

    assert all(c[1] != f"run:{job_id}" for c in evaluations.run_choices())


def test_compare_overlays_split_a_pipeline_by_stage_and_model():
    loss = charts.overlay_loss({"p": _pipeline_events(), "plain": [Log(step=1, total_steps=1, loss=1.0, lr=0,
                                                                         epoch=0, samples_per_s=1)]})
    assert set(loss["run"]) == {"p · cross-encoder", "p · gold+silver", "plain"}
    evals = charts.overlay_eval({"p": _pipeline_events()})
    assert set(evals["run"]) == {"p · gold+silver", "p · gold-only"} and "series" not in evals


def test_the_owner_deletes_an_upload_from_the_page(tmp_path):
    from lab.upload.saved import upload_meta

    table, name, *_ = upload_section.on_file(_file(tmp_path, GOOD), "pair")
    upload_id = upload_section.use(table, name, "pair", "question", "answer", "", OWNER)[1]
    with pytest.raises(gr.Error, match="another session"):
        upload_section.delete(upload_id, OTHER)
    recipe, cleared, text, button = upload_section.delete(upload_id, OWNER)
    assert recipe.value == service.DEFAULT_FORM["recipe"] and cleared == "" and button.visible is False
    with pytest.raises(ConfigError, match="no longer on the server"):
        upload_meta(upload_id)
