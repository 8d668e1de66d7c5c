"""The route table: every API route on one screen, each with its view (``http/views/`` by noun).

    GET    /api/v1/status            the daemon's state, next refresh, last errors
    POST   /api/v1/refresh           refresh now (202; progress arrives as events)
    GET    /api/v1/targets           every target with its state and pending plan
    PATCH  /api/v1/targets/{id}      mode, realm, adopt_root
    GET    /api/v1/events            the WebSocket of events (since=)
    GET    /api/v1/openapi.json      the OpenAPI document (built in ``http/app.py``)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from tsmsyncd.app import Services
from tsmsyncd.http.app import HttpConfig, build_app
from tsmsyncd.http.route import Route
from tsmsyncd.http.views import status, targets
from tsmsyncd.http.views.context import CONTEXT, ApiContext
from tsmsyncd.http.ws import events_route

TYPE_CHECKING = False  # the schedule is the daemon's; views only call what it is handed
if TYPE_CHECKING:
    from tsmsyncd.scheduler import Schedule

__all__ = ["build_api", "routes"]

WEB = Path(__file__).resolve().parent.parent / "web"


def routes(ctx: ApiContext) -> list[Route]:
    return [
        Route("GET", "/api/v1/status", status.get_status, summary="The daemon's state", response=status.SCHEMA),
        Route("POST", "/api/v1/refresh", status.post_refresh, status=202, summary="Refresh now",
              response=status.REFRESH_SCHEMA),
        Route("GET", "/api/v1/targets", targets.list_targets, summary="Every target",
              response={"type": "array", "items": targets.SCHEMA}),
        Route("PATCH", "/api/v1/targets/{id}", targets.patch_target, summary="Change a target's mode or realm",
              request=targets.PATCH_SCHEMA, response=targets.SCHEMA),
        events_route(ctx.services.bus, lambda: status.status_payload(ctx)),
    ]


def build_api(services: Services, config: HttpConfig, *, schedule: Schedule,
              stop: Callable[[], None]) -> web.Application:
    ctx = ApiContext(services, schedule, stop)
    app = build_app(config, routes(ctx), static_dir=WEB if (WEB / "index.html").is_file() else None)
    app[CONTEXT] = ctx
    return app
