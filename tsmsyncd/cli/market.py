"""``tsmsyncd realms list``, ``tsmsyncd refresh --once`` and ``tsmsyncd market show``: the market-data commands.

Each builds what it needs (settings, the database writer, an aiohttp session, the Blizzard client), runs one
service call and prints text or ``--json``. Credentials come from the settings store or the environment and
never appear in anything printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import aiohttp

from tsmsyncd.blizzard.client import BlizzardClient, Credentials
from tsmsyncd.cli.args import FLAVOR_HELP, flavor, realm_id
from tsmsyncd.cli.output import say
from tsmsyncd.config import REGIONS, Settings, data_dir, database_path, load_settings
from tsmsyncd.db import Database, ItemMarket
from tsmsyncd.errors import InputError, SettingsError
from tsmsyncd.logs import setup_file_logging
from tsmsyncd.market.ingest import item_code, item_key
from tsmsyncd.market.metrics import SALES_CAVEATS
from tsmsyncd.sync.refresh import DbWriter, Refresher, RefreshOutcome

__all__ = ["add_market_commands", "money"]

T = TypeVar("T")


def add_market_commands(commands: argparse._SubParsersAction) -> None:
    realms = commands.add_parser("realms", help="list a region's connected realms",
                                 description="Connected realms of a region, fetched from Blizzard.")
    realms_actions = realms.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = realms_actions.add_parser("list", help="list connected realms (ids to use with --realm)",
                                        description="List a region's connected realms and their realms.")
    _region_flavor(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_realms_list)

    refresh = commands.add_parser(
        "refresh", help="fetch new auction-house snapshots now",
        description="Fetch each source's newest snapshot (only if it changed: If-Modified-Since) and store its "
        "statistics. Example: tsmsyncd refresh --once --region us --realm 3678")
    refresh.add_argument("--once", action="store_true", required=True,
                         help="refresh once and exit (the daemon refreshes on its own schedule)")
    _region_flavor(refresh)
    refresh.add_argument("--realm", type=realm_id, action="append", default=[], metavar="ID",
                         help="connected realm id (repeatable; default: the realms in your settings)")
    refresh.add_argument("--json", action="store_true", help="print JSON")
    refresh.set_defaults(run=run_refresh)

    market = commands.add_parser("market", help="show stored market data",
                                 description="Market data already stored by `tsmsyncd refresh`.")
    market_actions = market.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = market_actions.add_parser(
        "show", help="one item's prices on one realm",
        description="Min buyout, market value, 14-day value, quantity, auctions and estimated sales of one item. "
        "Example: tsmsyncd market show i:2447 --realm 3678")
    show.add_argument("item", metavar="ITEM", help="an item id (2447), item string (i:2447) or pet (p:194)")
    show.add_argument("--realm", type=realm_id, required=True, metavar="ID", help="connected realm id")
    show.add_argument("--region", choices=REGIONS, help="region (default: from settings)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=run_market_show)


def _region_flavor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="us, eu, kr or tw (default: from settings)")
    parser.add_argument("--flavor", type=flavor, metavar="FLAVOR", help=f"{FLAVOR_HELP} (default: from settings)")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    region = getattr(args, "region", None) or settings.region
    chosen = getattr(args, "flavor", None) or settings.flavor
    return Settings(**{**settings.__dict__, "region": region, "flavor": str(chosen)})


def _credentials(settings: Settings) -> Credentials:
    if not settings.has_credentials:
        raise SettingsError("client_id", "Blizzard API credentials are not set: set "
                            "TSMSYNCD_BLIZZARD_CLIENT_ID and TSMSYNCD_BLIZZARD_CLIENT_SECRET (from develop.battle.net)")
    return Credentials(settings.client_id, settings.client_secret)


def _with_client(settings: Settings, work: Callable[[Refresher], Awaitable[T]]) -> T:
    credentials = _credentials(settings)
    setup_file_logging(data_dir() / "logs", secrets=[settings.client_secret])
    db = DbWriter(database_path())
    for notice in db.notices:
        say(f"tsmsyncd: note: {notice}", err=True)

    async def run() -> T:
        async with aiohttp.ClientSession() as session:
            client = BlizzardClient(session, credentials, api_url=settings.api_url, oauth_url=settings.oauth_url)
            return await work(Refresher(client, db))

    try:
        return asyncio.run(run())
    finally:
        db.close()


def run_realms_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    realms = _with_client(settings, lambda r: r.realm_list(settings.region, settings.flavor))
    by_id: dict[int, list] = {}
    for realm in realms:
        by_id.setdefault(realm.connected_realm_id, []).append(realm)
    if args.json:
        say(json.dumps([{"connected_realm_id": cr, "region": settings.region,
                           "realms": [{"id": r.realm_id, "name": r.name, "slug": r.slug, "timezone": r.timezone}
                                      for r in group]} for cr, group in sorted(by_id.items())], indent=2,
                         ensure_ascii=False))
        return 0
    for cr, group in sorted(by_id.items()):
        names = ", ".join(r.name for r in sorted(group, key=lambda r: r.name))
        say(f"{cr:>6}  {names}  ({group[0].timezone})")
    say(f"{len(by_id)} connected realms in {settings.region}")
    return 0


def run_refresh(args: argparse.Namespace) -> int:
    settings = _settings(args)
    realms = tuple(args.realm) or settings.realms
    if not realms:
        raise InputError("no realm to refresh: pass --realm ID (ids are listed by `tsmsyncd realms list`)")

    async def work(refresher: Refresher) -> tuple[list[RefreshOutcome], tuple[int, int]]:
        outcomes = await refresher.refresh(settings.region, realms, flavor=settings.flavor)
        return outcomes, await refresher.fill_item_info(settings.region, flavor=settings.flavor)

    outcomes, (named, unnamed) = _with_client(settings, work)
    if args.json:
        say(json.dumps({"region": settings.region, "sources": [o.as_json() for o in outcomes],
                          "item_info": {"fetched": named, "failed": unnamed}}, indent=2))
    else:
        for outcome in outcomes:
            say(_outcome_line(outcome))
        if named or unnamed:
            say(f"item names and classes: fetched {named:,}" + (f", {unnamed:,} failed" if unnamed else ""))
    return 1 if any(o.status == "error" for o in outcomes) else 0


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
    settings = _settings(args)
    key = _item(args.item)
    db = DbWriter(database_path())
    for notice in db.notices:
        say(f"tsmsyncd: note: {notice}", err=True)
    try:
        now = datetime.now(UTC)
        found = db.run(Database.item_market, key, settings.region, args.realm, now)
        status = db.run(Database.data_status, settings.region, args.realm)
        names = db.run(Database.item_info, [item_code(key)]) if key.startswith("i:") else {}
    finally:
        db.close()
    if found is None or status.listed is False:  # commodities are region-wide, but the realm must exist
        raise InputError(status.missing(key))
    info = names.get(item_code(key))
    payload = _market_json(found, info.name if info else None)
    if args.json:
        say(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        say(_market_text(found, info.name if info else None))
    return 0


def _item(text: str) -> str:
    text = text.strip()
    try:
        return item_key(int(text)) if text.isdigit() else item_key(item_code(text))
    except ValueError as exc:
        raise InputError(f"ITEM {text!r} is not an item id or item string such as i:2447 or p:194") from exc


def _market_json(m: ItemMarket, name: str | None) -> dict[str, object]:
    return {
        "item": m.item, "name": name, "source": m.source.key, "snapshot_time": m.snapshot_time.isoformat(),
        "min_buyout": m.min_buyout, "market_value": m.market_value, "market_value_14d": m.market_value_14d,
        "quantity": m.quantity, "auctions": m.auctions, "sold_per_day_estimate": m.sold_per_day,
        "sold_window_hours": m.sold_window_hours, "first_seen": m.first_seen.isoformat(), "snapshots": m.snapshots,
        "sales_caveats": list(SALES_CAVEATS),
    }


def _market_text(m: ItemMarket, name: str | None) -> str:
    sold = (f"{m.sold_per_day:,.1f} per day (estimate over {m.sold_window_hours:.0f} h; cancellations look like "
            "sales)" if m.sold_per_day is not None else "not enough consecutive snapshots yet")
    rows = [
        f"{m.item}{f'  {name}' if name else ''}  ({m.source.key})",
        f"  min buyout        {money(m.min_buyout)}",
        f"  market value      {money(m.market_value)}   (this snapshot)",
        f"  14-day value      {money(m.market_value_14d)}",
        f"  quantity          {m.quantity:,} in {m.auctions:,} auctions",
        f"  sold              {sold}",
        f"  snapshot          {_time(m.snapshot_time)}  (listed in {m.snapshots} since {_time(m.first_seen)})",
    ]
    return "\n".join(rows)


def money(copper: int | None) -> str:
    """Copper as TSM writes it: 1g50s20c."""
    if copper is None:
        return "-"
    gold, rest = divmod(int(copper), 10_000)
    silver, cop = divmod(rest, 100)
    text = (f"{gold:,}g" if gold else "") + (f"{silver}s" if silver else "")
    return text + (f"{cop}c" if cop or not text else "")


def _time(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "-"
