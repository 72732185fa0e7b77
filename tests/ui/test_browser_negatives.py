"""The Hard negatives tab in headless Chromium: its advice on seeing false negatives is true."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_negative_margin_lets_likely_false_negatives_through(url, browser):
    """With the default margin none pass; with margin -0.3 and max_score 1 (what the tab's note says) some do."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Hard negatives").click()
    expect(page.locator("#neg-go")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("set margin to -0.3 and max_score to 1")).to_be_visible()

    def run(margin: str, max_score: str) -> int:
        for name, value in (("margin", margin), ("max_score", max_score)):
            box = page.locator(f"#neg-{name} input").first
            box.fill(value)
            box.press("Tab")
        before = page.locator("#neg-summary").inner_text()
        page.locator("#neg-go").click()
        page.wait_for_timeout(300)
        page.wait_for_function(  # the answer to this click: no "processing" tracker left, and new text
            "prev => { const box = document.querySelector('#neg-summary');"
            " const t = box.innerText; return !box.querySelector('.progress-text')"
            " && t.includes('likely false negatives') && t !== prev; }", arg=before, timeout=240_000)
        text = page.locator("#neg-summary").inner_text()
        return int(re.search(r"([\d,]+) likely false negatives", text).group(1).replace(",", ""))

    assert run("0.05", "0.85") == 0
    found = run("-0.3", "1")
    assert found > 0
    page.close()
