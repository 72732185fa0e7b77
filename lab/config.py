"""Run configuration: a frozen dataclass saved with every run, validated against the loss and recipe registries
(does the loss fit the recipe's data, are the knobs in range). No torch here."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from lab.errors import ConfigError
from lab.knobs import resolve_knobs
from lab.losses import LOSSES, fitting_losses, resolve_params
from lab.recipes import RECIPES

DATA_SOURCES = ("auto", "offline", "hub")
POOLINGS = (None, "mean", "cls")
EVAL_SPLITS = ("validation", "test")


@dataclass(frozen=True)
class RunConfig:
    model: str = "all-MiniLM-L6-v2"
    recipe: str = "nli-triplets"
    loss: str = "mnrl"
    pooling: str | None = None  # None keeps the model's own pooling
    max_seq_length: int | None = None  # None keeps the model's own limit
    max_train_samples: int | None = 1000
    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 2e-5
    warmup_ratio: float = 0.1
    seed: int = 42
    eval_steps: int = 0  # 0: evaluate STS-B only before and after training
    logging_steps: int = 5
    eval_split: str = "validation"
    eval_max_pairs: int | None = None  # None: the whole split
    loss_params: dict[str, Any] = field(default_factory=dict)
    recipe_params: dict[str, Any] = field(default_factory=dict)
    matryoshka_dims: tuple[int, ...] = ()
    data_source: str = "auto"
    group_by_length: bool = True  # batch texts of similar length: less padding, same rows per epoch
    upload_id: str = ""  # for `upload-*` recipes: which checked upload to train on
    label: str = ""
    views: bool = True  # teaching views (in-batch matrix, probe pairs) computed during training
    probe_pairs: tuple[tuple[str, str], ...] = ()  # the user's own pairs to follow, beside the STS-B probe sample

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError("model: give a model name, e.g. 'all-MiniLM-L6-v2'.")
        if self.recipe not in RECIPES:
            raise ConfigError(f"Unknown recipe '{self.recipe}'. Known recipes: {', '.join(RECIPES)}.")
        if self.loss not in LOSSES:
            raise ConfigError(f"Unknown loss '{self.loss}'. Known losses: {', '.join(LOSSES)}.")
        check_fit(self.recipe, self.loss)
        if self.pooling not in POOLINGS:
            raise ConfigError("pooling must be 'mean', 'cls' or empty (the model's own).")
        if self.data_source not in DATA_SOURCES:
            raise ConfigError(f"data_source must be one of {', '.join(DATA_SOURCES)}.")
        if self.eval_split not in EVAL_SPLITS:
            raise ConfigError(f"eval_split must be one of {', '.join(EVAL_SPLITS)}.")
        _check_int("batch_size", self.batch_size, 1, 4096)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_int("eval_steps", self.eval_steps, 0, 10**7)
        _check_int("logging_steps", self.logging_steps, 1, 10**7)
        if self.max_train_samples is not None:
            _check_int("max_train_samples", self.max_train_samples, 1, 10**8)
        if self.max_seq_length is not None:
            _check_int("max_seq_length", self.max_seq_length, 8, 8192)
        if self.eval_max_pairs is not None:
            _check_int("eval_max_pairs", self.eval_max_pairs, 10, 10**6)
        _check_float("epochs", self.epochs, 0.01, 100.0)
        _check_float("lr", self.lr, 1e-8, 1.0)
        _check_float("warmup_ratio", self.warmup_ratio, 0.0, 0.9)
        for d in self.matryoshka_dims:
            _check_int("matryoshka dimension", d, 1, 100_000)
        if self.matryoshka_dims and not LOSSES[self.loss].matryoshka_ok:
            raise ConfigError(f"Matryoshka cannot wrap the '{self.loss}' loss (it has its own classifier head).")
        if RECIPES[self.recipe].uses_upload:
            if not re.fullmatch(r"[0-9a-f]{24}", self.upload_id or ""):
                raise ConfigError(f"Recipe '{self.recipe}' trains on an upload: upload a file first.")
        elif self.upload_id:
            raise ConfigError(f"Recipe '{self.recipe}' does not take an upload.")
        if not isinstance(self.group_by_length, bool):
            raise ConfigError("group_by_length must be true or false.")
        if len(self.label) > 100:
            raise ConfigError("label: at most 100 characters.")
        if not isinstance(self.views, bool):
            raise ConfigError("views must be true or false.")
        object.__setattr__(self, "probe_pairs", _check_probe_pairs(self.probe_pairs))
        # Normalise knob values (types, ranges, defaults) once, so the saved config is complete.
        object.__setattr__(self, "loss_params", resolve_params(self.loss, self.loss_params))
        recipe_params = resolve_knobs(f"recipe '{self.recipe}'", RECIPES[self.recipe].knobs, self.recipe_params)
        object.__setattr__(self, "recipe_params", recipe_params)
        object.__setattr__(self, "matryoshka_dims", tuple(sorted({int(d) for d in self.matryoshka_dims}, reverse=True)))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["matryoshka_dims"] = list(self.matryoshka_dims)
        d["probe_pairs"] = [list(p) for p in self.probe_pairs]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown config keys: {', '.join(unknown)}.")
        data = dict(data)
        if "matryoshka_dims" in data:
            data["matryoshka_dims"] = tuple(data["matryoshka_dims"] or ())
        if "probe_pairs" in data:
            data["probe_pairs"] = _check_probe_pairs(data["probe_pairs"])
        return cls(**data)

    def replace(self, **changes: Any) -> RunConfig:
        return RunConfig.from_dict({**self.to_dict(), **changes})


def check_fit(recipe_key: str, loss_key: str) -> None:
    """Raise ConfigError, naming the recipes that would fit, when the loss can't take the recipe's data."""
    fmt = RECIPES[recipe_key].format_key
    spec = LOSSES[loss_key]
    if fmt not in spec.formats:
        fits = [k for k, r in RECIPES.items() if r.format_key in spec.formats]
        raise ConfigError(
            f"The '{loss_key}' loss takes {' or '.join(spec.formats)} data, but recipe '{recipe_key}' gives "
            f"{fmt} data. Recipes that fit '{loss_key}': {', '.join(fits) or 'none yet'}. "
            f"Losses that fit '{recipe_key}': {', '.join(fitting_losses(fmt))}."
        )


def check_upload_rows(loss_key: str, distinct_rows: int | None) -> None:
    """An upload whose rows are all the same cannot feed a loss that takes its negatives from the other rows of a
    batch (each batch would hold one row): refused with the reason, before the run is queued."""
    if distinct_rows is not None and distinct_rows < 2 and LOSSES[loss_key].batch_sampler == "no_duplicates":
        raise ConfigError(f"Every row of this upload is the same, so the '{loss_key}' loss would find no other row "
                          "in a batch to use as a negative. Upload varied rows, or pick a loss that does not use "
                          "in-batch negatives.")


MAX_PROBE_PAIRS = 8
MAX_PROBE_CHARS = 300


def _check_probe_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """At most MAX_PROBE_PAIRS pairs of two non-empty sentences of at most MAX_PROBE_CHARS characters each."""
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ConfigError("probe_pairs must be a list of [sentence, sentence] pairs.")
    if len(value) > MAX_PROBE_PAIRS:
        raise ConfigError(f"probe_pairs: at most {MAX_PROBE_PAIRS} pairs, got {len(value)}.")
    out = []
    for i, pair in enumerate(value, 1):
        if isinstance(pair, str | bytes) or not isinstance(pair, list | tuple) or len(pair) != 2 \
                or not all(isinstance(t, str) and t.strip() for t in pair):
            raise ConfigError(f"probe pair {i}: give two non-empty sentences.")
        if any(len(t) > MAX_PROBE_CHARS for t in pair):
            raise ConfigError(f"probe pair {i}: each sentence at most {MAX_PROBE_CHARS} characters.")
        out.append((pair[0].strip(), pair[1].strip()))
    return tuple(out)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}.")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")


def _check_float(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}.")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value:g}.")
