"""Knobs: the numeric settings a loss or a recipe exposes, with defaults and ranges, resolved in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lab.errors import ConfigError


@dataclass(frozen=True)
class Knob:
    name: str
    default: float | int
    low: float
    high: float
    help: str
    integer: bool = False


def resolve_knobs(owner: str, knobs: tuple[Knob, ...], params: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults, coerce types and range-check; unknown names are an error that lists the known ones."""
    params = dict(params or {})
    by_name = {k.name: k for k in knobs}
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        allowed = ", ".join(by_name) or "none"
        raise ConfigError(f"Unknown knob(s) for {owner}: {', '.join(unknown)}. Its knobs: {allowed}.")
    out: dict[str, Any] = {}
    for name, knob in by_name.items():
        value = params.get(name, knob.default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{owner} knob '{name}' must be a number, got {value!r}.") from None
        if not math.isfinite(number):
            raise ConfigError(f"{owner} knob '{name}' must be a finite number, got {value}.")
        if not knob.low <= number <= knob.high:
            raise ConfigError(f"{owner} knob '{name}' must be between {knob.low:g} and {knob.high:g}, got {value}.")
        if knob.integer and number != int(number):
            raise ConfigError(f"{owner} knob '{name}' must be a whole number, got {value}.")
        out[name] = int(number) if knob.integer else number
    return out


def whole_number(value: Any, name: str, low: int, high: int) -> int:
    """A number from a form or an API call (int, float or text, maybe NaN or ±inf) as a whole number in range."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a whole number, got {str(value)[:40]!r}.") from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(f"{name} must be a whole number, got {number:g}.")
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low:,} and {high:,}, got {number:g}.")
    return int(number)
