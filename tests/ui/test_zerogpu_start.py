"""The ZeroGPU Start handler (lab/ui/zerogpu.py), called as gradio calls it: however it ends, its run does not stay
running; a run too long for one call stores nothing."""

from __future__ import annotations

import gradio as gr
import helpers
import pytest

from lab import service
from lab.ui import train_form, zerogpu

OWNER = "cd" * 16


@pytest.fixture(autouse=True)
def _simulated(monkeypatch):
    monkeypatch.setenv("LAB_ZEROGPU", "simulate")
    helpers.reset_service()
    yield
    helpers.reset_service()


def test_a_page_closed_right_after_start_leaves_an_interrupted_run():
    handler = zerogpu.start_on_gpu(None, OWNER, **helpers.train_form_values(max_train_samples=64))
    run_id = next(handler)[0]  # the page now follows this run…
    assert service.snapshot(run_id, OWNER).status == "running"
    handler.close()  # …and is closed before the call began (what gradio does to the handler)
    snap = service.snapshot(run_id, OWNER)
    assert snap.status == "interrupted" and snap.message == service.zerogpu.INTERRUPTED


def test_a_run_too_long_for_one_call_is_refused_and_nothing_is_stored(monkeypatch):
    monkeypatch.setenv("LAB_ZEROGPU_MAX_S", "30")
    values = helpers.train_form_values(model="all-MiniLM-L6-v2", max_train_samples=0, epochs=20)  # 0: all rows
    warned: list[str] = []
    monkeypatch.setattr(gr, "Warning", warned.append)
    outputs = list(zerogpu.start_on_gpu(None, OWNER, **values))
    assert len(outputs) == 1 and all(isinstance(o, dict) and o.get("__type__") == "update" for o in outputs[0])
    assert warned and warned[0].startswith("ZeroGPU refused this run")
    assert service.store().run_ids() == []
    config = service.uploads.build_run_config(*train_form.split_form(values), OWNER)
    assert config.max_train_samples is None and service.zerogpu.gpu_plan(config).rows > 6_000  # all rows, counted
