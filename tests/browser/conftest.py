"""Browser fixtures: Debian's Chromium driven by Playwright (never ``playwright install``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A headless Chromium; skips (not root: cannot install it) or fails (root: CI must).

    Module scope, not session: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which would break every asyncio test that runs after."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/install-browser.sh (as root)"
        if os.geteuid() == 0:
            pytest.fail(message + "; we are root, so `make install` should have installed it")
        pytest.skip(message + "; not root, so it cannot be installed here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
