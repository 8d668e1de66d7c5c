"""Browser tests of the web UI: Playwright's async API driving Debian's Chromium against a real
``tsmsyncd run --headless`` process (tests/daemon_harness.py), a sandbox install and the fake Blizzard
server in the test's own loop.

Without /usr/bin/chromium (or the playwright package) every test here skips with one line, except under
``TSMSYNCD_CI=1``, where that is a failure: CI installs Chromium (.ci/run) and must run them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# browserkit; appended, not first: other tests import the root conftest by its name
sys.path.append(str(Path(__file__).resolve().parent))

CHROMIUM = Path("/usr/bin/chromium")


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[test]')"
    return None


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("TSMSYNCD_CI") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
