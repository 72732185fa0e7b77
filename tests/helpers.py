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


def serve_fake_runs(runs_dir, runner, gate, monkeypatch):
    """Generator body for a fixture: service.manager() is a JobManager on `runs_dir` that runs `runner` (a fake
    that waits on `gate`); the gate is opened and the manager closed afterwards."""
    from lab import service
    from lab.store import RunStore
    from lab.training.jobs import JobManager

    service.reset_for_tests()
    manager = JobManager(RunStore(runs_dir), runner=runner)
    monkeypatch.setattr(service.jobs, "_manager", manager)
    gate.clear()
    yield manager
    gate.set()
    manager.close()
    monkeypatch.setattr(service.jobs, "_manager", None)
