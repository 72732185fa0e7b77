"""The Compare tab's loss duel in headless Chromium: run A's settings, two losses, one click; the duel's curves
(STS-B, alignment, uniformity; never the loss values) and the pairs one loss places right and the other wrong."""

from __future__ import annotations

import re

import pytest
from browsing import pick

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_duel_from_run_a(url, browser):
    from playwright.sync_api import expect

    from lab import service
    from lab.config import RunConfig

    base = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=48, batch_size=16,
                     eval_steps=1, eval_max_pairs=40, lr=1e-3, logging_steps=1)
    first = service.manager().submit(base)  # the shared (owner-less) run the duel starts from
    assert service.manager().wait(first, 600) == "completed"
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#diff-a input").first).to_have_value(re.compile("mnrl"), timeout=30_000)  # the newest
    page.locator("#duel-box").get_by_text("Loss duel").first.click()
    page.locator("#duel-losses .token").filter(has_text="cosine").locator(".token-remove").click()
    pick(page, "duel-losses", "softmax")
    page.keyboard.press("Escape")
    page.locator("#duel-start").click()
    expect(page.locator("#duel-plot .js-plotly-plot")).to_be_visible(timeout=120_000)
    expect(page.locator("#duel-text")).to_contain_text("placed right by both", timeout=240_000)
    titles = page.evaluate("() => document.querySelector('#duel-plot .js-plotly-plot').layout.annotations"
                           ".map(a => a.text)")
    assert titles == ["STS-B spearman ↑", "alignment ↓", "uniformity ↓"]
    names = page.evaluate("() => [...new Set(document.querySelector('#duel-plot .js-plotly-plot').data"
                          ".map(t => t.name))]")
    assert len(names) == 2 and any("mnrl" in n for n in names) and any("softmax" in n for n in names)
    # another x axis: examples seen
    page.locator("#duel-x").get_by_text("examples seen").click()
    page.wait_for_function("() => document.querySelector('#duel-plot .js-plotly-plot').layout.xaxis.title.text"
                           " === 'examples seen'", timeout=30_000)
    page.close()
