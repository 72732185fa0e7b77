"""Before Start: the recipe's first rows exactly as the loss gets them, and a step/time estimate for the run."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.jobs.dispatch import is_pipeline
from lab.models import check_model
from lab.recipes import RECIPES, prepare
from lab.service.calibration import measured, points
from lab.service.warmup import WARMUP

# First guesses before this server has run a model: CPU speeds measured on a quiet 2-core machine (MNRL, batch 32,
# views on; tiny-bert 374 and MiniLM 26.6 samples/s, 1,470 and 169 STS-B pairs/s), rounded down for a busier
# one; ×20 on a GPU. Training samples/s for three text columns:
_SPEED = {"tiny": 300.0, "plain": 300.0, "bundled": 24.0, "hub-plain": 2.5, "hub": 5.0, "local": 5.0}
# sentences/s encoded for evaluation (two per STS-B pair)
_ENCODE = {"tiny": 2400.0, "plain": 2400.0, "bundled": 300.0, "hub-plain": 40.0, "hub": 60.0, "local": 60.0}


@dataclass(frozen=True)
class Preview:
    rows: pd.DataFrame  # five rows with role-annotated headers
    roles: str  # markdown: which column plays which role
    source: str  # where the data comes from
    available_rows: int  # rows the recipe produced before max_train_samples


@functools.lru_cache(maxsize=16)
def _prepared(recipe: str, seed: int, max_rows: int | None, data_source: str, params: tuple = ()):
    return prepare(recipe, seed=seed, max_rows=max_rows, data_source=data_source, params=dict(params))


def preview(
    recipe: str,
    seed: int = 42,
    max_rows: int | None = None,
    data_source: str = "auto",
    n: int = 5,
    params: dict[str, Any] | None = None,
) -> Preview:
    """The first `n` rows exactly as the loss will get them (same seed, same limit), with column roles."""
    if recipe not in RECIPES:
        raise ConfigError(f"Unknown recipe '{recipe}'.")
    data = _prepared(recipe, int(seed), max_rows, data_source, tuple(sorted((params or {}).items())))
    fmt = RECIPES[recipe].format
    head = data.rows.head(n).copy()
    for col in head.columns:
        if head[col].dtype == float:
            head[col] = head[col].round(3)
    roles = " · ".join(
        [f"**{i + 1}. `{c}`**: {fmt.role_of(c)}" for i, c in enumerate(fmt.inputs)]
        + ([f"**label `{fmt.label}`**: {fmt.role_of(fmt.label)}"] if fmt.label else [])
    )
    roles += "  \nText columns reach the loss *by position*; a column named `label`/`score` is the target."
    return Preview(head, roles, data.source.describe(), data.transformed_rows)


def plan_text(config: RunConfig, available_rows: int | None = None) -> str:
    """The plan line the form shows under the settings: rows, steps, and the estimated times."""
    est = estimate(config, available_rows)
    rest = f", views and saving ≈ {_fmt_s(est['rest_s'])}" if est["rest_s"] >= 1 else ""
    basis = (f"measured on {est['measured_runs']} run(s) of this model here" if est["measured_runs"]
             else "a first guess: it is measured once this model has run here")
    plan = (f"**Plan**: {est['rows']:,} rows → **{est['steps']} steps** of {config.batch_size} · "
            f"about **{_fmt_s(est['total_s'])}** on this machine (training ≈ {_fmt_s(est['train_s'])}, "
            f"STS-B evals ≈ {_fmt_s(est['eval_s'])}{rest}; {basis}); first loss point after ≈ "
            f"{_fmt_s(est['first_loss_s'])}.")
    if is_pipeline(config.recipe):
        plan += " A pipeline trains more than once (see the recipe's note): expect a few times that."
    return plan


def _fmt_s(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{max(1, round(seconds))} s"


def estimate(config: RunConfig, available_rows: int | None = None, device: str | None = None) -> dict[str, float]:
    """Steps and a rough wall-time for the run on this machine (start-up + training + STS-B evals + the rest: the
    teaching views' snapshots and saving); `device` "cuda" or "cpu" plans for that device (a ZeroGPU Space has
    both), None for the one this server trains on."""
    rows = config.max_train_samples or available_rows or 0
    if available_rows:
        rows = min(rows, available_rows)
    steps = max(1, math.ceil(config.epochs * math.ceil(max(rows, 1) / config.batch_size)))
    try:
        kind = check_model(config.model, check_hub=False).kind
    except ValueError:
        kind = "hub"
    gpu = 20.0 if (device == "cuda" if device else WARMUP.cuda) else 1.0
    columns = len(RECIPES[config.recipe].format.inputs)
    speed = _SPEED.get(kind, 5.0) * gpu * (3 / max(columns, 1)) ** 0.5
    whole = 1500 if config.eval_split == "validation" else 1379
    pairs = min(config.eval_max_pairs or whole, whole)  # the live curve's pairs; the table scores the whole split
    pairs_per_s = _ENCODE.get(kind, 60.0) * gpu / 2
    startup_s = (0.0 if WARMUP.ready("sentence_transformers") else 12.0) + (0.5 if kind == "tiny" else 2.0)
    rest_s_per_point = 0.5 if config.views else 0.1  # views' snapshots and saving, per evaluation point
    seen = measured(config.model, columns, config.views, device)  # what this server measured beats a constant
    if seen is not None:
        speed, startup_s = seen.samples_per_s, seen.startup_s
        pairs_per_s = seen.eval_pairs_per_s or pairs_per_s
        rest_s_per_point = seen.rest_s_per_point
    train_s = steps * config.batch_size / speed
    # The base model's scores (whole split, curve's pairs) are cached once this server has run the model; the
    # trained one's are not.
    whole_evals = 1 if seen is not None else 2
    curve_evals = ((1 if seen is not None else 2) if pairs < whole else 0) + (
        steps // config.eval_steps if config.eval_steps else 0)
    eval_s = (whole_evals * whole + curve_evals * pairs) / pairs_per_s
    first_eval_s = 0.0 if seen is not None else (whole + (pairs if pairs < whole else 0)) / pairs_per_s
    rest_s = rest_s_per_point * points(steps, config.eval_steps)
    return {
        "measured_runs": seen.runs if seen else 0,
        "steps": steps,
        "rows": rows,
        "train_s": train_s,
        "eval_s": eval_s,
        "rest_s": rest_s,
        "total_s": startup_s + train_s + eval_s + rest_s,
        "first_loss_s": startup_s + first_eval_s + rest_s_per_point + config.logging_steps * config.batch_size / speed,
    }
