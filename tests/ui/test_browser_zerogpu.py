"""ZeroGPU mode in headless Chromium, on the simulation of ZeroGPU's semantics (LAB_ZEROGPU=simulate: each run one
call forked into a child): the plan names the GPU seconds and what a reload does; Start → live charts → result; a
reload mid-run leaves it interrupted with its curve; a run too long for one call is refused with what would fit."""

from __future__ import annotations

import os
import time

import helpers
import pytest
from browsing import open_train_tab, points, set_form

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """The app in ZeroGPU mode (simulated), launched in-process with its own run store."""
    from lab.service import defaults

    os.environ.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", LAB_ZEROGPU="simulate",
                      LAB_RUNS_DIR=str(tmp_path_factory.mktemp("runs")),
                      GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp("gradio")))
    defaults._profile = None  # the hardware profile is read again: ZeroGPU's
    from lab.ui.app import build_app, launch

    helpers.reset_service()
    demo = build_app()
    local_url = launch(demo, quiet=True, server_port=None)
    yield local_url
    from lab import service

    deadline = time.monotonic() + 120  # the warm-up thread must not be inside torch when the interpreter exits
    while not service.WARMUP.all_done() and time.monotonic() < deadline:
        time.sleep(0.5)
    demo.close()
    helpers.reset_service()
    os.environ.pop("LAB_ZEROGPU")
    defaults._profile = None


def test_start_trains_in_a_gpu_call_with_live_charts_and_a_result(url, browser):
    from playwright.sync_api import expect

    page = open_train_tab(browser, url)
    expect(page.locator("#start")).to_contain_text("ZeroGPU")
    expect(page.locator("#start-cpu")).to_be_visible()
    set_form(page, max_train_samples="160", eval_steps="2", eval_max_pairs="40", logging_steps="1")
    plan = page.locator("#estimate")
    expect(plan).to_contain_text("asks for", timeout=30_000)
    expect(plan).to_contain_text("a reload or a closed tab ends the GPU call")
    expect(plan).to_contain_text("On this Space's CPU instead")
    page.locator("#start").click()
    expect(page.locator("#status")).to_contain_text("Training", timeout=120_000)
    page.wait_for_function("() => document.querySelectorAll('#loss-plot .mark-line path').length > 0",
                           timeout=120_000)  # a live chart while the call runs
    expect(page.locator("#status")).to_contain_text("Done", timeout=240_000)
    expect(page.locator("#sts-table")).to_be_visible(timeout=30_000)
    assert points(page, "loss-plot") > 0 and points(page, "eval-plot") > 0
    expect(page.locator("#source")).to_contain_text("on cpu")  # the simulated call has no GPU: CPU, in the child
    page.close()


def test_a_reload_mid_run_ends_the_call_and_keeps_the_curve(url, browser):
    from playwright.sync_api import expect

    page = open_train_tab(browser, url)
    set_form(page, max_train_samples="4000", eval_steps="0", eval_max_pairs="40", logging_steps="1")
    page.locator("#start").click()
    page.wait_for_function("() => document.querySelectorAll('#loss-plot .mark-line path').length > 0",
                           timeout=120_000)
    page.reload()
    status = page.locator("#status")
    expect(status).to_contain_text("Interrupted", timeout=60_000)
    expect(status).to_contain_text("reloaded or closed during this run's ZeroGPU call")
    assert points(page, "loss-plot") > 0  # the curve so far
    page.close()


def test_a_run_too_long_for_one_call_is_refused_with_what_would_fit(url, browser):
    from playwright.sync_api import expect

    page = open_train_tab(browser, url)
    set_form(page, model="all-MiniLM", epochs="40", eval_steps="0")  # ~8,500 steps: far over one call
    expect(page.locator("#estimate")).to_contain_text("Too long for one call", timeout=30_000)
    page.locator("#start").click()
    toast = page.locator(".toast-body")
    expect(toast.first).to_contain_text("ZeroGPU refused this run", timeout=30_000)
    expect(toast.first).to_contain_text("Max train samples ≤")
    expect(page.locator("#status")).to_contain_text("No run yet")  # nothing was started
    page.close()
