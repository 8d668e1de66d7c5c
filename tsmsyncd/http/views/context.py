"""What every view may use: the daemon's services, its schedule and how to stop it (one ``AppKey``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tsmsyncd.app import Services
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
