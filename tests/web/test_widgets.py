"""The page's own pieces, in the browser that runs them (ES modules served by the real daemon): money as
WoW writes it, the chart drawn from rows, and helpers that never parse data as HTML."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium, expect, login
from daemon_harness import Daemon

from tsmsyncd.blizzard.fake import FakeBlizzard


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    async with FakeBlizzard(commodity_rows=100, realm_rows=50) as fake:
        daemon = Daemon(tmp_path, fake)
        await daemon.start()
        try:
            async with chromium(tmp_path / "profile") as context:
                page = await context.new_page()
                await login(page, daemon, "overview")
                await expect(page.locator("h1")).to_have_text("Overview")  # the view is mounted: nothing redraws #main
                yield page
        finally:
            await daemon.stop()


async def test_money_reads_as_gold_silver_copper(page: Any) -> None:
    shown = await page.evaluate("""async () => {
        const f = await import('/static/js/format.js');
        return [123456, 100, 5, 0, 10000, 1234567890, -250, null].map((c) => f.moneyText(c))
          .concat([f.money(123456).textContent]);
    }""")
    assert shown == ["12g 34s 56c", "1s 0c", "5c", "0c", "1g 0s 0c", "123,456g 78s 90c", "−2s 50c", "—",
                     "12g 34s 56c"]


async def test_text_from_data_is_never_html(page: Any) -> None:
    html = await page.evaluate("""async () => {
        const { h } = await import('/static/js/dom.js');
        const node = h('p', {title: '"><img src=x>'}, '<img src=x onerror=alert(1)>');
        return [node.children.length, node.textContent];
    }""")
    assert html == [0, "<img src=x onerror=alert(1)>"]


async def test_the_chart_draws_lines_the_14_day_value_and_quantity(page: Any) -> None:
    """48 hourly rows with one gap: two line series (the gap splits a line, never drawn as zero), the
    dashed 14-day value, a bar per hour, and a readout that follows the arrow keys."""
    await page.evaluate("""async () => {
        const { lineChart } = await import('/static/js/chart.js');
        const start = Date.UTC(2026, 10, 24, 0);
        const rows = Array.from({length: 48}, (_, i) => ({
          t: new Date(start + i * 3600e3), min_buyout: i === 20 ? null : 7000 + 100 * Math.sin(i / 4),
          market_value: 8000 + 50 * i, quantity: 1000 + 10 * i}));
        const chart = lineChart({title: 'Test chart', rows, xLabel: (t) => t.toISOString().slice(11, 16),
          lines: [{key: 'min_buyout', label: 'Min buyout', cls: 's-buyout'},
                  {key: 'market_value', label: 'Market value', cls: 's-value'}],
          constant: {value: 8170, label: '14-day value', cls: 's-14d'}, bars: {key: 'quantity', label: 'Quantity'}});
        chart.id = 'test-chart';
        document.body.append(chart);  // beside the page, where no view's redraw can remove it
    }""")
    chart = page.locator("#test-chart")
    await expect(chart.locator("path.series")).to_have_count(2)
    buyout = await chart.locator('path[data-series="min_buyout"]').get_attribute("d")
    assert buyout is not None and buyout.count("M") == 2, "the missing hour splits the line"
    await expect(chart.locator("line.constant")).to_have_count(1)
    await expect(chart.locator("rect.bar")).to_have_count(48)
    await expect(chart.locator(".legend")).to_contain_text("14-day value 81s 70c")
    await chart.locator(".chart-frame").focus()
    await expect(chart.locator(".readout")).to_contain_text("23:00")
    await page.keyboard.press("ArrowLeft")
    await expect(chart.locator(".readout")).to_contain_text("22:00")
    await expect(chart.locator(".readout")).to_contain_text("Market value 1g 3s 0c")
