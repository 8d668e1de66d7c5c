"""The route table: every API route on one screen, each with its view (``http/views/`` by noun).

    GET    /api/v1/status                   the daemon's state, next refresh, last errors, setup progress
    POST   /api/v1/refresh                  refresh now (202; progress arrives as events)
    POST   /api/v1/pause                    pause or resume applying
    GET    /api/v1/targets                  every target with its state and pending plan
    PATCH  /api/v1/targets/{id}             mode, realm, adopt_root
    GET    /api/v1/targets/{id}/plan        what an apply would change now
    POST   /api/v1/targets/{id}/apply       apply now (202; refused 409 while the game runs)
    POST   /api/v1/targets/{id}/undo        put back the backup taken before the last apply
    GET    /api/v1/installs                 what install discovery found, and why
    POST   /api/v1/auth/token               Blizzard credentials, checked live, then saved
    GET    /api/v1/settings, PATCH          every setting (the secret only as "(set)")
    GET    /api/v1/realms                   the stored realm lists
    GET    /api/v1/realms/{region}          a region's connected realms (q= searches every locale)
    GET    /api/v1/market-data/{realm_id}   a realm's items, prices and estimated sales (q=, sort=, limit=, offset=)
    GET    /api/v1/market-data/{realm_id}/raw  one item's stored hourly rows, newest first (item=, before=)
    GET    /api/v1/items                    items by name or id (q=)
    GET    /api/v1/items/{item}/history     an item's 48 hours and 60 days on a realm (realm=), and its metrics
    GET    /api/v1/groups/{realm_id}        the stored GroupSet (version=)
    GET    /api/v1/groups/{realm_id}/diff   what the newest version changed
    GET    /api/v1/groups/{realm_id}/preview  what the rules make now, and why
    POST   /api/v1/groups/custom            a group config stored as a rule, with its preview
    GET    /api/v1/import-string/{realm_id} TSM's import string, or a plain list
    GET    /api/v1/rules, POST              the rules (and templates); add one
    PUT    /api/v1/rules/{name}, DELETE     change (rename, enable, move) or remove one
    POST   /api/v1/rules/check              does this rule or condition read, and where not
    GET    /api/v1/backups, POST            the targets' files and their backups; take one now
    POST   /api/v1/backups/{id}/restore     put a backup back (409 while the game runs)
    POST   /api/v1/backups/{id}/pin         pin or unpin
    GET    /api/v1/backups/prune, POST      what the retention policy would remove; remove it
    GET    /api/v1/history                  what happened, newest first (before=, target=, kind=)
    GET    /api/v1/watchlist, POST          the tracked items; track one or many (repeats merge)
    PATCH  /api/v1/watchlist/{id}, DELETE   change or stop tracking one
    POST   /api/v1/watchlist/check          check all (or {"id"}) now: the rows arrive as events
    GET    /api/v1/update                   is a newer signed release available, and how it installs
    POST   /api/v1/update/check             check now (a refusal is in the answer, with its reason)
    POST   /api/v1/update/apply             install it for the next start (409 while a merge runs)
    GET    /api/v1/autostart, PUT           whether tsmsyncd starts at login (minimized); turn it on or off
    GET    /api/v1/events                   the WebSocket of events (since=)
    GET    /api/v1/openapi.json             the OpenAPI document (built in ``http/app.py``)

A group server (``config.server_mode``) serves only the read-only ones ``http/server.py`` names: the realms,
a realm's GroupSet (with its ETag), its import string, and market data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from tsmsyncd.app import Services
from tsmsyncd.http.app import HttpConfig, build_app
from tsmsyncd.http.ratelimit import Limiter
from tsmsyncd.http.route import Route
from tsmsyncd.http.server import ServerMode, limiter_for
from tsmsyncd.http.views import (
    autostart,
    backups,
    groups,
    history,
    market,
    realms,
    rules,
    setup,
    status,
    targets,
    update,
    watchlist,
)
from tsmsyncd.http.views.context import CONTEXT, ApiContext
from tsmsyncd.http.ws import events_route

TYPE_CHECKING = False  # the schedule is the daemon's; views only call what it is handed
if TYPE_CHECKING:
    from tsmsyncd.scheduler import Schedule

__all__ = ["build_api", "routes"]

WEB = Path(__file__).resolve().parent.parent / "web"


def routes(ctx: ApiContext) -> list[Route]:
    r, v1 = Route, "/api/v1"
    return [
        r("GET", f"{v1}/status", status.get_status, summary="The daemon's state", response=status.SCHEMA),
        r("POST", f"{v1}/refresh", status.post_refresh, status=202, summary="Refresh now",
          response=status.REFRESH_SCHEMA),
        r("POST", f"{v1}/pause", status.post_pause, summary="Pause or resume applying", request=status.PAUSE_SCHEMA,
          response=status.SCHEMA),
        r("GET", f"{v1}/targets", targets.list_targets, summary="Every target",
          response={"type": "array", "items": targets.SCHEMA}),
        r("PATCH", f"{v1}/targets/{{id}}", targets.patch_target, summary="Change a target's mode or realm",
          request=targets.PATCH_SCHEMA, response=targets.SCHEMA),
        r("GET", f"{v1}/targets/{{id}}/plan", targets.get_plan, summary="What an apply would change now",
          response=targets.PLAN_SCHEMA),
        r("POST", f"{v1}/targets/{{id}}/apply", targets.post_apply, status=202, summary="Apply now",
          response=status.REFRESH_SCHEMA),
        r("POST", f"{v1}/targets/{{id}}/undo", targets.post_undo, summary="Undo the last apply",
          response=targets.UNDO_SCHEMA),
        r("GET", f"{v1}/installs", setup.get_installs, summary="The installs found", response=setup.INSTALLS_SCHEMA),
        r("POST", f"{v1}/auth/token", setup.post_auth_token, summary="Check and save Blizzard credentials",
          request=setup.AUTH_REQUEST, response=setup.AUTH_SCHEMA),
        r("GET", f"{v1}/settings", setup.get_settings, summary="The settings", response=setup.SETTINGS_SCHEMA),
        r("PATCH", f"{v1}/settings", setup.patch_settings, summary="Change settings", request=setup.SETTINGS_PATCH,
          response=setup.SETTINGS_SCHEMA),
        r("GET", f"{v1}/realms", realms.get_realms, summary="The stored realm lists", response=realms.REGIONS_SCHEMA),
        r("GET", f"{v1}/realms/{{region}}", realms.get_region, summary="A region's connected realms",
          response=realms.REALMS_SCHEMA),
        r("GET", f"{v1}/market-data/{{realm_id}}", market.get_market_data,
          summary="A realm's items with prices and estimated sales", response=market.MARKET_SCHEMA),
        r("GET", f"{v1}/market-data/{{realm_id}}/raw", market.get_market_raw, summary="An item's stored hourly rows",
          response=market.RAW_SCHEMA),
        r("GET", f"{v1}/items", market.get_items, summary="Items by name or id", response=market.ITEMS_SCHEMA),
        r("GET", f"{v1}/items/{{item}}/history", market.get_item_history, summary="An item's history on a realm",
          response=market.HISTORY_SCHEMA),
        r("GET", f"{v1}/groups/{{realm_id}}", groups.get_groupset,
          summary="A realm's GroupSet (with an ETag: If-None-Match answers 304 when unchanged)",
          response=groups.GROUPSET_SCHEMA),
        r("GET", f"{v1}/groups/{{realm_id}}/diff", groups.get_diff, summary="What the newest version changed",
          response=groups.DIFF_SCHEMA),
        r("GET", f"{v1}/groups/{{realm_id}}/preview", groups.get_preview, summary="What the rules make now, and why",
          response=groups.PREVIEW_SCHEMA),
        r("POST", f"{v1}/groups/custom", groups.post_custom, status=201, summary="Store a group config as a rule",
          request={"type": "object"}, response=groups.CUSTOM_SCHEMA),
        r("GET", f"{v1}/import-string/{{realm_id}}", groups.get_import_string, summary="A TSM import string",
          response=groups.IMPORT_SCHEMA),
        r("GET", f"{v1}/rules", rules.get_rules, summary="The rules and templates", response=rules.RULES_SCHEMA),
        r("POST", f"{v1}/rules", rules.post_rule, status=201, summary="Add a rule", request={"type": "object"},
          response=rules.RULE_SCHEMA),
        r("PUT", f"{v1}/rules/{{name}}", rules.put_rule, summary="Change a rule", request=rules.PUT_SCHEMA,
          response=rules.RULE_SCHEMA),
        r("DELETE", f"{v1}/rules/{{name}}", rules.delete_rule, summary="Remove a rule",
          response={"type": "object", "required": ["removed"], "properties": {"removed": {"type": "string"}}}),
        r("POST", f"{v1}/rules/check", rules.post_check, summary="Check a rule or condition",
          request={"type": "object"}, response=rules.CHECK_SCHEMA),
        r("GET", f"{v1}/backups", backups.get_backups, summary="Files and their backups",
          response={"oneOf": [backups.FILES_SCHEMA, backups.LIST_SCHEMA]}),
        r("POST", f"{v1}/backups", backups.post_backup, status=201, summary="Take a backup now",
          request=backups.FILE_BODY, response=backups.BACKUP_SCHEMA),
        r("POST", f"{v1}/backups/{{id}}/restore", backups.post_restore, summary="Restore a backup",
          request=backups.FILE_BODY, response=backups.RESTORE_SCHEMA),
        r("POST", f"{v1}/backups/{{id}}/pin", backups.post_pin, summary="Pin or unpin a backup",
          request=backups.FILE_BODY, response=backups.BACKUP_SCHEMA),
        r("GET", f"{v1}/backups/prune", backups.get_prune, summary="What a prune would remove",
          response=backups.PRUNE_SCHEMA),
        r("POST", f"{v1}/backups/prune", backups.post_prune, summary="Prune by the retention policy",
          request=backups.FILE_BODY, response=backups.PRUNE_SCHEMA),
        r("GET", f"{v1}/history", history.get_history, summary="What happened", response=history.HISTORY_SCHEMA),
        r("GET", f"{v1}/watchlist", watchlist.get_watchlist, summary="The tracked items",
          response=watchlist.LIST_SCHEMA),
        r("POST", f"{v1}/watchlist", watchlist.post_watchlist, status=201, also=(200,),
          summary="Track items (201; 200 when all merged into items already tracked)",
          request=watchlist.ITEM_REQUEST, response=watchlist.ADDED_SCHEMA),
        r("PATCH", f"{v1}/watchlist/{{id}}", watchlist.patch_item, summary="Change a tracked item",
          request=watchlist.ITEM_REQUEST, response=watchlist.ENTRY_SCHEMA),
        r("DELETE", f"{v1}/watchlist/{{id}}", watchlist.delete_item, summary="Stop tracking an item",
          response={"type": "object", "required": ["removed"], "properties": {"removed": {"type": "integer"}}}),
        r("POST", f"{v1}/watchlist/check", watchlist.post_check, status=202, summary="Check now (rows as events)",
          request=watchlist.CHECK_REQUEST, response=status.REFRESH_SCHEMA),
        r("GET", f"{v1}/autostart", autostart.get_autostart, summary="Start at login?", response=autostart.SCHEMA),
        r("PUT", f"{v1}/autostart", autostart.put_autostart, summary="Start at login, or not",
          request=autostart.PUT_SCHEMA, response=autostart.SCHEMA),
        r("GET", f"{v1}/update", update.get_update, summary="Is an update available", response=update.SCHEMA),
        r("POST", f"{v1}/update/check", update.post_check, summary="Check for an update now",
          response=update.SCHEMA),
        r("POST", f"{v1}/update/apply", update.post_apply, summary="Install the update for the next start",
          response=update.APPLY_SCHEMA),
        events_route(ctx.services.bus, lambda: status.status_payload(ctx),
                     on_message=lambda m: ctx.services.watchlist.on_message(m.type, m.data)),
    ]


def build_api(services: Services, config: HttpConfig, *, schedule: Schedule, stop: Callable[[], None],
              limiter: Limiter | None = None) -> web.Application:
    """The daemon's app; in server mode with the settings' limits (or ``limiter``: tests bring a clock)."""
    ctx = ApiContext(services, schedule, stop)
    server = None
    if config.server_mode:
        server = ServerMode(services.tokens, limiter or limiter_for(services.settings), region=services.settings.region)
    app = build_app(config, routes(ctx), static_dir=WEB if (WEB / "index.html").is_file() else None, server=server)
    app[CONTEXT] = ctx
    app[groups.BODIES] = groups.BodyCache()
    return app
