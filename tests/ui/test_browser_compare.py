"""The Compare tab in headless Chromium: the overlay charts draw exactly the runs picked, as they are added,
removed and swapped — checked on the drawn chart (its legend and lines), not on the server's answer."""

from __future__ import annotations

import pytest
from browsing import legend, pick
from helpers import fake_stored_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUNS = {  # run id -> (config, loss curve, STS-B after, status)
    "c1" * 12: ({"model": "tiny-bert", "recipe": "nli-triplets", "loss": "mnrl"}, [3.0, 2.5, 2.0, 1.8], 0.61,
                "completed"),
    "c2" * 12: ({"model": "tiny-bert", "recipe": "nli-scores", "loss": "cosine"}, [0.3, 0.25, 0.2, 0.18], 0.58,
                "completed"),
    "c3" * 12: ({"model": "tiny-bert", "recipe": "nli-3class", "loss": "softmax"}, [1.1, 1.09, 1.08, 1.07], 0.45,
                "completed"),
    "c4" * 12: ({"model": "tiny-bert", "recipe": "nli-triplets", "loss": "triplet"}, [4.4, 4.4], 0.40,
                "cancelled"),
}


def _legend_losses(page, elem_id: str) -> list[str]:
    return sorted(label.split(" · ")[0] for label in legend(page, elem_id))


def test_the_overlay_follows_the_picked_runs(url, browser):
    from playwright.sync_api import expect

    from lab import service

    for i, (run_id, (config, losses, after, status)) in enumerate(RUNS.items()):
        fake_stored_run(service.store(), run_id, config, losses, after, status)
        service.store().update_meta(run_id, created=1_000 + i)  # c4 newest, then c3, c2, c1
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#compare-pick")).to_contain_text("softmax", timeout=30_000)
    # the default: the two newest *completed* runs (the cancelled one is left out)
    page.wait_for_function("() => document.querySelectorAll('#compare-loss .role-legend-label text').length == 2",
                           timeout=30_000)
    assert _legend_losses(page, "compare-loss") == ["cosine", "softmax"]
    assert _legend_losses(page, "compare-eval") == ["cosine", "softmax"]
    # add a run: it is drawn, with a legend entry, in both charts
    pick(page, "compare-pick", "mnrl")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelectorAll('#compare-loss .role-legend-label text').length == 3",
                           timeout=30_000)
    assert _legend_losses(page, "compare-loss") == ["cosine", "mnrl", "softmax"]
    assert _legend_losses(page, "compare-eval") == ["cosine", "mnrl", "softmax"]
    assert page.locator("#compare-loss .mark-line path").count() == 3
    # remove one and add another (a swap): the chart holds exactly the picked runs
    page.locator("#compare-pick .token").filter(has_text="softmax").locator(".token-remove").click()
    pick(page, "compare-pick", "triplet")
    page.keyboard.press("Escape")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#compare-loss .role-legend-label text')]"
        ".some(t => t.textContent.startsWith('triplet'))", timeout=30_000)
    assert _legend_losses(page, "compare-loss") == ["cosine", "mnrl", "triplet"]
    assert _legend_losses(page, "compare-eval") == ["cosine", "mnrl", "triplet"]
    page.close()
