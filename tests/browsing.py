"""Small helpers for driving the app in headless Chromium (imported as `browsing`: tests/ is on sys.path)."""

from __future__ import annotations


def pick(page, elem_id: str, option: str) -> None:
    """Choose `option` (visible text, substring) in a gradio Dropdown."""
    page.locator(f"#{elem_id} input").first.click()
    page.get_by_role("option").filter(has_text=option).first.click()


def pick_preset(page, name: str) -> None:
    """Choose a Train-tab preset and wait until the server has set the form from it (its lesson shows): an edit
    made before that would be overwritten by the preset's values when they arrive."""
    from playwright.sync_api import expect

    pick(page, "preset", name)
    expect(page.locator("#preset-lesson")).to_contain_text("Lesson", timeout=60_000)


def fill(page, key: str, value: str) -> None:
    """Type into a Train-form field (elem id `form-<key>`) and leave it, so its change event fires."""
    box = page.locator(f"#form-{key} input").first
    box.fill(value)
    box.press("Tab")


def points(page, elem_id: str) -> int:
    """How many data points the Vega line plot draws (its tooltip-carrying symbols/paths)."""
    return page.evaluate(
        """id => { const v = document.querySelector('#' + id + ' .vega-embed');
                   if (!v) return 0; const p = v.querySelectorAll('.mark-line path, .mark-symbol path');
                   return p.length; }""",
        elem_id,
    )


def legend(page, elem_id: str) -> list[str]:
    """The legend labels a Vega chart draws, in order."""
    return page.evaluate(
        """id => [...document.querySelectorAll('#' + id + ' .role-legend-label text')].map(t => t.textContent)""",
        elem_id,
    )


def open_train_tab(browser, url: str, width: int = 1400, height: int = 1000):
    """A new page on the app, once its Start button is enabled (the page has its browser id)."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    expect(page.locator("#start")).to_be_enabled(timeout=30_000)
    return page


def set_form(page, model: str = "tiny-bert", **fields: str) -> None:
    """Pick the model, then type each field (recipe and loss are picked from their dropdowns)."""
    pick(page, "form-model", model)
    for key in ("recipe", "loss"):
        if key in fields:
            pick(page, f"form-{key}", fields.pop(key))
    for key, value in fields.items():
        fill(page, key, value)
