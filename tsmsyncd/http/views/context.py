"""What every view may use: the daemon's services, its schedule and how to stop it (one ``AppKey``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tsmsyncd.app import Services

TYPE_CHECKING = False  # the schedule is the daemon's; views only call what it is handed
if TYPE_CHECKING:
    from tsmsyncd.scheduler import Schedule

__all__ = ["CONTEXT", "ApiContext", "context"]


@dataclass(frozen=True)
class ApiContext:
    services: Services
    schedule: Schedule
    stop: Callable[[], None]


CONTEXT = web.AppKey("api_context", ApiContext)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
