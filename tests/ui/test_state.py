"""lab/ui/state.py: a dropdown's pick is answered once per page (gradio 6 sends its `input` twice), and only the
repeat of the same values from the same page is skipped."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from lab.ui import state


def _counting(n_outputs: int):
    calls: list[tuple] = []

    def fn(*values):
        calls.append(values)
        return [f"set from {values}"] * n_outputs if n_outputs > 1 else f"set from {values}"

    return fn, calls


def _is_skip(value) -> bool:
    return value == gr.skip()


def test_the_same_pick_from_the_same_page_is_answered_once():
    fn, calls = _counting(3)
    handler = state.once_per_pick(fn, 3)
    page = SimpleNamespace(session_hash="page-1")
    assert handler(page, "Training helps") == ["set from ('Training helps',)"] * 3
    second = handler(page, "Training helps")
    assert len(second) == 3 and all(_is_skip(v) for v in second)
    assert calls == [("Training helps",)]


def test_another_value_another_page_or_no_page_is_answered():
    fn, calls = _counting(1)
    handler = state.once_per_pick(fn, 1)
    one, two = SimpleNamespace(session_hash="page-a"), SimpleNamespace(session_hash="page-b")
    handler(one, "mnrl")
    assert _is_skip(handler(one, "mnrl"))  # one output: a bare skip
    assert handler(one, "cosine") == "set from ('cosine',)"
    assert handler(two, "mnrl") == "set from ('mnrl',)"
    assert handler(None, "mnrl") == handler(None, "mnrl") == "set from ('mnrl',)"  # no page: never skipped
    assert [c[0] for c in calls] == ["mnrl", "cosine", "mnrl", "mnrl", "mnrl"]


def test_the_same_pick_later_is_answered_again_and_old_picks_are_forgotten(monkeypatch):
    fn, calls = _counting(1)
    handler = state.once_per_pick(fn, 1)
    page = SimpleNamespace(session_hash="page-later")
    handler(page, "SBERT original")
    monkeypatch.setattr(state, "REPEAT_PICK_S", 0.0)  # the window has passed
    assert handler(page, "SBERT original") == "set from ('SBERT original',)"
    assert len(calls) == 2
    assert all(key[0] == "page-later" for key in state._picks)  # what expired is gone, not kept for ever


def test_a_handler_keeps_its_name_for_the_api_and_its_docs():
    def on_thing(value):
        """Set the thing."""
        return value

    handler = state.once_per_pick(on_thing, 1)
    assert handler.__name__ == "on_thing" and handler.__doc__ == "Set the thing."


@pytest.mark.browser
@pytest.mark.slow
def test_a_mouse_pick_in_the_browser_runs_the_handler_once(browser):
    """Gradio dispatches a Dropdown's `input` twice for one mouse pick; the wrapped handler runs once per pick."""
    from browsing import pick
    from playwright.sync_api import expect

    fn, calls = _counting(1)
    with gr.Blocks() as demo:
        choice = gr.Dropdown(["alpha", "beta"], value=None, elem_id="choice")
        out = gr.Textbox(elem_id="out")
        choice.input(state.once_per_pick(fn, 1), choice, out, queue=False)
    _, url, _ = demo.launch(prevent_thread_lock=True, server_port=None, ssr_mode=False, quiet=True)
    try:
        page = browser.new_page()
        page.goto(url)
        pick(page, "choice", "beta")
        expect(page.locator("#out textarea")).to_have_value("set from ('beta',)", timeout=15_000)
        pick(page, "choice", "alpha")
        expect(page.locator("#out textarea")).to_have_value("set from ('alpha',)", timeout=15_000)
        page.wait_for_timeout(1000)  # the second dispatches have had time to arrive
        assert calls == [("beta",), ("alpha",)]
        page.close()
    finally:
        demo.close()
