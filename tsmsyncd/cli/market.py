"""``tsmsyncd realms list``, ``tsmsyncd refresh --once``, ``tsmsyncd market show`` and ``market list``: the
market-data commands.

Each runs one service call through the composition root and prints text or ``--json``. Credentials come
from the settings store or the environment and never appear in anything printed. Heavy modules (aiohttp,
pandas) are imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse

from tsmsyncd.cli.args import FLAVOR_HELP, flavor, realm_id
from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json
from tsmsyncd.errors import InputError

TYPE_CHECKING = False  # typing and datetime are imported when a command runs: start-up stays fast
if TYPE_CHECKING:
    from datetime import datetime

    from tsmsyncd.app import Services
    from tsmsyncd.config import Settings
    from tsmsyncd.db.market import ItemMarket
    from tsmsyncd.db.realms import RealmInfo
    from tsmsyncd.market.sales_report import SalesReport
    from tsmsyncd.market.sources import RealmKey
    from tsmsyncd.sync.refresh import RefreshOutcome

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    realms = commands.add_parser("realms", help=help_of("realms"),
                                 description="Connected realms of a region, fetched from Blizzard.")
    realms_actions = realms.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = realms_actions.add_parser("list", help="list connected realms (ids to use with --realm)",
                                        description="List a region's connected realms and their realms.")
    _region_flavor(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_realms_list)

    refresh = commands.add_parser(
        "refresh", help=help_of("refresh"),
        description="Fetch each source's newest snapshot (only if it changed: If-Modified-Since) and store its "
        "statistics. Example: tsmsyncd refresh --once --region us --realm 3678")
    refresh.add_argument("--once", action="store_true", required=True,
                         help="refresh once and exit (the daemon refreshes on its own schedule)")
    _region_flavor(refresh)
    refresh.add_argument("--realm", type=realm_id, action="append", default=[], metavar="ID",
                         help="connected realm id (repeatable; default: the realms in your settings)")
    refresh.add_argument("--json", action="store_true", help="print JSON")
    refresh.set_defaults(run=run_refresh)

    market = commands.add_parser("market", help=help_of("market"),
                                 description="Market data already stored by `tsmsyncd refresh`.")
    market_actions = market.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = market_actions.add_parser(
        "show", help="one item's prices on one realm",
        description="Min buyout, market value, 14-day value, quantity, auctions and estimated sales of one item. "
        "Example: tsmsyncd market show i:2447 --realm 3678")
    show.add_argument("item", metavar="ITEM", help="an item id (2447), item string (i:2447) or pet (p:194)")
    show.add_argument("--realm", type=realm_id, required=True, metavar="ID", help="connected realm id")
    show.add_argument("--region", help="region (default: from settings)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=run_market_show)
    listing = market_actions.add_parser(
        "list", help="every item's prices on one realm, in one call",
        description="Every item of one realm (its own auctions, then the region's commodities) with the metrics "
        "`market show` gives. Example: tsmsyncd market list --realm 3678 --json")
    listing.add_argument("--realm", type=realm_id, required=True, metavar="ID", help="connected realm id")
    listing.add_argument("--region", help="region (default: from settings)")
    listing.add_argument("--json", action="store_true", help="print JSON: {realm, items: [as market show --json]}")
    listing.set_defaults(run=run_market_list)


def _region_flavor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="us, eu, kr or tw (default: from settings)")
    parser.add_argument("--flavor", type=flavor, metavar="FLAVOR", help=f"{FLAVOR_HELP} (default: from settings)")


def _settings(args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    from tsmsyncd.config import load_settings

    settings = load_settings()
    return replace(settings, region=getattr(args, "region", None) or settings.region,
                   flavor=getattr(args, "flavor", None) or settings.flavor)


def run_realms_list(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_services

    settings = _settings(args)

    async def work(services: Services) -> int:
        found = await (await services.refresher()).realm_list(settings.region, settings.flavor)
        by_id: dict[int, list[RealmInfo]] = {}
        for realm in found:
            by_id.setdefault(realm.connected_realm_id, []).append(realm)
        if args.json:
            say_json([{"connected_realm_id": cr, "region": settings.region, "realms": [r.as_json() for r in group]}
                      for cr, group in sorted(by_id.items())])
            return 0
        for cr, group in sorted(by_id.items()):
            names = ", ".join(r.name for r in sorted(group, key=lambda r: r.name))
            say(f"{cr:>6}  {names}  ({group[0].timezone})")
        say(f"{len(by_id)} connected realms in {settings.region}")
        return 0

    return run_services(work, settings=settings)


def run_refresh(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_services
    from tsmsyncd.sync.refresh import RefreshStatus

    settings = _settings(args)
    realms = tuple(args.realm) or settings.realms
    if not realms:
        raise InputError("no realm to refresh: pass --realm ID (ids are listed by `tsmsyncd realms list`)")

    async def work(services: Services) -> int:
        refresher = await services.refresher()
        outcomes = await refresher.refresh(settings.region, realms, flavor=settings.flavor)
        named, unnamed = await refresher.fill_item_info(settings.region, flavor=settings.flavor)
        if args.json:
            say_json({"region": settings.region, "sources": [o.as_json() for o in outcomes],
                      "item_info": {"fetched": named, "failed": unnamed}})
        else:
            for outcome in outcomes:
                say(_outcome_line(outcome))
            if named or unnamed:
                say(f"item names and classes: fetched {named:,}" + (f", {unnamed:,} failed" if unnamed else ""))
        return 1 if any(o.status is RefreshStatus.ERROR for o in outcomes) else 0

    return run_services(work, settings=settings)


def _outcome_line(o: RefreshOutcome) -> str:
    when = f"snapshot {_time(o.snapshot_time)}" if o.snapshot_time else "no snapshot yet"
    if o.status == "error":
        return f"{o.source.key:<24} error: {o.error} (stored data unchanged)"
    if o.status == "not-modified":
        return f"{o.source.key:<24} not modified ({when})"
    sold = f", est. {o.sold_units:,} sold since the last snapshot" if o.sold_units is not None else ""
    verb = "updated" if o.status == "updated" else "already stored"
    return f"{o.source.key:<24} {verb}: {when}, {o.auctions:,} auctions, {o.items:,} items{sold}"


def run_market_show(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from tsmsyncd.cli.runtime import run_services
    from tsmsyncd.db import items as items_db
    from tsmsyncd.db import market as market_db
    from tsmsyncd.market.ingest import item_code
    from tsmsyncd.market.sources import RealmKey

    settings = _settings(args)
    key = _item(args.item)
    realm = RealmKey(settings.region, args.realm)

    async def work(services: Services) -> int:
        found = await services.db(market_db.item_market, key, realm, datetime.now(UTC))
        status = await services.db(market_db.data_status, realm)
        if found is None or status.listed is False:  # commodities are region-wide, but the realm must exist
            raise InputError(status.missing(key))
        names = await services.db(items_db.item_info, [item_code(key)]) if key.startswith("i:") else {}
        info = names.get(item_code(key))
        name = info.name if info else None
        if args.json:
            say_json(found.as_json(name))
        else:
            say(_market_text(found, name))
        return 0

    return run_services(work, settings=settings)


def run_market_list(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from tsmsyncd.cli.runtime import run_services
    from tsmsyncd.db import items as items_db
    from tsmsyncd.db import market as market_db
    from tsmsyncd.market.ingest import item_code
    from tsmsyncd.market.sources import RealmKey

    settings = _settings(args)
    realm = RealmKey(settings.region, args.realm)

    async def work(services: Services) -> int:
        found = await services.db(market_db.realm_market, realm, datetime.now(UTC))
        status = await services.db(market_db.data_status, realm)
        if not found or status.listed is False:
            raise InputError(status.missing("any item"))
        info = await services.db(items_db.item_info, [item_code(m.item) for m in found if m.item.startswith("i:")])
        names = {f"i:{i}": row.name for i, row in info.items()}
        if args.json:
            say_json({"realm": str(realm), "items": [m.as_json(names.get(m.item)) for m in found]})
        else:
            say(_list_text(realm, found, names))
        return 0

    return run_services(work, settings=settings)


def _item(text: str) -> str:
    from tsmsyncd.market.ingest import item_code, item_key

    text = text.strip()
    try:
        return item_key(int(text)) if text.isdigit() else item_key(item_code(text))
    except ValueError as exc:
        raise InputError(f"ITEM {text!r} is not an item id or item string such as i:2447 or p:194") from exc


def _market_text(m: ItemMarket, name: str | None) -> str:
    from tsmsyncd.tsm.money import format_money as money

    seen = f"listed in {m.snapshots} since {_time(m.first_seen)}"
    if not m.listed_now:
        seen = f"not in the newest, {_time(m.sales.window_end)}: sold out or expired since; " + seen
    caveats = [f"  {'caveats' if i == 0 else '':<18}- {c}" for i, c in enumerate(m.sales.caveats)]
    rows = [
        f"{m.item}{f'  {name}' if name else ''}  ({m.source.key})",
        f"  min buyout        {money(m.min_buyout)}",
        f"  market value      {money(m.market_value)}   (this snapshot)",
        f"  14-day value      {money(m.market_value_14d)}",
        f"  quantity          {m.quantity:,} in {m.auctions:,} auctions",
        f"  sold (estimate)   {_sales_text(m.sales)}",
        f"  snapshot          {_time(m.snapshot_time)}  ({seen})",
        *caveats,
    ]
    return "\n".join(rows)


def _sales_text(s: SalesReport) -> str:
    """The estimate with its window always beside it; a per-day rate scaled up from under a day is said to be so
    on the very next line, before the range and the confidence."""
    if s.sold is None or s.per_day is None or s.range is None:
        return "no estimate yet (it needs three consecutive hourly snapshots of this source)"
    low, high = s.range
    lines = [f"{s.sold:,} units in the last {s.window_hours:g} h of snapshots = {_rate(s.per_day)} a day"]
    if s.extrapolated:
        lines.append(f"! scaled up from only {s.window_hours:g} h of snapshots: a rough guess")
    lines.append(f"likely {_rate(low)} to {_rate(high)} a day; confidence {s.confidence}")
    return f"\n{'':<20}".join(lines)


def _rate(per_day: float) -> str:
    return f"{per_day:,.0f}" if per_day >= 100 else f"{per_day:,.1f}"


def _list_text(realm: RealmKey, items: list[ItemMarket], names: dict[str, str]) -> str:
    from tsmsyncd.tsm.money import format_money as money

    rows = [f"{'item':<10} {'name':<28} {'source':<12} {'min buyout':>14} {'14-day value':>14} {'quantity':>9} "
            f"{'sold/day':>9}  confidence"]
    for m in items:
        per_day = "-" if m.sales.per_day is None else _rate(m.sales.per_day) + ("*" if m.sales.extrapolated else "")
        rows.append(f"{m.item:<10} {(names.get(m.item) or '')[:28]:<28} {m.source.kind:<12} "
                    f"{money(m.min_buyout):>14} {money(m.market_value_14d):>14} {m.quantity:>9,} {per_day:>9}  "
                    f"{m.sales.confidence}")
    windows = {m.source.key: m.sales for m in items}
    rows.append(f"{len(items):,} items on {realm}. Sold per day is an estimate over the last hours of consecutive "
                "snapshots: " + ", ".join(f"{key} {s.window_hours:g} h" for key, s in windows.items()) + ".")
    if any(s.extrapolated for s in windows.values()):
        rows.append("* scaled up from less than a day of snapshots: a rough guess.")
    rows.append("`tsmsyncd market show ITEM --realm ID` gives an item's range and caveats.")
    return "\n".join(rows)


def _time(when: datetime | None) -> str:
    from datetime import UTC

    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "-"
