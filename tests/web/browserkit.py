"""What the browser tests share: Chromium launched as reference §6 says, the browser's login through
``POST /api/v1/logins``, screenshots (into docs/screenshots/ with ``make screenshots``), and a daemon on the
sandbox install."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from daemon_harness import Daemon

try:
    from playwright.async_api import BrowserContext, Page, async_playwright, expect
except ImportError:  # conftest skips (or fails under CI) every test with one line saying so
    BrowserContext = Page = Any  # type: ignore[misc,assignment]
    async_playwright = expect = None  # type: ignore[assignment]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The README's pictures are retaken only when asked (TSMSYNCD_SCREENSHOTS=1): a plain `make test` must not leave
# the clone changed. Otherwise they go to a folder of their own beside the other test files.
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
               if os.environ.get("TSMSYNCD_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "tsmsyncd-screenshots")
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 420, "height": 860}
WAIT = 60_000  # ms: a refresh or an apply on the real daemon; expectations return as soon as they hold

if expect is not None:
    expect.set_options(timeout=15_000)


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """Debian's Chromium with a fresh user-data-dir (``profile``), 1280x800."""
    profile.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True, viewport=WIDE,
            locale="en-US", timezone_id="UTC")
        try:
            yield context
        finally:
            await context.close()


async def login(page: Page, daemon: Daemon, hash_route: str = "") -> None:
    """The browser's real login: a one-time path from the API (with the key), then the page opens it,
    gets the cookie and lands on ``/``."""
    status, body = await daemon.api("POST", "/api/v1/logins")
    assert status == 201, body
    url = daemon.info["url"]
    await page.goto(url + body["path"])
    await expect(page.locator("#nav")).to_be_visible()
    if hash_route:
        await page.goto(f"{url}/#/{hash_route}")


async def shot(page: Page, name: str, *, top: bool = True) -> Path:
    """docs/screenshots/<name>.png of what the viewport shows now (scrolled to the top unless ``top`` is
    false: a click may have scrolled the page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if top:
        await page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


async def dismiss_toasts(page: Page) -> None:
    """Click every toast away (all at once: one may leave by itself meanwhile), so a picture shows the page."""
    await page.evaluate("document.querySelectorAll('.toast').forEach((t) => t.click())")
    await expect(page.locator(".toast")).to_have_count(0)


def without_credentials(daemon: Daemon) -> None:
    """settings.json as a first run has it: the fake Blizzard's addresses, no client id or secret."""
    path = daemon.home / "settings.json"
    settings: dict[str, Any] = json.loads(path.read_text())
    settings.pop("client_id", None)
    settings.pop("client_secret", None)
    path.write_text(json.dumps(settings))


def retail(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Retail targets with a realm, the ones the groups and market pages show."""
    return [t for t in targets if t["flavor"] == "retail" and t["realm"]]


def realm_key(target: dict[str, Any]) -> str:
    realm = target["realm"]
    return f"{realm['region']}/{target['flavor']}/{realm['connected_realm_id']}"
