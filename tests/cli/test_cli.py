"""The CLI contract: bad arguments are one clear stderr line and exit 2; train --json ends with one JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, runs_dir=None, timeout=600):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if runs_dir:
        env["LAB_RUNS_DIR"] = str(runs_dir)
    return subprocess.run(
        [sys.executable, "-m", "lab", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--model", "no such model!"], "not a known model or a valid Hub model id"),
        (["train", "--model", "no-such-model"], "would come from the Hugging Face Hub, which is not reachable"),
        (["train", "--model", "someone/some-model"], "not reachable"),
        (["train", "--model", "bert-base-uncased"], "all-MiniLM-L6-v2"),
        (["train", "--model", "../../etc/passwd"], "not a known model"),
        (["train", "--model", "https://evil.example/x"], "not a known model"),
        (["train", "--recipe", "nope"], "Unknown recipe 'nope'"),
        (["train", "--loss", "nope"], "Unknown loss 'nope'"),
        (["train", "--recipe", "nli-3class", "--loss", "mnrl"], "Recipes that fit 'mnrl': nli-triplets"),
        (["train", "--max-train", "0"], "--max-train: must be greater than 0"),
        (["train", "--max-train", "-5"], "--max-train: must be greater than 0"),
        (["train", "--batch-size", "x"], "--batch-size: expected a whole number"),
        (["train", "--epochs", "nan"], "epochs must be a finite number"),
        (["train", "--lr", "5"], "lr must be between"),
        (["train", "--knob", "scale"], "expected NAME=VALUE"),
        (["train", "--knob", "nope=1"], "Unknown knob"),
        (["train", "--matryoshka", "a,b"], "--matryoshka expects"),
        (["eval", "--model", "no/such/model"], "not a known model"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_arguments_get_one_clear_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_listing_commands():
    recipes, losses = run_cli("recipes"), run_cli("losses")
    assert recipes.returncode == losses.returncode == 0
    assert "nli-triplets" in recipes.stdout and "anchor, positive, negative" in recipes.stdout
    assert "cached-mnrl" in losses.stdout and "mini_batch_size" in losses.stdout


@pytest.mark.slow
def test_train_json_contract_and_runs_listing(tmp_path):
    result = run_cli(
        "train",
        "--model",
        "tiny-bert",
        "--recipe",
        "nli-scores",
        "--loss",
        "cosine",
        "--max-train",
        "32",
        "--batch-size",
        "16",
        "--eval-max-pairs",
        "30",
        "--json",
        runs_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("run_id", "status", "metrics_before", "metrics_after", "train_samples_per_s", "model_dir"):
        assert key in summary
    assert summary["status"] == "completed"
    assert {"spearman_cosine", "pearson_cosine"} <= set(summary["metrics_after"])
    assert Path(summary["model_dir"], "modules.json").is_file()
    assert "STS-B validation" in result.stdout and "manhattan" in result.stdout

    listing = run_cli("runs", "--json", runs_dir=tmp_path)
    rows = json.loads(listing.stdout)
    assert [r["run_id"] for r in rows] == [summary["run_id"]] and rows[0]["status"] == "completed"

    evaluated = run_cli("eval", "--model", summary["run_id"], "--json", runs_dir=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    metrics = json.loads(evaluated.stdout.strip().splitlines()[-1])["metrics"]
    assert metrics["spearman_cosine"] == pytest.approx(summary["metrics_after"]["spearman_cosine"], abs=1e-6)
    # the space's geometry beside the STS-B metrics, as the run measured it on the same whole split after training
    from lab.events import Eval
    from lab.store import RunStore

    after = [e for e in RunStore(tmp_path).load(summary["run_id"]).events
             if isinstance(e, Eval) and e.phase == "after" and not e.subset][-1]
    for key in ("alignment", "uniformity"):
        assert metrics[key] == pytest.approx(after.geometry[key], abs=1e-4)
    assert 0 <= metrics["alignment"] <= 4 and metrics["uniformity"] < 0 and "uniformity" in evaluated.stdout


@pytest.mark.slow
def test_train_a_pipeline_prints_a_bar_per_stage_and_its_comparison(tmp_path):
    """A pipeline has several training stages, each with its own rows and data; the CLI follows all of them."""
    result = run_cli("train", "--model", "tiny-bert", "--recipe", "augsbert", "--loss", "cosine", "--max-train", "40",
                     "--batch-size", "8", "--eval-max-pairs", "20", "--json", runs_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    for stage in ("cross-encoder rows: 8 gold", "data: MNLI validation_matched + SNLI validation",
                  "gold-only rows: 8 used"):
        assert stage in result.stderr
    assert "Augmented SBERT on STS-B validation" in result.stdout and "gold + silver" in result.stdout
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed" and summary["row_counts"] == {"gold": 8, "silver": 32}
    assert [r["model"] for r in summary["tables"]["comparison"]["rows"]] == ["base", "gold only", "gold + silver"]
    assert summary["source"].startswith("MNLI validation_matched + SNLI validation")
