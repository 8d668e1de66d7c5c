"""The daemon's threads and lifecycle, nothing else: one daemon per data folder (a lock), the event loop,
``daemon.json`` once the API listens, signals, and an orderly stop.

``--headless`` runs the loop on the main thread. With a tray (pystray must own the main thread on macOS)
the loop runs in one background thread ("tsmsyncd-loop") and the tray calls into it
(``asyncio.run_coroutine_threadsafe``) and learns the state from the event bus (``tray/bridge.py``);
without a usable display or tray backend it falls back to headless with one log line, never a crash.
Without ``--minimized`` (and not headless) the web UI opens in the browser once the API listens, through
the one-time login (``http/launch.py``). Stopping (SIGINT, SIGTERM, the tray's Quit, the API): no new work
is taken, a job in flight (an apply is atomic anyway) is given time to finish, the API closes, and
``daemon.json`` is removed; the exit code is 0.

A ``--host`` other than this machine's own names (or ``--server``) makes the listener a group server for
other machines (``http/server.py``): with ``--tls-cert``/``--tls-key`` it speaks HTTPS; plain HTTP on such
a host is refused before anything starts unless ``--insecure-http`` says so (and the log warns).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tsmsyncd import __version__
from tsmsyncd.app import Services, open_services
from tsmsyncd.config import Settings
from tsmsyncd.errors import InputError, StateError
from tsmsyncd.http.app import LOGINS, LOOPBACK, HttpConfig, is_server_host, start_server
from tsmsyncd.http.routes import build_api
from tsmsyncd.logs import setup_file_logging
from tsmsyncd.scheduler import Schedule
from tsmsyncd.store.daemonfile import DaemonInfo, InstanceLock, read_info, remove_info, write_info

TYPE_CHECKING = False  # the tray (Pillow, pystray) is imported only when there is a display to show it on
if TYPE_CHECKING:
    from tsmsyncd.http.launch import Logins
    from tsmsyncd.tray.tray import Tray

__all__ = ["DaemonOptions", "run"]

log = logging.getLogger(__name__)
DEFAULT_PORT = 47810
STOP_GRACE = 60.0  # seconds an apply in flight may take to finish


@dataclass
class DaemonOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    headless: bool = True
    minimized: bool = False
    quiet_seconds: float = 5.0
    watch_every: float = 2.5
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    on_ready: Callable[[DaemonInfo, Services], Any] | None = None  # the demo's narration, tests
    server: bool = False  # a group server even on a loopback name (behind a proxy that does TLS)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure_http: bool = False  # plain HTTP on a host other machines reach: only when asked

    @property
    def server_mode(self) -> bool:
        return self.server or is_server_host(self.host)


def tls_context(options: DaemonOptions) -> ssl.SSLContext | None:
    """The server's TLS context, or None for plain HTTP; refuses (exit 1, saying how) plain HTTP on a
    host other machines reach, half a certificate, or files that do not load."""
    if (options.tls_cert is None) != (options.tls_key is None):
        raise InputError("--tls-cert and --tls-key go together: the certificate (PEM) and its private key")
    if options.tls_cert is None or options.tls_key is None:
        if options.server_mode and options.host not in LOOPBACK and not options.insecure_http:
            raise InputError(f"--host {options.host}: a group server on a network needs TLS: give --tls-cert and "
                             "--tls-key, or --insecure-http to send its tokens and groups unencrypted")
        return None
    if not options.server_mode:
        raise InputError("--tls-cert/--tls-key are for a group server (--host on a network address, or --server)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(options.tls_cert, options.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"--tls-cert {options.tls_cert} / --tls-key {options.tls_key} cannot be loaded "
                         f"({getattr(exc, 'strerror', None) or exc})") from exc
    return context


class Daemon:
    """One running daemon: its services, API server and schedule, built through the composition root."""

    def __init__(self, settings: Settings, home: Path, options: DaemonOptions,
                 tls: ssl.SSLContext | None = None, tray: Tray | None = None) -> None:
        self.settings, self.home, self.options, self.tls, self.tray = settings, home, options, tls, tray
        self.stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_asked = False
        self._stop_lock = threading.Lock()
        self.open_browser = False  # the web UI in the browser once the API listens (`run` set it)

    async def serve(self) -> int:
        options = self.options
        with self._stop_lock:
            self._loop = asyncio.get_running_loop()
            if self._stop_asked:  # Quit or a signal came before the loop ran
                self.stopping.set()
        async with open_services(self.settings, self.home, environ=options.environ,
                                 quiet_seconds=options.quiet_seconds, daemon=True) as services:
            engine = services.engine
            engine.serving = options.server_mode
            config = HttpConfig(server_mode=options.server_mode)
            schedule = Schedule(refresh=lambda: engine.cycle("scheduled"), next_refresh=engine.next_refresh,
                                watch=engine.check, backups=lambda: engine.backup_changed(services.backups),
                                daily=lambda: engine.daily(services.backups), report=engine.report,
                                update=services.updates.tick, watch_every=options.watch_every)
            app = build_api(services, config, schedule=schedule, stop=self.stopping.set)
            try:
                server = await start_server(app, options.host, options.port, ssl_context=self.tls)
            except OSError as exc:
                raise StateError(f"cannot listen on {options.host}:{options.port} ({exc.strerror or exc}); "
                                 "is another program using that port? Try --port") from exc
            info = DaemonInfo(os.getpid(), server.url, config.api_key, __version__)
            write_info(self.home, info)
            log.info("tsmsyncd %s listening on %s (data folder %s)", __version__, server.url, self.home)
            if options.server_mode:
                log.info("serving groups to other machines (tokens: `tsmsyncd tokens list`); the UI and the "
                         "settings are not served here")
                if self.tls is None and options.host not in LOOPBACK:
                    log.warning("--insecure-http: tokens and groups cross the network unencrypted on %s",
                                server.url)
            browser: asyncio.Task[None] | None = None
            try:
                if self.open_browser:
                    browser = asyncio.get_running_loop().create_task(self._open_browser(server.url, app[LOGINS]))
                if self.tray is not None:
                    from tsmsyncd.tray.bridge import TrayContext

                    await self.tray.attach(TrayContext(services, schedule, app[LOGINS], server.url, self.home,
                                                       self.stop))
                await engine.startup()
                services.watchlist.start()
                schedule.start()
                if options.on_ready is not None:
                    await _maybe(options.on_ready(info, services))
                await self.stopping.wait()
                log.info("stopping: no new work; waiting for a job in flight")
                schedule.shutdown()
                if not await services.runner.wait_idle(STOP_GRACE):
                    log.warning("a job was still running after %.0f s; it finishes on its own", STOP_GRACE)
            finally:
                if self.tray is not None:
                    await self.tray.detach()
                if browser is not None:
                    await browser
                schedule.shutdown()
                await server.close()
                remove_info(self.home, os.getpid())
        return 0

    def stop(self) -> None:
        """Stop the daemon; from any thread (the tray's Quit, a signal), before the loop runs too."""
        with self._stop_lock:
            self._stop_asked = True
            loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self.stopping.set)
        except RuntimeError:  # the loop has closed: it stopped already
            pass

    async def _open_browser(self, url: str, logins: Logins) -> None:
        """The web UI in the player's browser, logged in through a one-time link (never the API key)."""
        from tsmsyncd.http.launch import open_browser

        try:
            page = await asyncio.to_thread(open_browser, url, logins, self.home)
        except Exception:  # a browser that will not start never stops the daemon
            log.exception("opening the web UI in the browser failed; `tsmsyncd open` tries again")
            return
        log.info("opened the web UI in the browser (%s)", page.name)


