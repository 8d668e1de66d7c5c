"""The Watchlist page in a real browser (issue 16), on a real daemon and the fake Blizzard server: items added
with the form get one row per (item, realm) that goes from "Checking…" to available or not available on the
same page load, over the events socket; the daemon's refusals show at the field they name; an edit, a check
and a removal show live; alerts are listed. The tests run in file order on one daemon and one browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from browserkit import NARROW, WAIT, chromium, dismiss_toasts, expect, login, shot
from daemon_harness import Daemon, wait_for, warm

from tsmsyncd.blizzard.catalog import ITEMS
from tsmsyncd.blizzard.fake import FakeBlizzard

pytestmark = pytest.mark.asyncio(loop_scope="module")

GEAR = [i for i in ITEMS if i.kind == "gear"]  # sold per realm, not on the region's commodity market
HERB = next(i for i in ITEMS if i.name == "Peacebloom")
FINAL = ("available", "none")

# Records every status each row has shown, in order: rows are redrawn per watch.update, so each state is a
# node added to the page (MutationObserver callbacks run after each socket message's task: none is missed).
# <body data-checked> counts the rows that went through "checking" to an answer, for the test to wait on.
RECORD = """() => {
  window.__seen = {};
  document.body.dataset.checked = '0';
  const note = (tr) => {
    const key = `${tr.closest('.watch-item').dataset.item} ${tr.dataset.realm}`;
    const seen = (window.__seen[key] = window.__seen[key] || []);
    if (seen[seen.length - 1] !== tr.dataset.status) seen.push(tr.dataset.status);
    const done = Object.values(window.__seen).filter((s) => s.includes('checking') &&
      ['available', 'none'].includes(s[s.length - 1])).length;
    document.body.dataset.checked = String(done);
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      if (n.matches('tr.watch-row')) note(n);
      n.querySelectorAll('tr.watch-row').forEach(note);
    }
  }).observe(document.querySelector('#main'), {childList: true, subtree: true});
}"""


class World:
    def __init__(self, daemon: Daemon, context: Any) -> None:
        self.daemon, self.context = daemon, context
        self.page: Any = None
        self.realms: list[int] = []


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("watchweb")
    async with FakeBlizzard(commodity_rows=600, realm_rows=600) as fake:
        daemon = Daemon(tmp, fake)
        await daemon.start()
        try:
            await wait_for(lambda: _ready(daemon), 120, "the start-up refresh, with the targets' realms")
            await warm(daemon, hours=2)  # each refresh names up to 200 new items: two name them all
            async with chromium(tmp / "profile") as context:
                w = World(daemon, context)
                w.realms = sorted({t["realm"]["connected_realm_id"] for t in await daemon.targets()
                                   if t["flavor"] == "retail" and t["realm"]})
                w.page = await context.new_page()
                await login(w.page, daemon, "watchlist")
                yield w
        finally:
            if daemon.proc is not None and daemon.proc.returncode is None:
                await daemon.stop()


async def _ready(d: Daemon) -> bool:
    _, status = await d.api("GET", "/api/v1/status")
    retail = [t for t in await d.targets() if t["flavor"] == "retail"]
    return status["state"] != "refreshing" and not status["jobs_running"] and all(t["realm"] for t in retail)


async def track(page: Any, item: str, gold: str, *, amount: str = "1", list_name: str = "") -> None:
    form = page.locator(".watch-add form")
    await form.get_by_label("Item", exact=True).fill(item)
    await form.get_by_label("How many").fill(amount)
    await form.get_by_label("gold").fill(gold)
    await form.get_by_label("List (optional)").fill(list_name)
    await form.get_by_role("button", name="Track item").click()


async def seen(page: Any) -> dict[str, list[str]]:
    return dict(await page.evaluate("window.__seen"))


async def test_an_added_item_goes_from_checking_to_its_answer_without_reload(world: World) -> None:
    page = world.page
    await expect(page.locator(".watch-list .empty")).to_contain_text("Nothing watched yet")
    form = page.locator(".watch-add form")
    await expect(form.locator(".realm-check input")).to_have_count(len(world.realms))
    await page.evaluate("window.__sameLoad = true")
    await page.evaluate(RECORD)

    cheap, dear = GEAR[0], GEAR[1]
    await track(page, str(cheap.id), "99999")  # an id: i:<id>, at any price
    rows = page.locator(f'.watch-item[data-item="i:{cheap.id}"] tr.watch-row')
    await expect(rows).to_have_count(len(world.realms))
    added = page.locator(".watch-add .notice.ok")
    await expect(added).to_contain_text(re.compile(f"Watching ({cheap.name}|i:{cheap.id})"))
    for n in range(len(world.realms)):
        await expect(rows.nth(n)).to_have_attribute("data-status", "available", timeout=WAIT)
    await expect(rows.first.locator(".watch-status")).to_have_text("✓Available")
    await expect(rows.first.locator(".listings li").first).to_contain_text("×")

    await track(page, f"i:{dear.id}", "", amount="2")  # no gold: a copper price, so nothing is cheap enough
    form_price = form.locator('.field[data-field="max_price"]')
    await expect(form_price).to_have_class(re.compile(r"\binvalid\b"))  # 0 copper: refused at the price
    await form.get_by_label("copper").fill("1")
    await form.get_by_role("button", name="Track item").click()
    dear_rows = page.locator(f'.watch-item[data-item="i:{dear.id}"] tr.watch-row')
    await expect(dear_rows).to_have_count(len(world.realms))
    for n in range(len(world.realms)):
        await expect(dear_rows.nth(n)).to_have_attribute("data-status", "none", timeout=WAIT)
    await expect(dear_rows.first.locator(".watch-status")).to_have_text("✗Not available")

    shown = await seen(page)
    for item in (cheap, dear):
        for realm in world.realms:
            states = shown[f"i:{item.id} {realm}"]
            assert "checking" in states and states[-1] in FINAL, states
            assert states.index("checking") < len(states) - 1, f"checking came before the answer: {states}"
    assert await page.evaluate("window.__sameLoad") is True, "the page was not reloaded"

    # an alert for the one at the player's price, listed with the item's name, and one toast for them all
    await expect(page.locator(".watch-alerts .alert-entry").first).to_contain_text(f"{cheap.name} is up for")
    alert = page.locator(".toast.alert")
    await expect(alert).to_have_count(1)
    await expect(alert).to_contain_text(f"{cheap.name}: ")

    # a commodity by its name (looked up), in a named list: one row for all the realms (one market for the region)
    await track(page, HERB.name, "5", amount="20", list_name="Raid mats")
    herb = page.locator(f'.watch-item[data-item="i:{HERB.id}"]')
    await expect(herb.locator('tr.watch-row[data-realm="commodities"]')).to_have_count(1, timeout=WAIT)
    await expect(page.locator('.watch-group[data-list="Raid mats"] h2')).to_have_text("Raid mats")
    await expect(page.locator('tr.watch-row[data-status="checking"]')).to_have_count(0, timeout=WAIT)
    await dismiss_toasts(page)
    await shot(page, "watchlist")


async def test_refusals_are_shown_at_the_field_the_daemon_names(world: World) -> None:
    page = world.page
    form = page.locator(".watch-add form")
    await form.get_by_label("Item", exact=True).fill("i:0")
    await form.get_by_label("gold").fill("1")
    await form.get_by_role("button", name="Track item").click()
    item = form.locator('.field[data-field="item"]')
    await expect(item.locator(".field-error")).to_contain_text("must be an item string")
    await expect(item.locator("input")).to_have_attribute("aria-invalid", "true")

    await form.get_by_label("Item", exact=True).fill(str(GEAR[2].id))
    for box in await form.locator(".realm-check input").all():
        await box.uncheck()
    await form.get_by_role("button", name="Track item").click()
    realms = form.locator('.field[data-field="realms"]')
    await expect(realms.locator(".field-error")).to_contain_text("non-empty list")
    await expect(item.locator(".field-error")).to_be_hidden()  # the earlier error went with the fix

    await form.get_by_label("Item", exact=True).fill("Nonesuch Bloom")  # a name no item has
    await form.locator(".realm-check input").first.check()
    await form.get_by_role("button", name="Track item").click()
    await expect(item.locator(".field-error")).to_be_visible()
    _, listed = await world.daemon.api("GET", "/api/v1/watchlist")
    assert len(listed["items"]) == 3, "nothing refused was stored"


async def test_edit_check_and_remove_show_live(world: World) -> None:
    page = world.page
    cheap = GEAR[0]
    block = page.locator(f'.watch-item[data-item="i:{cheap.id}"]')
    await block.get_by_role("button", name=f"Edit {cheap.name}").click()
    edit = block.locator("form.watch-form")
    await expect(edit.get_by_label("gold")).to_have_value("99999")
    await edit.get_by_label("gold").fill("")
    await edit.get_by_label("copper").fill("1")
    await edit.get_by_role("button", name="Save").click()
    rows = block.locator("tr.watch-row")
    await expect(rows).to_have_count(len(world.realms))
    for n in range(len(world.realms)):  # out of reach now: re-checked by itself
        await expect(rows.nth(n)).to_have_attribute("data-status", "none", timeout=WAIT)
    await expect(block.locator(".watch-title")).to_contain_text("Wants 1 at 1c or less each")

    await page.evaluate(RECORD)
    await page.get_by_role("button", name="Check now", exact=True).click()
    rows_in_all = 2 * len(world.realms) + 1  # two gear items on each realm, the herb's one row for all
    await expect(page.locator("body")).to_have_attribute("data-checked", str(rows_in_all), timeout=WAIT)
    await expect(page.locator('tr.watch-row[data-status="checking"]')).to_have_count(0)
    shown = await seen(page)
    assert len(shown) == rows_in_all, shown

    await block.get_by_role("button", name=f"Remove {cheap.name}").click()
    await page.locator("dialog").get_by_role("button", name="Remove").click()
    await expect(block).to_have_count(0)
    _, listed = await world.daemon.api("GET", "/api/v1/watchlist")
    assert f"i:{cheap.id}" not in {i["item"] for i in listed["items"]}


async def test_the_watchlist_at_a_narrow_width(world: World) -> None:
    page = world.page
    await page.set_viewport_size(NARROW)
    await expect(page.locator(".watch-item").first).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], "nothing overflows sideways"
    await dismiss_toasts(page)
    await shot(page, "watchlist-narrow")


async def test_the_screenshot_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "docs/screenshots/watchlist.png" in readme
