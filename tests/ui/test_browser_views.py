"""The teaching views in headless Chromium: a tiny-bert MNRL run started from the Train tab (with a probe pair the
user typed) shows its in-batch matrix, geometry and probe-pair charts under the run's charts, the Play button steps
the matrix through training in the browser, and a reload replays them from the store."""

from __future__ import annotations

import pytest
from browsing import open_train_tab, pick_preset, set_form

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _matrix_title(page) -> str:
    return page.evaluate("() => document.querySelector('#view-batch .js-plotly-plot').layout.title.text")


def test_the_views_of_a_run_live_and_after_a_reload(url, browser):
    from playwright.sync_api import expect

    page = open_train_tab(browser, url, 1400, 1200)
    pick_preset(page, "Training helps")  # tiny-bert, MNRL; the form is the preset's before it is edited
    set_form(page, max_train_samples="256", eval_max_pairs="40", eval_steps="2", logging_steps="1")
    page.get_by_text("More settings").click()
    box = page.locator("#form-probe_pairs textarea").first
    box.fill("A cat sits on the mat. | A kitten rests on a rug.")
    box.press("Tab")
    page.wait_for_timeout(1000)  # the typed pairs reach the form's value before Start reads it
    expect(box).to_have_value("A cat sits on the mat. | A kitten rests on a rug.")  # no late answer reset it
    page.locator("#start").click()
    expect(page.locator("#view-batch .js-plotly-plot")).to_be_visible(timeout=120_000)  # while it trains, or at once
    expect(page.locator("#status")).to_contain_text("Done", timeout=240_000)
    expect(page.locator("#view-batch-note")).to_contain_text("top-1", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#view-batch .js-plotly-plot')?.layout.sliders[0].steps"
                           ".length >= 3", timeout=30_000)
    expect(page.locator("#view-geometry .js-plotly-plot")).to_be_visible()
    expect(page.locator("#view-geometry-note")).to_contain_text("uniformity")
    expect(page.locator("#view-probes .js-plotly-plot")).to_be_visible()
    page.wait_for_function("() => document.querySelector('#view-probes .js-plotly-plot').data"
                           ".filter(t => (t.line || {}).dash === 'dash').length === 1", timeout=30_000)  # yours
    # Play: the matrix steps from the base model's snapshot to the last, in the page (no server call)
    last = _matrix_title(page)
    assert last.startswith("step ") and not last.startswith("step 0:")
    page.locator("#view-batch-play").click()
    page.wait_for_function("() => document.querySelector('#view-batch .js-plotly-plot').layout.title.text"
                           ".startsWith('step 0:')", timeout=5_000)
    page.wait_for_function(f"() => document.querySelector('#view-batch .js-plotly-plot').layout.title.text === "
                           f"{last!r}", timeout=30_000)
    # a drag across the start of the loss curve shows the map at the nearest snapshot (the base model's)
    expect(page.locator("#view-map .js-plotly-plot")).to_be_visible()
    map_title = "() => document.querySelector('#view-map .js-plotly-plot').layout.title.text"
    assert "final model" in page.evaluate(map_title)
    page.locator("#loss-plot").scroll_into_view_if_needed()  # Play scrolled the page down to the matrix
    box = page.locator("#loss-plot .mark-line path").first.bounding_box()  # the curve: the plot's data area
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.12, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=8)
    page.mouse.up()
    page.wait_for_function("() => !document.querySelector('#view-map .js-plotly-plot').layout.title.text"
                           ".includes('final model')", timeout=30_000)
    # a reload: the same views, from the store
    page.reload()
    expect(page.locator("#view-batch .js-plotly-plot")).to_be_visible(timeout=60_000)
    assert _matrix_title(page) == last
    page.close()
