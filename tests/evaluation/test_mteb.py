"""MTEB Banking77: the offline route is mteb's stock task and protocol on the bundled data, on tiny subsets."""

from __future__ import annotations

import json

import pytest

from lab.errors import ConfigError
from lab.evaluation.mteb import format_table, resolve_route

MAX_TEST, N_EXPERIMENTS = 100, 2


def test_routes_offline_here():
    assert resolve_route("auto") == "offline"  # conftest sets HF_HUB_OFFLINE
    with pytest.raises(ConfigError, match="Hub"):
        resolve_route("hub")
    with pytest.raises(ConfigError, match="Unknown MTEB route"):
        resolve_route("cloud")


def test_table_lists_metrics_side_by_side():
    base = {
        "accuracy": 0.8,
        "f1": 0.79,
        "f1_weighted": 0.795,
        "main_score": 0.8,
        "elapsed_s": 200.0,
        "route_label": "offline: bundled",
        "n_test": 3080,
        "n_experiments": 10,
        "samples_per_label": 8,
    }
    text = format_table(base, {**base, "accuracy": 0.5}, names=["base", "trained"])
    for part in (
        "accuracy",
        "f1 (macro)",
        "f1_weighted",
        "main_score",
        "base",
        "trained",
        "0.5000",
        "offline",
        "3,080",
    ):
        assert part in text


def test_offline_task_is_the_stock_task_with_its_protocol():
    import mteb
    from mteb.abstasks.classification import AbsTaskClassification

    from lab.evaluation.mteb import TASK_NAME, build_task, protocol

    stock = mteb.get_task(TASK_NAME)
    task = build_task("offline")
    assert type(task) is type(stock) and task.metadata == stock.metadata
    assert protocol(task) == protocol(stock)
    # the class defaults are mteb's published protocol; nothing here overrides them
    assert (
        (task.n_experiments, task.samples_per_label)
        == (10, 8)
        == (AbsTaskClassification.n_experiments, AbsTaskClassification.samples_per_label)
    )
    assert protocol(task)["classifier"].startswith("LogisticRegression(")
    assert (len(task.dataset["train"]), len(task.dataset["test"])) == (10_003, 3_080)

    small = build_task("offline", max_test=MAX_TEST, n_experiments=N_EXPERIMENTS)
    assert len(small.dataset["test"]) == MAX_TEST and len(set(small.dataset["test"]["label"])) == 77
    assert small.n_experiments == N_EXPERIMENTS and type(small).n_experiments == 10
    with pytest.raises(ConfigError, match="at least 77"):
        build_task("offline", max_test=10)


@pytest.fixture(scope="module")
def offline_result(tiny_model):
    from lab.evaluation.mteb import evaluate_banking77

    return evaluate_banking77(tiny_model, route="offline", max_test=MAX_TEST, n_experiments=N_EXPERIMENTS)


@pytest.mark.slow
def test_offline_route_on_a_subset(offline_result):
    r = offline_result
    assert r["route"] == "offline" and r["route_label"].startswith("offline:")
    assert r["task"] == "Banking77Classification" and r["split"] == "test"
    assert (r["n_test"], r["n_train_pool"], r["n_experiments"], r["samples_per_label"]) == (MAX_TEST, 10_003, 2, 8)
    assert r["full_protocol"] is False and r["main_metric"] == "accuracy"
    for key in ("accuracy", "f1", "f1_weighted", "main_score"):
        assert 0.0 <= r[key] <= 1.0, key
    assert r["accuracy"] > 3 / 77  # well above chance: even a random tiny BERT's mean of word vectors knows intents
    assert r["main_score"] == r["accuracy"]
    assert len(r["accuracy_per_experiment"]) == N_EXPERIMENTS
    assert r["accuracy"] == pytest.approx(sum(r["accuracy_per_experiment"]) / N_EXPERIMENTS)
    assert r["classifier_params"]["random_state"] == 42  # mteb seeds the classifier with the task's seed
    assert r["elapsed_s"] > 0 and "Scoring" in r["phases_s"]
    json.dumps(r)  # the CLI prints it as one JSON line


@pytest.mark.slow
def test_offline_route_matches_mteb_loading_the_parquet_itself(offline_result, tiny_model):
    """Same scores when mteb's own `load_data` reads the parquet files (a task subclass) instead of our injection."""
    import mteb
    from mteb.abstasks.classification import AbsTaskClassification

    from lab.host.paths import DATA_DIR

    stock = mteb.get_task("Banking77Classification")
    files = {s: str(DATA_DIR / f"banking77_{s}.parquet") for s in ("train", "test")}

    class ParquetBanking77(AbsTaskClassification):
        metadata = stock.metadata.model_copy(
            update={"dataset": {"path": "parquet", "data_files": files, "revision": "bundled"}}
        )

        def dataset_transform(self, num_proc=None, **kwargs):
            self.dataset = self.stratified_subsampling(
                self.dataset, seed=self.seed, splits=["test"], n_samples=MAX_TEST
            )

    task = ParquetBanking77()
    task.n_experiments = N_EXPERIMENTS
    result = mteb.evaluate(tiny_model, task, cache=None, show_progress_bar=False)
    scores = result.task_results[0].scores["test"][0]
    for key in ("accuracy", "f1", "f1_weighted", "main_score"):
        assert scores[key] == offline_result[key], key


def _mteb_args(*argv: str):
    from lab.cli import build_parser

    return build_parser().parse_args(["mteb", *argv])


def test_cli_arguments_and_fast_errors(tmp_path):
    from lab.cli import CliError, cmd_mteb, main
    from lab.errors import ModelError

    args = _mteb_args("--model", "tiny-bert", "--max-test", "100", "--json")
    assert (args.model, args.route, args.max_test, args.json) == ("tiny-bert", "auto", 100, True)
    with pytest.raises(CliError, match="at least 77"):
        cmd_mteb(_mteb_args("--max-test", "10"))
    with pytest.raises(CliError, match="invalid choice"):
        _mteb_args("--route", "cloud")
    with pytest.raises(ConfigError, match="Hub"):  # before any model is loaded
        cmd_mteb(_mteb_args("--route", "hub"))
    with pytest.raises(ModelError, match="no saved model"):
        cmd_mteb(_mteb_args("--model", "0123456789abcdef01234567", "--runs-dir", str(tmp_path)))
    with pytest.raises(ModelError, match="not a known model"):
        cmd_mteb(_mteb_args("--model", "no such model!"))
    assert main(["mteb", "--route", "hub"]) == 2
