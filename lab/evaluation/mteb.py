"""MTEB Banking77Classification through mteb 2.x: the stock task with its Hub data, or offline the bundled copy.

Both routes run mteb's own `Banking77Classification` object (its classifier, train subsampling, splits and
metrics); offline, only its `dataset` is swapped for the bundled parquet. Also the `python -m lab mteb` command.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from lab.errors import ConfigError
from lab.host.hub import hub_available
from lab.sources import load_banking77

log = logging.getLogger(__name__)

TASK_NAME = "Banking77Classification"  # the chapter's version; mteb marks it superseded by `.v2`
ROUTES = ("auto", "hub", "offline")
N_LABELS = 77
SPLIT = "test"
METRICS = {"accuracy": "accuracy", "f1": "f1 (macro)", "f1_weighted": "f1_weighted", "main_score": "main_score"}
ROUTE_LABELS = {
    "hub": "hub: mteb's Banking77Classification task with its own Hub dataset",
    "offline": "offline: bundled Banking77 parquet run through mteb's stock Banking77Classification task",
}


def resolve_route(route: str) -> str:
    """'auto' → 'hub' when the Hub is reachable, else 'offline'; 'hub' without the Hub is an error."""
    if route not in ROUTES:
        raise ConfigError(f"Unknown MTEB route '{route}'. Choose one of: {', '.join(ROUTES)}.")
    if route == "auto":
        return "hub" if hub_available() else "offline"
    if route == "hub" and not hub_available():
        raise ConfigError(
            "The 'hub' route needs the Hugging Face Hub, which is not reachable here; use route 'offline' or 'auto'."
        )
    return route


def _check_sizes(max_test: int | None, n_experiments: int | None) -> None:
    if max_test is not None and max_test < N_LABELS:
        raise ConfigError(f"max_test must be at least {N_LABELS} (one test sentence per intent), got {max_test}.")
    if n_experiments is not None and n_experiments < 1:
        raise ConfigError(f"n_experiments must be at least 1, got {n_experiments}.")


def _not_superseded_notice(record: logging.LogRecord) -> bool:
    return "is superseded by" not in record.getMessage()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence what is expected here: the 'superseded' notice (the chapter uses the original task), mteb's
    sentence-transformers renames, sklearn's convergence and undefined-precision warnings, datasets' casting bars."""
    import datasets
    from sklearn.exceptions import ConvergenceWarning

    task_logger = logging.getLogger("mteb.abstasks.abstask")
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    task_logger.addFilter(_not_superseded_notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is superseded by.*")
            warnings.filterwarnings("ignore", message=".*get_sentence_embedding_dimension.*")
            warnings.filterwarnings("ignore", message=".*(Precision|Recall|F-score) is ill-defined.*")
            warnings.filterwarnings("ignore", category=ConvergenceWarning)  # mteb's max_iter=100 often stops early
            yield
    finally:
        task_logger.removeFilter(_not_superseded_notice)
        if bars_were_on:
            datasets.enable_progress_bars()


def offline_dataset():
    """The bundled train/test splits as the `DatasetDict` mteb's task expects (text, label; label_text kept)."""
    from datasets import Dataset, DatasetDict

    return DatasetDict(
        {split: Dataset.from_pandas(load_banking77(split)[0], preserve_index=False) for split in ("train", SPLIT)}
    )


def build_task(route: str, *, max_test: int | None = None, n_experiments: int | None = None):
    """The stock mteb task with its data loaded: from the Hub ('hub') or injected from the bundled parquet.

    `max_test` keeps a stratified sample of the test split (mteb's own `stratified_subsampling`, the task's seed);
    `n_experiments` overrides the task's number of classifier fits. None keeps mteb's protocol for both.
    """
    import mteb

    if route not in ("hub", "offline"):
        raise ConfigError(f"build_task needs a resolved route ('hub' or 'offline'), got '{route}'.")
    _check_sizes(max_test, n_experiments)
    task = mteb.get_task(TASK_NAME)
    if route == "hub":
        task.load_data()
    else:
        task.dataset = offline_dataset()
        task.data_loaded = True  # mteb.evaluate then skips load_data (which would go to the Hub)
    if max_test is not None:
        task.dataset = task.stratified_subsampling(task.dataset, seed=task.seed, splits=[SPLIT], n_samples=max_test)
    if n_experiments is not None:
        task.n_experiments = n_experiments  # an instance attribute: the class default stays mteb's
    return task


def protocol(task) -> dict[str, Any]:
    """The settings that decide the score, read from the task object itself (for the result and for tests)."""
    clf = task.evaluator_model
    params = {
        k: v if v is None or isinstance(v, bool | int | float | str) else repr(v) for k, v in clf.get_params().items()
    }
    shown = ", ".join(f"{k}={params[k]!r}" for k in ("C", "max_iter", "solver", "random_state") if k in params)
    return {
        "classifier": f"{type(clf).__name__}({shown})",
        "classifier_params": params,
        "n_experiments": int(task.n_experiments),
        "samples_per_label": int(task.samples_per_label),
        "train_split": task.train_split,
        "eval_splits": list(task.eval_splits),
        "main_metric": task.metadata.main_score,
        "seed": int(task.seed),
    }


def evaluate_banking77(
    model,
    *,
    route: str = "auto",
    max_test: int | None = None,
    n_experiments: int | None = None,
) -> dict[str, Any]:
    """Banking77 accuracy / F1 of a loaded SentenceTransformer, computed now (mteb's results cache is off).

    route: 'auto' (the Hub when reachable, else offline), 'hub' or 'offline'. max_test / n_experiments: None means
    mteb's own protocol (the whole test split, the task's 10 experiments); smaller values are for quick checks.
    The result is JSON-serialisable; `route` and `route_label` say which data was used (`note`: why, after a fallback).
    """
    import mteb

    requested, route, note = route, resolve_route(route), ""
    _check_sizes(max_test, n_experiments)
    t0 = time.perf_counter()
    with _quiet():
        try:
            task = build_task(route, max_test=max_test, n_experiments=n_experiments)
        except Exception as exc:  # a flaky Hub must not take an 'auto' evaluation down: fall back, and say so
            if requested != "auto" or route != "hub":
                raise
            log.warning("Banking77 from the Hub failed, using the bundled copy: %s", exc)
            route, note = "offline", f"The Hub load failed ({type(exc).__name__}), so the bundled copy was used."
            task = build_task(route, max_test=max_test, n_experiments=n_experiments)
        n_test, n_train = len(task.dataset[SPLIT]), len(task.dataset[task.train_split])
        try:
            result = mteb.evaluate(model, task, cache=None, show_progress_bar=False)
        finally:
            task.unload_data()  # mteb leaves data it did not load itself in memory
        settings = protocol(task)  # after evaluating: mteb sets the classifier's random_state to the task's seed
    elapsed_s = time.perf_counter() - t0

    task_result = result.task_results[0]
    scores = task_result.scores[SPLIT][0]
    per_experiment = [float(s["accuracy"]) for s in scores.get("scores_per_experiment", [])]
    meta = task.metadata
    return {
        "task": TASK_NAME,
        "route": route,
        "route_label": ROUTE_LABELS[route],
        "data": (
            f"{meta.dataset['path']}@{meta.dataset.get('revision', '')[:8]}"
            if route == "hub"
            else "assets/data/banking77_train.parquet, banking77_test.parquet"
        ),
        "note": note,
        "split": SPLIT,
        "accuracy": float(scores["accuracy"]),
        "f1": float(scores["f1"]),  # macro
        "f1_weighted": float(scores["f1_weighted"]),
        "main_score": float(scores["main_score"]),
        "accuracy_per_experiment": per_experiment,
        "n_test": n_test,
        "n_train_pool": n_train,
        "full_protocol": max_test is None and n_experiments is None,
        **settings,
        "elapsed_s": round(elapsed_s, 2),
        "mteb_evaluation_time_s": round(float(task_result.evaluation_time or 0.0), 2),
        "phases_s": {  # where the time went: encoding train / test, fitting and scoring the classifiers
            p["name"]: round(p["end"] - p["start"], 2)
            for p in task_result.evaluation_phases or []
            if not p["name"].startswith("Running experiment")
        },
        "mteb_version": task_result.mteb_version,
    }


def format_table(*results: dict[str, Any], names: Sequence[str] = ()) -> str:
    """Fixed-width text: one row per metric, one column per result (e.g. base vs trained), then the protocol."""
    if not results:
        return "no MTEB results"
    names = list(names) or [r.get("model", f"#{i + 1}") for i, r in enumerate(results)]
    width = max(10, *(len(n) for n in names))
    rows = [f"{'Banking77 (' + results[0].get('split', SPLIT) + ')':<16}" + "".join(f" {n:>{width}}" for n in names)]
    for key, title in METRICS.items():
        rows.append(f"{title:<16}" + "".join(f" {r.get(key, float('nan')):>{width}.4f}" for r in results))
    rows.append(f"{'time (s)':<16}" + "".join(f" {r.get('elapsed_s', float('nan')):>{width}.1f}" for r in results))
    first = results[0]
    note = f" ({first['note']})" if first.get("note") else ""
    reduced = "" if first.get("full_protocol", True) else " · reduced (not mteb's full protocol)"
    rows.append(f"route: {first.get('route_label', first.get('route', '?'))}{note}")
    rows.append(
        f"protocol: {first.get('n_test', 0):,} test sentences · {first.get('n_experiments', '?')} experiments × "
        f"{first.get('samples_per_label', '?')} train sentences per label · {first.get('classifier', '?')}{reduced}"
    )
    return "\n".join(rows)