async def _maybe(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


def run(settings: Settings, home: Path, options: DaemonOptions) -> int:
    """``tsmsyncd run``: 0 after a clean stop, 1 when another daemon owns the data folder (or a group
    server's options are refused)."""
    tls = tls_context(options)  # refused before anything starts
    lock = InstanceLock(home)
    if not lock.acquire():
        other = read_info(home)
        where = f" (pid {other.pid}, {other.url})" if other else ""
        raise StateError(f"tsmsyncd is already running for {home}{where}; stop it first or use another "
                         "TSMSYNCD_HOME")
    setup_file_logging(home / "logs", secrets=[settings.client_secret, *(
        [settings.group_source.token] if settings.group_source else [])])
    try:
        daemon = Daemon(settings, home, options, tls)
        daemon.tray = None if options.headless else _tray(daemon, options.environ)
        # Not with --minimized (autostart: the tray only), nor without a display: a console browser
        # (lynx, w3m) would take over the terminal; nor for a group server, which serves no UI.
        daemon.open_browser = not options.headless and not options.minimized and not options.server_mode and (
            daemon.tray is not None or _has_display(options.environ))
        if daemon.tray is not None:
            return _with_tray(daemon, daemon.tray)
        return asyncio.run(_headless(daemon))
    finally:
        lock.release()


def _has_display(environ: dict[str, str]) -> bool:
    return sys.platform in ("win32", "darwin") or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _tray(daemon: Daemon, environ: dict[str, str]) -> Tray | None:
    """The tray, or None after one log line saying why there is none (and that the daemon runs headless)."""
    try:
        from tsmsyncd.tray.tray import Tray, load_backend
    except ImportError as exc:  # Pillow or pystray missing from this build
        reason: object = f"the tray's libraries are missing ({exc})"
    else:
        reason = load_backend(environ)
        if not isinstance(reason, str):
            return Tray(reason, daemon.stop, environ=environ)
    line = f"no tray icon: {reason}; running headless (open the web UI with `tsmsyncd open`)"
    log.info("%s", line)
    if sys.stderr is not None and sys.stderr.isatty():  # started by hand in a terminal: say it there too
        print(f"tsmsyncd: {line}", file=sys.stderr)
    return None


def _with_tray(daemon: Daemon, tray: Tray) -> int:
    """pystray on the main thread, the loop in "tsmsyncd-loop"; whichever ends first ends the other."""
    outcome: dict[str, Any] = {}

    def loop_thread() -> None:
        try:
            outcome["code"] = asyncio.run(daemon.serve())
        except BaseException as exc:  # handed to the main thread, which raises it as `run` would
            outcome["error"] = exc
        finally:
            tray.stop()

    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, lambda *_: daemon.stop())
    thread = threading.Thread(target=loop_thread, name="tsmsyncd-loop")
    thread.start()
    try:
        tray.run()
    except Exception:  # the icon could not start after all: the daemon goes on without it
        log.exception("the tray icon failed; running on without it (stop it with Ctrl-C or SIGTERM)")
    while thread.is_alive():
        thread.join(0.5)  # in slices: signal handlers run on this thread
    if "error" in outcome:
        raise outcome["error"]
    return int(outcome.get("code", 1))


async def _headless(daemon: Daemon) -> int:
    loop = asyncio.get_running_loop()
    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        if sys.platform != "win32":  # Windows' event loops have no signal handlers
            try:
                loop.add_signal_handler(sig, daemon.stop)
                continue
            except RuntimeError:  # no wakeup fd for the loop here: the plain handler below
                pass
        signal.signal(sig, lambda *_: loop.call_soon_threadsafe(daemon.stop))
    if sys.platform == "win32":  # Ctrl-Break and console close reach us as SIGBREAK
        signal.signal(signal.SIGBREAK, lambda *_: loop.call_soon_threadsafe(daemon.stop))
    return await daemon.serve()
