"""What the browser tests of the UI share: one headless Chromium per module."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: scripts/test.sh installs chromium")
        pytest.skip("no /usr/bin/chromium (scripts/test.sh installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()
