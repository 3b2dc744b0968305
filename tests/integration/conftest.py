"""Integration-test hooks: the background worker of the ten-minute log test.

When ``test_ten_minute_worker_log.py`` is collected (and not deselected), one ``LiveRun``
starts right after collection, that test is moved to the end of the session so that the
rest of the suite runs meanwhile, and the run is stopped when the session ends, passed,
failed or interrupted. See ``live_run.py``.
"""

from __future__ import annotations

import atexit

import pytest

from tests.integration.live_run import LiveRun

LIVE_TEST_FILE = "test_ten_minute_worker_log.py"
LIVE_RUN = pytest.StashKey[LiveRun]()


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: start only when it will run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [item for item in items if item.path.name == LIVE_TEST_FILE]
    if not live or config.option.collectonly:
        return
    items[:] = [item for item in items if item.path.name != LIVE_TEST_FILE] + live
    run = LiveRun.start()
    atexit.register(run.stop)  # also when pytest dies before sessionfinish
    config.stash[LIVE_RUN] = run


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(LIVE_RUN, None)
    if run is not None:
        run.stop()


@pytest.fixture(scope="session")
def live_run(request: pytest.FixtureRequest) -> LiveRun:
    """The background run started at collection (see the module docstring)."""
    run = request.config.stash.get(LIVE_RUN, None)
    if run is None:
        pytest.fail("the live run did not start (was the test collected under another name?)")
    return run
