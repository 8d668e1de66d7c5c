"""First-run setup in a real browser: a daemon whose settings.json has no Blizzard credentials yet, the
fake Blizzard server, a sandbox install. The player enters the credentials (a wrong secret first: the
refusal shows at the field), follows a realm found by search, sees the installs, turns merging on for one
profile, and the Overview then shows it applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browserkit import WAIT, chromium, expect, login, shot, without_credentials
from daemon_harness import Daemon

from tsmsyncd.blizzard.fake import FakeBlizzard


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=600, realm_rows=400) as fake:
        d = Daemon(tmp_path, fake)
        without_credentials(d)
        await d.start()
        try:
            yield d
        finally:
            await d.stop()


async def test_first_run_setup_to_applied(daemon: Daemon, tmp_path: Path) -> None:
    _, status = await daemon.api("GET", "/api/v1/status")
    assert status["setup"]["credentials"] is False
    async with chromium(tmp_path / "profile") as context:
        page = await context.new_page()
        await login(page, daemon)
        await expect(page.locator("h1")).to_have_text("Set up tsmsyncd")  # the first run lands here by itself

        step1 = page.locator('.step[data-step="1"]')
        await step1.get_by_label("Client ID").fill("fake-client-id")
        await step1.get_by_label("Client secret").fill("not-the-secret")
        await step1.get_by_role("button", name="Check and save").click()
        refusal = step1.locator('.field[data-field="client_secret"] .field-error')
        await expect(refusal).to_contain_text("Blizzard refused")
        await step1.get_by_label("Client secret").fill("fake-client-secret")
        await step1.get_by_role("button", name="Check and save").click()
        saved = page.locator('.step[data-step="1"] .notice.ok')
        await expect(saved).to_contain_text("Blizzard accepted", timeout=WAIT)
        await expect(saved).to_contain_text("Fetching market data now")  # no waiting for the schedule
        await expect(page.locator('.step[data-step="1"]')).to_have_class("card step done")

        step2 = page.locator('.step[data-step="2"]')
        await step2.locator(".realm-query").fill("kil'j")
        found = step2.locator(".realm-list li", has_text="Kil'jaeden")
        await expect(found).to_be_visible(timeout=WAIT)  # the realm index comes from Blizzard on first use
        await found.get_by_role("button", name="Follow").click()
        await expect(step2.locator(".notice.ok")).to_contain_text("Following Kil'jaeden")
        _, settings = await daemon.api("GET", "/api/v1/settings")
        assert settings["realms"] == [9]
        assert settings["client_secret"] == "(set)"

        await expect(page.locator('.step[data-step="3"]')).to_contain_text("Retail")
        await shot(page, "setup")

        targets = [t for t in await daemon.targets() if t["flavor"] == "retail"]
        target = next(t for t in targets if t["account"] == "314159265#1")
        row = page.locator(f'.setup-target[data-target-id="{target["id"]}"]')
        await row.locator("label", has_text="Merge").click()
        await expect(row.locator(".mode-status")).to_contain_text("Merging on")
        step4 = page.locator('.step[data-step="4"]')
        await expect(step4).to_contain_text("Nothing is ever written while World of Warcraft runs")
        await shot(page, "setup-merging", top=False)
        await page.get_by_role("link", name="Done: go to the Overview").click()

        await expect(page.locator("h1")).to_have_text("Overview")
        card = page.locator(f'.target-card[data-target-id="{target["id"]}"]')
        await expect(card.locator(".chip")).to_have_text("Merging on")
        await expect(card.locator(".badge")).to_have_text("Applied", timeout=WAIT)
        _, status = await daemon.api("GET", "/api/v1/status")
        assert status["setup"] == {**status["setup"], "credentials": True, "merging": 1}
