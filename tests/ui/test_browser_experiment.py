"""A shareable experiment in headless Chromium: Compare → "Share run A" gives a link and YAML; the link opens the app
with run A's settings in the Train form (knobs included) and the version traps spelled out; pasted YAML does the
same, and bad YAML gets one clear message."""

from __future__ import annotations

import re

import pytest
from browsing import pick_preset
from helpers import fake_stored_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_share_a_run_and_open_it_elsewhere(url, browser):
    from playwright.sync_api import expect

    from lab import service
    from lab.config import RunConfig

    config = RunConfig(model="tiny-bert", recipe="nli-3class", loss="softmax", batch_size=24, lr=3e-4, seed=11,
                       max_train_samples=640)
    run_id = "e1" * 12
    fake_stored_run(service.store(), run_id, config.to_dict(), [1.1, 1.0], 0.6)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#diff-a input").first).to_have_value(re.compile("softmax"), timeout=30_000)
    page.locator("#share-a").click()
    expect(page.locator("#share-link a")).to_be_visible(timeout=30_000)
    link = page.locator("#share-link a").get_attribute("href")
    assert link.startswith("?experiment=")
    yaml_text = page.locator("#share-yaml").inner_text()
    assert "loss: softmax" in yaml_text and "seed: 11" in yaml_text
    # the link: a new page whose Train form holds run A's settings
    other = browser.new_page(viewport={"width": 1400, "height": 1100})
    other.goto(url.rstrip("/") + "/" + link)
    expect(other.locator("#preset-lesson")).to_contain_text("Loaded an experiment", timeout=60_000)
    expect(other.locator("#form-batch_size input")).to_have_value("24")
    expect(other.locator("#form-seed input")).to_have_value("11")
    expect(other.locator("#form-loss input").first).to_have_value(re.compile("softmax"))
    expect(other.locator("#estimate")).to_contain_text("Plan", timeout=30_000)
    # pasted YAML with an old sentence-transformers, over a preset: the Softmax trap is named, the preset cleared
    pick_preset(other, "Training helps")
    other.locator("#experiment-box").get_by_text("Load an experiment").first.click()
    box = other.locator("#experiment-text textarea")
    shared = service.experiment.to_yaml(service.experiment.of_run(run_id))  # what the page shows (the editor's
    box.fill(shared.replace("versions: {}", "versions:\n  sentence-transformers: 3.0.1"))  # text has line numbers)
    other.locator("#experiment-load").click()
    expect(other.locator("#preset-lesson")).to_contain_text("#2872", timeout=30_000)
    expect(other.locator("#form-loss input").first).to_have_value(re.compile("softmax"))
    expect(other.locator("#preset input").first).to_have_value("")  # the form is the experiment's, no preset's
    box.fill("lab_experiment: 1\nconfig: {loss: nope}")
    other.locator("#experiment-load").click()
    expect(other.locator(".toast-body")).to_contain_text("Unknown loss", timeout=30_000)
    page.close()
    other.close()
