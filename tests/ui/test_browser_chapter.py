"""The Compare tab's "Reproduce the chapter" in headless Chromium (tiny sizes): one click queues the chapter's runs,
the table fills in beside the chapter's published numbers as they finish, and the overlay draws the set's runs."""

from __future__ import annotations

import pytest
from browsing import legend

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_one_click_reproduces_the_chapter_in_the_compare_tab(url, browser, monkeypatch):
    from playwright.sync_api import expect

    from lab.service import chapter

    tiny = chapter.Size("lab-plain-bert", "tiny test sizes",
                        {"epochs": 1.0, "batch_size": 16, "lr": 1e-3, "max_train_samples": 32,
                         "data_source": "offline"}, {"lr": 2e-5, "max_train_samples": 16}, 77)
    monkeypatch.setitem(chapter.SIZE, "cpu", tiny)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    page.locator("#chapter-box").get_by_text("Reproduce the chapter").first.click()  # open the accordion
    page.locator("#chapter-start").click()
    table = page.locator("#chapter-table")
    expect(table).to_contain_text("MNRL from random weights", timeout=60_000)
    expect(table).to_contain_text("the chapter: T4 GPU")
    # the timer keeps the table current until every run (and the Banking77 evaluation) has finished
    page.wait_for_function(
        "() => { const t = document.querySelector('#chapter-table').innerText;"
        " return !/queued|running/.test(t) && /Banking77 accuracy of that model\\s+0\\.\\d{3}/.test(t); }",
        timeout=400_000)
    text = table.inner_text()
    for line in text.splitlines():
        if line.startswith(("Softmax", "Cosine", "MNRL")):
            assert line.count("0.") >= 2, line  # before and after, as numbers
    assert "0.451" in text and "0.811" in text  # the chapter's own column
    # the overlay holds the set's five runs, one legend entry each, in the drawn chart
    page.wait_for_function("() => document.querySelectorAll('#compare-eval .role-legend-label text').length == 5",
                           timeout=60_000)
    labels = " ".join(legend(page, "compare-eval"))
    for loss in ("softmax", "cosine", "mnrl"):
        assert loss in labels
    # a second click while nothing runs starts a new set; while one runs it shows that one (not tested here)
    page.close()
