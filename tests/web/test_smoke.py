"""The browser starts, the page loads over the real daemon with no console error, and a page whose
cookie is missing or stale (the daemon restarted: new token) says how to open tsmsyncd again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browserkit import chromium, expect, login, shot
from daemon_harness import Daemon

from tsmsyncd.blizzard.fake import FakeBlizzard

log = logging.getLogger(__name__)

REOPEN = "Open tsmsyncd again from the tray menu or with tsmsyncd open."


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=200, realm_rows=100) as fake:
        d = Daemon(tmp_path, fake)
        await d.start()
        try:
            yield d
        finally:
            await d.stop()


async def test_the_browser_starts_and_the_page_loads(daemon: Daemon, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as context:
        assert context.browser is not None
        log.warning("Chromium %s", context.browser.version)  # Playwright does not guarantee Debian's build
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await login(page, daemon, "overview")
        await expect(page.locator("h1")).to_have_text("Overview")
        await expect(page.locator(".target-card").first).to_be_visible()
        await expect(page.locator("#daemon-status .badge")).to_be_visible()
        assert not [e for e in errors if "404" not in e], errors


async def test_without_the_cookie_the_page_says_how_to_open_it_again(daemon: Daemon, tmp_path: Path) -> None:
    """No cookie at all: the page never had a login (or it expired)."""
    async with chromium(tmp_path / "profile") as context:
        page = await context.new_page()
        await page.goto(daemon.info["url"] + "/")
        message = page.locator("#auth-lost")
        await expect(message).to_be_visible()
        await expect(message.locator(".lead")).to_have_text(REOPEN)


async def test_a_stale_cookie_answered_403_shows_the_same_page(daemon: Daemon, tmp_path: Path) -> None:
    """A cookie from an earlier daemon process: the API answers 403, the page stops and says why."""
    async with chromium(tmp_path / "profile") as context:
        page = await context.new_page()
        await login(page, daemon, "overview")
        await expect(page.locator(".target-card").first).to_be_visible()
        await context.add_cookies([{"name": "tsmsyncd-csrf", "value": "x" * 43, "url": daemon.info["url"]}])
        # Any call now answers 403. A call of the page's own (an event from the daemon's refresh) may meet it
        # before this click and take the page, button and all, to the same answer: so click only if it is there.
        await page.evaluate("document.querySelector('#pause-button')?.click()")
        await expect(page.locator("#auth-lost .lead")).to_have_text(REOPEN)
        await shot(page, "reopen")
