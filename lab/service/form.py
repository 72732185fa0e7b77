"""Form → config: one function from the form's values to a validated RunConfig, with user-facing messages."""

from __future__ import annotations

import math
from typing import Any

from lab.config import MAX_PROBE_PAIRS, RunConfig
from lab.errors import ConfigError
from lab.models import check_matryoshka, check_model
from lab.service.choices import loss_knobs, recipe_knobs
from lab.service.presets import DEFAULT_FORM


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _int_or_none(value: Any, zero_is_none: bool = True, name: str = "A setting") -> int | None:
    """A form number as a whole number; empty → None (and 0 → None where the form says 0 means "none")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.") from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}.")
    return None if (zero_is_none and int(number) == 0) else int(number)


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ConfigError(f"{name} must be a number, got {_shown(value)}.")
    try:
        return float(value)  # NaN and inf get through here; RunConfig names them
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a number, got {_shown(value)}.") from None


def build_config(
    form: dict[str, Any], knobs: dict[str, Any] | None = None, recipe_knob_values: dict[str, Any] | None = None
) -> RunConfig:
    """One function from the form's values (keyed by RunConfig field) to a validated RunConfig.

    Raises ConfigError (bad values) or ModelError (unusable model) with a user-facing message.
    """
    f = {**DEFAULT_FORM, **{k: v for k, v in form.items() if v is not None}}
    hub_id = str(form.get("hub_id") or "").strip()
    model = hub_id or str(f["model"] or "").strip()
    try:
        dims_text = str(f.get("matryoshka_dims") or "").replace(" ", "")
        dims = tuple(int(d) for d in dims_text.split(",") if d) if dims_text else ()
    except ValueError:
        raise ConfigError("Matryoshka dimensions: a comma-separated list of whole numbers, e.g. 384,128,64.") from None
    loss = str(f["loss"] or "")
    wanted = set(loss_knobs(loss))
    params = {k: v for k, v in (knobs or {}).items() if k in wanted and v is not None}
    wanted_recipe = set(recipe_knobs(str(f["recipe"] or "")))
    recipe_params = {k: v for k, v in (recipe_knob_values or {}).items() if k in wanted_recipe and v is not None}
    try:
        config = RunConfig(
            model=model,
            recipe=str(f["recipe"] or ""),
            loss=loss,
            pooling=(str(f["pooling"]) or None) if f.get("pooling") not in (None, "", "model default") else None,
            max_seq_length=_int_or_none(f.get("max_seq_length"), name="max_seq_length"),
            max_train_samples=_int_or_none(f.get("max_train_samples"), name="max_train_samples"),
            epochs=_float(f["epochs"], "epochs"),
            batch_size=_int_or_none(f["batch_size"], False, "batch_size"),
            lr=_float(f["lr"], "lr"),
            warmup_ratio=_float(f["warmup_ratio"], "warmup_ratio"),
            seed=_int_or_none(f["seed"], False, "seed"),
            eval_steps=_int_or_none(f["eval_steps"], False, "eval_steps") or 0,
            logging_steps=_int_or_none(f["logging_steps"], False, "logging_steps"),
            eval_split=str(f["eval_split"]),
            eval_max_pairs=_int_or_none(f.get("eval_max_pairs"), name="eval_max_pairs"),
            loss_params=params,
            recipe_params=recipe_params,
            group_by_length=bool(f.get("group_by_length", True)),
            matryoshka_dims=dims,
            data_source=str(f["data_source"]),
            label=str(f.get("label") or "").strip(),
            views=bool(f.get("views", True)),
            probe_pairs=parse_probe_pairs(f.get("probe_pairs")),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"A setting is not a valid number: {exc}") from None
    check_matryoshka(check_model(config.model), config.matryoshka_dims)
    return config


def parse_probe_pairs(text: Any) -> tuple[tuple[str, str], ...]:
    """The form's probe pairs: one pair per line, its two sentences separated by "|"; blank lines ignored."""
    if text is None or isinstance(text, list | tuple):
        return tuple(text or ())
    lines = [line for line in str(text).splitlines() if line.strip()]
    if len(lines) > MAX_PROBE_PAIRS:
        raise ConfigError(f"Probe pairs: at most {MAX_PROBE_PAIRS} lines, got {len(lines)}.")
    pairs = []
    for i, line in enumerate(lines, 1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"Probe pairs, line {i}: two sentences separated by |, e.g. "
                              "'A man plays guitar. | Someone makes music.'")
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def probe_pairs_text(pairs: Any) -> str:
    """A config's probe pairs as the form shows them."""
    return "\n".join(f"{a} | {b}" for a, b in (pairs or ()))
