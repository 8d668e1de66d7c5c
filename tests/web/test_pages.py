"""Every page of the web UI in a real browser, on one warmed daemon (a real process on the sandbox
install, the fake Blizzard in this module's loop). The tests run in file order and build on each other:
merging on and a live update first, then apply and undo, a restore, a rule fixed, market, history and
settings. Each page leaves its screenshot (docs/screenshots/ with ``make screenshots``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from browserkit import NARROW, WAIT, WIDE, chromium, expect, login, realm_key, retail, shot
from daemon_harness import Daemon, Game, warm

from tsmsyncd.blizzard.fake import FakeBlizzard

pytestmark = pytest.mark.asyncio(loop_scope="module")


class World:
    def __init__(self, daemon: Daemon, context: Any) -> None:
        self.daemon, self.context = daemon, context
        self.target: dict[str, Any] = {}
        self.original = b""

    @property
    def url(self) -> str:
        return str(self.daemon.info["url"])

    async def page(self, route: str, viewport: dict[str, int] = WIDE) -> Any:
        page = await self.context.new_page()
        await page.set_viewport_size(viewport)
        await login(page, self.daemon, route)
        return page


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("web")
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as fake:
        daemon = Daemon(tmp, fake)
        await daemon.start()
        try:
            await warm(daemon)
            async with chromium(tmp / "profile") as context:
                w = World(daemon, context)
                w.target = retail(await daemon.targets())[0]
                w.original = Path(w.target["file"]).read_bytes()
                yield w
        finally:
            if daemon.proc is not None and daemon.proc.returncode is None:
                await daemon.stop()


async def test_a_live_update_arrives_without_reload(world: World) -> None:
    """The game starts, merging is turned on: the Overview shows the target pending, with the reason,
    on the same page load; the game exits and the same page shows it applied."""
    page = await world.page("overview")
    tid = world.target["id"]
    card = page.locator(f'.target-card[data-target-id="{tid}"]')
    await expect(card.locator(".badge")).to_have_text("Idle")
    await page.evaluate("window.__sameLoad = true")
    game = Game(world.daemon.retail()).start()
    try:
        status, body = await world.daemon.api("PATCH", f"/api/v1/targets/{tid}", {"mode": "merge"})
        assert status == 200, body
        await expect(card.locator(".badge")).to_have_text("Pending", timeout=WAIT)
        await expect(card.locator(".reason")).to_contain_text("World of Warcraft is running")
        await expect(card.locator(".chip")).to_have_text("Merging on")
        await shot(page, "overview-pending")
    finally:
        game.stop()
    await expect(card.locator(".badge")).to_have_text("Applied", timeout=WAIT)
    await expect(card.locator(".last-apply")).to_contain_text("Backup before it")
    assert await page.evaluate("window.__sameLoad") is True, "the page was not reloaded"
    await shot(page, "overview")
    await page.close()


async def test_targets_page_shows_modes_and_realms(world: World) -> None:
    page = await world.page("targets")
    panel = page.locator(f'.target-panel[data-target-id="{world.target["id"]}"]')
    await expect(panel.locator("input[data-value=merge]")).to_be_checked()
    await expect(panel.locator(".realm-editor")).to_contain_text(world.target["realm"]["name"])
    await shot(page, "targets")
    await page.close()


async def test_groups_apply_and_undo(world: World) -> None:
    page = await world.page(f"groups?realm={realm_key(world.target)}")
    await world.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=world.url)
    tree = page.locator(".tree")
    await expect(tree.locator(".tree-node").first).to_be_visible()
    assert await tree.locator(".tree-node").count() > 1
    await tree.locator(".tree-node").nth(1).click()
    await expect(page.locator(".group-detail h3")).to_contain_text("›")
    string = page.locator("textarea.import-string")
    await expect(string).not_to_have_value(re.compile(r"^(Loading…)?$"))
    await page.get_by_text("Plain list", exact=True).click()
    await expect(string).to_have_value(re.compile(r"^group:"))
    await page.get_by_role("button", name="Copy to clipboard").click()
    assert await page.evaluate("navigator.clipboard.readText()") == await string.input_value()
    await shot(page, "groups")

    box = page.locator(f'.apply-target[data-target-id="{world.target["id"]}"]')
    await box.get_by_role("button", name="Apply now").click()
    await expect(box.locator(".apply-result")).to_contain_text(re.compile("Applied|up to date"), timeout=WAIT)

    game = Game(world.daemon.retail()).start()
    try:  # refused while the game runs, and the page says why
        await box.get_by_role("button", name="Apply now").click()
        await expect(box.locator(".apply-result")).to_contain_text("World of Warcraft is running")
    finally:
        game.stop()

    await box.get_by_role("button", name="Undo last apply").click()
    dialog = page.locator("dialog")
    await expect(dialog.locator("#stop-merging")).to_be_checked()  # or the engine merges again at once
    await dialog.get_by_role("button", name="Undo last apply").click()
    await expect(box.locator(".apply-result")).to_contain_text("Restored the backup", timeout=WAIT)
    assert Path(world.target["file"]).read_bytes() == world.original, "undo put back the file as it was"
    assert (await world.daemon.state_of(world.target["id"]))["mode"] == "string"
    await page.close()


async def test_restore_a_backup(world: World) -> None:
    file = world.target["file"]
    page = await world.page(f"backups?file={file}")
    rows = page.locator(".backups-table tbody tr")
    await expect(rows.first).to_be_visible()
    before = await rows.count()
    # the file is as it was before the first apply (the undo); put back the one with the groups in it
    row = rows.filter(has_text="Before a restore").first
    await row.get_by_role("button", name="Restore…").click()
    dialog = page.locator("dialog")
    await expect(dialog).to_contain_text("backs up the file as it is now")
    await shot(page, "backups-restore")
    await dialog.get_by_role("button", name="Restore").click()
    await expect(page.locator(".notice.ok")).to_contain_text("Restored.", timeout=WAIT)
    await expect(rows).to_have_count(before + 1)
    await expect(rows.first).to_contain_text("Before a restore")
    assert Path(file).read_bytes() != world.original, "the file holds the groups again"
    await shot(page, "backups")
    await page.close()


async def test_edit_a_rule_with_an_error_then_fix_it(world: World) -> None:
    page = await world.page("rules?rule=Flips")
    where = page.locator("textarea.where")
    await expect(where).not_to_have_value("")
    good = await where.input_value()
    bad = good + " and sold_per_day >="
    await where.fill(bad)
    error = page.locator(".where-error")
    await expect(error).to_be_visible()
    status, check = await world.daemon.api("POST", "/api/v1/rules/check", {"where": bad})
    assert status == 200 and not check["valid"], check
    position = next(e["position"] for e in check["errors"] if e.get("position") is not None)
    await expect(error).to_have_attribute("data-position", str(position))
    await expect(error.locator("mark")).to_be_visible()
    await error.get_by_role("button", name="Show it in the text").click()
    assert await where.evaluate("(el) => [document.activeElement === el, el.selectionStart]") == [True, position]
    await shot(page, "rules-error")
    await where.fill(good + " and sold_per_day >= 1")
    await expect(page.locator(".check-result .valid")).to_have_text("✓ Valid")
    await page.get_by_role("button", name="Save rule").click()
    await expect(page.locator(".rule-editor .notice.ok")).to_contain_text("Saved")
    status, rules = await world.daemon.api("GET", "/api/v1/rules")
    flips = next(r for r in rules["rules"] if r["name"] == "Flips")
    assert flips["doc"]["criteria"]["where"].endswith("sold_per_day >= 1")
    await shot(page, "rules")
    await page.close()


async def test_market_table_search_sort_and_an_item_with_its_chart(world: World) -> None:
    """The realm's items, most sold first, each with its sales per day and their likely range; a click on a
    column sorts by it; a search finds by name; an item shows its prices, its charts and its snapshot rows."""
    page = await world.page(f"market?realm={realm_key(world.target)}")
    rows = page.locator(".market-table tbody tr")
    await expect(rows.first).to_be_visible()
    sold = page.locator('.market-table th:has(button[data-sort="sold_per_day"])')
    await expect(sold).to_have_attribute("aria-sort", "descending")
    await expect(page.locator(".market-table .per-day .range").first).to_have_text(re.compile(r"^[\d.,]+–[\d.,]+$"))
    await shot(page, "market-list")

    await page.locator('.market-table button[data-sort="min_buyout"]').click()  # cheapest first
    cheapest = page.locator('.market-table th:has(button[data-sort="min_buyout"])')
    await expect(cheapest).to_have_attribute("aria-sort", "ascending")
    await expect(page).to_have_url(re.compile("sort=min_buyout"))

    await page.get_by_label("Find an item").fill("Peacebloom")
    await expect(rows).to_have_count(1)
    await rows.first.locator("button").click()
    await expect(page.locator(".market-detail h2")).to_have_text("Peacebloom")
    await expect(page.locator(".market-stats dd").first).to_have_text(re.compile(r"\d+c$"))
    # a line per series (a flat line has no height, so "visible" would not hold for it)
    await expect(page.locator("figure.chart").first.locator("path.series")).to_have_count(2)
    line = page.locator("figure.chart path.series").first
    await expect(line).to_have_attribute("d", re.compile(r"^M[\d.]+,[\d.]+ L"))
    await shot(page, "market")
    await page.locator("details.raw summary").click()
    await expect(page.locator(".raw-table tbody tr").first).to_be_visible()
    await page.close()


async def test_history_pages(world: World) -> None:
    page = await world.page("history")
    await expect(page.locator("table.history tbody tr").first).to_be_visible()
    await shot(page, "history")
    await page.close()


async def test_settings_errors_at_the_field(world: World) -> None:
    page = await world.page("settings")
    quiet = page.locator('.field[data-field="quiet_seconds"]')
    await quiet.locator("input").fill("9999")
    await page.get_by_role("button", name="Save settings").click()
    await expect(quiet.locator(".field-error")).to_be_visible()
    await expect(quiet.locator("input")).to_have_attribute("aria-invalid", "true")
    await shot(page, "settings-error")
    await quiet.locator("input").fill("1")
    await page.get_by_role("button", name="Save settings").click()
    # saved settings restart the daemon's worker processes (pandas loads again): slow on a loaded machine
    saved = page.locator(".settings .notice.ok")
    # only what changed is sent (a setting left unset stays unset), named as the page labels it
    await expect(saved).to_have_text("Saved: Quiet time before applying (seconds).", timeout=WAIT)
    await page.get_by_label("Look for updates").select_option(label="Never")
    await page.get_by_role("button", name="Save settings").click()
    await expect(saved).to_have_text("Saved: Look for updates.", timeout=WAIT)
    _, settings = await world.daemon.api("GET", "/api/v1/settings")
    assert settings["update_check"] is False and settings["quiet_seconds"] == 1
    await shot(page, "settings")
    await page.close()


async def test_narrow_and_dark(world: World) -> None:
    """At 420 px the navigation is a strip above the page and the cards stack; dark follows the system."""
    page = await world.page("overview", NARROW)
    await expect(page.locator(".target-card").first).to_be_visible()
    nav = await page.locator("#nav").bounding_box()
    main = await page.locator("#main").bounding_box()
    assert nav and main and nav["y"] < main["y"], "the navigation sits above the page"
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], "nothing overflows sideways"
    await shot(page, "overview-narrow")
    pages = ("targets", f"groups?realm={realm_key(world.target)}", "rules", f"market?realm={realm_key(world.target)}",
             "watchlist", "backups", "history", "settings", "setup")
    for name in pages:
        await page.goto(f"{world.url}/#/{name}")
        await expect(page.locator("#main .loading")).to_have_count(0)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{name} is {width} px wide at {NARROW['width']} px"
    await page.goto(f"{world.url}/#/overview")
    await page.set_viewport_size(WIDE)
    await page.emulate_media(color_scheme="dark")
    await expect(page.locator(".target-card").first).to_be_visible()
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 22, 28)", background
    await shot(page, "overview-dark")
    await page.close()


async def test_keyboard_reaches_the_pages(world: World) -> None:
    """Tab goes through the top bar into the navigation; Enter opens a page; focus is visible."""
    page = await world.page("overview")
    await page.locator(".brand").focus()
    for _ in range(12):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.dataset.view === 'groups'"):
            break
    else:
        raise AssertionError("Tab never reached the Groups link")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Groups")
    await page.close()


async def test_no_page_breaks_the_content_security_policy(world: World) -> None:
    """Every page drawn in turn on one page load: no script error, and no CSP refusal (an inline style or
    handler would be one: the policy is default-src 'self')."""
    page = await world.context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await login(page, world.daemon, "overview")
    for name in ("overview", "targets", "groups", "rules", "market", "watchlist", "backups", "history", "settings",
                 "setup"):
        await page.goto(f"{world.url}/#/{name}")
        await expect(page.locator(f'#nav a[data-view="{name}"]')).to_have_attribute("aria-current", "page")
        await expect(page.locator("#main .loading")).to_have_count(0)
    assert not errors, errors
    await page.close()
