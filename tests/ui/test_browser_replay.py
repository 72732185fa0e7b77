"""The room's replay in headless Chromium: a run the instructor published plays back in the Compare tab with its
teaching views, for a participant who never trained it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_published_run_replays_with_its_views(url, browser):
    from playwright.sync_api import expect

    from lab import service
    from lab.config import RunConfig

    config = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=96, batch_size=16,
                       eval_steps=3, eval_max_pairs=40, lr=1e-3, logging_steps=1)
    run_id = service.manager().submit(config, owner="instructor-run")
    assert service.manager().wait(run_id, 600) == "completed"
    service.replay.publish([run_id])
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    page.locator("#replay-box").get_by_text("Room replay").first.click()
    expect(page.locator("#replay-batch .js-plotly-plot")).to_be_visible(timeout=60_000)
    expect(page.locator("#replay-map .js-plotly-plot")).to_be_visible()
    expect(page.locator("#replay-geometry-note")).to_contain_text("uniformity")
    # the Train tab's own panel is untouched: this browser has no run of its own
    expect(page.locator("#views-empty")).to_contain_text("Start a run")
    page.close()
