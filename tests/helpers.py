"""Plain helpers shared by test modules (imported as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from typing import Any


def train_form_values(**changes: Any) -> list[Any]:
    """The Train tab's Start values in `form_inputs` order: the defaults on tiny-bert, with `changes` applied."""
    from lab import service
    from lab.ui import train_tab

    form = {**service.DEFAULT_FORM, "hub_id": "", "upload_id": "", "model": "tiny-bert", **changes}
    knobs = [service.knob_info(k)[0] for k in train_tab.KNOB_KEYS]
    rknobs = [service.recipe_knob_info(k)[0] for k in train_tab.RECIPE_KNOB_KEYS]
    return [form[k] for k in train_tab.FORM_KEYS] + knobs + rknobs
