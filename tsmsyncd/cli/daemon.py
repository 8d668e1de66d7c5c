"""``tsmsyncd run``, ``tsmsyncd status`` and ``tsmsyncd targets list|set``: the daemon and what it manages.

``status`` and ``targets`` talk to the running daemon through its API (found through ``daemon.json``, the
key sent as ``X-API-Key`` with the standard library's HTTP client: no aiohttp to import); without a daemon
they read (and for ``targets set``, write) the database directly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tsmsyncd.cli.args import realm_id
from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json

TYPE_CHECKING = False  # typing and the daemon's modules are imported when a command runs
if TYPE_CHECKING:
    from typing import Any

    from tsmsyncd.store.daemonfile import DaemonInfo

__all__ = ["add_commands", "api"]


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private
    run = commands.add_parser("run", help=help_of("run"), description=(
        "Run the daemon: refresh market data on Blizzard's cadence, regenerate groups and merge them into each "
        "target in merge mode once the game is closed. Serves the web UI on 127.0.0.1. Example: tsmsyncd run"))
    run.add_argument("--headless", action="store_true", help="no tray icon (servers, terminals, CI)")
    run.add_argument("--minimized", action="store_true", help="start in the tray without opening the browser")
    run.add_argument("--port", type=int, default=47810, metavar="N", help="the API's port (default 47810; 0: any)")
    run.add_argument("--host", default="127.0.0.1", metavar="H",
                     help="address to listen on (default 127.0.0.1); any other makes a group server for other "
                          "machines: tokens instead of the UI, read-only routes")
    run.add_argument("--server", action="store_true", help="a group server even on 127.0.0.1 (behind a TLS proxy)")
    run.add_argument("--tls-cert", type=Path, metavar="PEM", help="the group server's certificate (chain), PEM")
    run.add_argument("--tls-key", type=Path, metavar="PEM", help="the private key of --tls-cert, PEM")
    run.add_argument("--insecure-http", action="store_true",
                     help="allow a group server on a network without TLS (tokens and groups travel unencrypted)")
    run.set_defaults(run=run_daemon)
    status = commands.add_parser("status", help=help_of("status"), description=(
        "The running daemon's state (through its API), or that it is not running and what the database last "
        "recorded. Example: tsmsyncd status --json"))
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(run=run_status)
    opening = commands.add_parser("open", help=help_of("open"), description=(
        "Open the web UI of the running daemon in your browser, logged in through a one-time link that works "
        "once, for two minutes (the API key never appears in a URL or in the browser's command line). "
        "Example: tsmsyncd open"))
    opening.add_argument("--print", action="store_true", dest="print_only",
                         help="print the page to open instead of starting a browser (another machine, a terminal)")
    opening.set_defaults(run=run_open)
    targets = commands.add_parser("targets", help=help_of("targets"), description=(
        "Targets are the TSM profiles of each account's TradeSkillMaster.lua. New ones start in string mode: "
        "nothing is merged until you turn merging on."))
    actions = targets.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the targets, their realm, mode and state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_targets_list)
    change = actions.add_parser("set", help="change a target's mode or realm",
                                description="Example: tsmsyncd targets set 3f2a9c0d1e2b4a5f --mode merge")
    change.add_argument("id", metavar="ID", help="the target's id, as `targets list` shows it")
    change.add_argument("--mode", choices=("merge", "string", "off"), help="merge: applied automatically when safe")
    change.add_argument("--realm", type=realm_id, metavar="ID", help="its connected realm id (set by hand)")
    change.add_argument("--infer-realm", action="store_true", help="infer the realm from its characters again")
    change.add_argument("--group-source", choices=("local", "remote", "default"),
                        help="where its groups come from: this machine's rules, the group server, or the "
                             "group server when one is set (default)")
    change.add_argument("--server", metavar="URL",
                        help="take its groups from this group server (https://host:port); the token is read "
                             "from TSMSYNCD_GROUP_TOKEN or, without it, from standard input (never an argument)")
    change.add_argument("--ca-file", metavar="PEM", help="with --server: the CA certificate of a private server")
    change.add_argument("--poll-seconds", type=float, metavar="N", help="with --server: how often to ask it")
    change.add_argument("--json", action="store_true", help="print JSON")
    change.set_defaults(run=run_targets_set)


def run_daemon(args: argparse.Namespace) -> int:
    from tsmsyncd.config import data_dir, load_settings
    from tsmsyncd.daemon import DaemonOptions, run

    if not 0 <= args.port < 65536:
        from tsmsyncd.errors import InputError

        raise InputError(f"--port {args.port}: a port is a number from 0 to 65535")
    settings = load_settings()
    options = DaemonOptions(host=args.host, port=args.port, headless=args.headless, minimized=args.minimized,
                            quiet_seconds=settings.quiet_seconds, watch_every=settings.watch_seconds,
                            server=args.server, tls_cert=args.tls_cert, tls_key=args.tls_key,
                            insecure_http=args.insecure_http)
    return run(settings, data_dir(), options)


def api(info: DaemonInfo, method: str, path: str, body: object = None, timeout: float = 30) -> Any:
    """One call to the running daemon's API; errors come back as the daemon's own message (an update's
    refusal as the ``UpdateError`` it was, so the command says the same as without a daemon)."""
    import json
    import urllib.error
    import urllib.request

    from tsmsyncd.errors import StateError

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(info.url + path, data=data, method=method,
                                     headers={"X-API-Key": info.api_key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # our own loopback URL
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "", f"HTTP {exc.code}"
        if code in ("update_refused", "busy"):
            from tsmsyncd.errors import BusyError, UpdateError

            raise (UpdateError("daemon", message) if code == "update_refused" else BusyError(message)) from exc
        raise StateError(f"the daemon refused: {message}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise StateError(f"the daemon at {info.url} did not answer ({exc})") from exc


def run_open(args: argparse.Namespace) -> int:
    from tsmsyncd.config import data_dir
    from tsmsyncd.errors import StateError
    from tsmsyncd.http.launch import write_redirect_file

    info = _daemon()
    if info is None:
        raise StateError("tsmsyncd is not running: start it with `tsmsyncd run`, then `tsmsyncd open`")
    login = api(info, "POST", "/api/v1/logins")
    page = write_redirect_file(data_dir(), info.url + str(login["path"]))
    if args.print_only:
        say(f"open this file in a browser on this computer (it works once, for two minutes): {page.as_uri()}")
        return 0
    import webbrowser

    if not webbrowser.open(page.as_uri()):
        say(f"no browser could be started; open this file in one (it works once, for two minutes): {page.as_uri()}")
        return 0
    say(f"opened tsmsyncd at {info.url}")
    return 0


def _daemon() -> DaemonInfo | None:
    from tsmsyncd.config import data_dir
    from tsmsyncd.store.daemonfile import read_info

    return read_info(data_dir())


def run_status(args: argparse.Namespace) -> int:
    info = _daemon()
    if info is not None:
        state = api(info, "GET", "/api/v1/status")
        payload = {"running": True, "url": info.url, **state}
    else:
        payload = {"running": False, **_recorded_state()}
    if args.json:
        say_json(payload)
        return 0
    say(_status_text(payload))
    return 0


def _recorded_state() -> dict[str, Any]:
    from tsmsyncd.cli.runtime import run_plain
    from tsmsyncd.db import history as history_db
    from tsmsyncd.db import targets as targets_db

    def read(services: Any) -> dict[str, Any]:
        targets = services.db.run(targets_db.load_targets)
        last = services.db.run(history_db.entries, 5)
        by_state: dict[str, int] = {}
        for t in targets.values():
            by_state[str(t.state)] = by_state.get(str(t.state), 0) + 1
        return {"targets": by_state, "history": [e.as_json() for e in last]}

    return run_plain(read)


def _status_text(p: dict[str, Any]) -> str:
    targets = ", ".join(f"{n} {s}" for s, n in sorted(p.get("targets", {}).items())) or "none yet"
    if not p["running"]:
        lines = ["tsmsyncd is not running (start it with `tsmsyncd run`)", f"  targets: {targets}"]
        lines += [f"  {e['at']}  {e['message']}" for e in p.get("history", [])]
        return "\n".join(lines)
    lines = [f"tsmsyncd {p.get('version', '')} is running at {p['url']} (pid {p.get('pid')}): {p['state']}",
             f"  targets: {targets}; pending: {p.get('pending', 0)}",
             f"  next refresh: {p.get('next_refresh') or 'not planned'}"]
    if p.get("last_error"):
        lines.append(f"  last error: {p['last_error']}")
    return "\n".join(lines)


def run_targets_list(args: argparse.Namespace) -> int:
    info = _daemon()
    if info is not None:
        targets = api(info, "GET", "/api/v1/targets")
    else:
        targets = _offline(lambda service: service.discover())
    if args.json:
        say_json(targets)
        return 0
    if not targets:
        say("no targets: no TradeSkillMaster.lua found (`tsmsyncd installs` says where tsmsyncd looked)")
    for t in targets:
        realm = t["realm"]
        where = f"{realm['name']} ({realm['region']}/{realm['connected_realm_id']})" if realm else "realm unknown"
        say(f"{t['id']}  {t['mode']:<6} {t['state']:<9} {t['flavor']:<11} {t['account']} · {t['profile']} · {where}")
        if t.get("reason"):
            say(f"                    {t['reason']}")
    return 0


def run_targets_set(args: argparse.Namespace) -> int:
    from tsmsyncd.errors import InputError

    changes: dict[str, object] = {}
    if args.mode:
        changes["mode"] = args.mode
    if args.realm is not None or args.infer_realm:
        changes["realm"] = None if args.infer_realm else args.realm
    if args.group_source:
        changes["group_source"] = None if args.group_source == "default" else args.group_source
    if args.server:
        changes["group_source"] = _server_source(args)
    elif args.ca_file or args.poll_seconds:
        raise InputError("--ca-file and --poll-seconds go with --server URL")
    if not changes:
        raise InputError("nothing to change: give --mode, --realm, --infer-realm, --group-source or --server")
    info = _daemon()
    if info is not None:
        target = api(info, "PATCH", f"/api/v1/targets/{args.id}", changes)
    else:
        target = _offline_change(args.id, changes)
    if args.json:
        say_json(target)
    else:
        say(f"target {target['id']}: mode {target['mode']}, realm "
            f"{(target['realm'] or {}).get('connected_realm_id', 'unknown')}")
    return 0


def _server_source(args: argparse.Namespace) -> dict[str, object]:
    """``--server URL`` with its token: from ``TSMSYNCD_GROUP_TOKEN``, else one line of standard input
    (asked for without echo on a terminal). Never an argument: argv is visible to every local user."""
    import os
    import sys

    from tsmsyncd.errors import InputError

    token = os.environ.get("TSMSYNCD_GROUP_TOKEN", "").strip()
    if not token:
        if sys.stdin.isatty():
            import getpass

            token = getpass.getpass("the group server's token (from its admin): ").strip()
        else:
            token = sys.stdin.readline().strip()
    if not token:
        raise InputError("--server needs the token its admin gave you: in TSMSYNCD_GROUP_TOKEN, or on standard input")
    source: dict[str, object] = {"url": args.server, "token": token}
    if args.ca_file:
        source["ca_file"] = str(Path(args.ca_file).resolve())
    if args.poll_seconds:
        source["poll_seconds"] = args.poll_seconds
    return source


def _offline_change(target_id: str, changes: dict[str, object]) -> Any:
    """``targets set`` without a daemon: a server goes into settings.json, the rest to the database."""
    from tsmsyncd.cli.runtime import run_services

    source = changes.get("group_source")

    async def call(services: Any) -> Any:
        if not isinstance(source, dict):
            return (await services.targets.change(target_id, changes)).as_json()
        import dataclasses

        from tsmsyncd.config import GroupSource, save_settings

        server = GroupSource.from_json(source)
        target = await services.targets.change(target_id, {**changes, "group_source": "remote"}, server=server)
        save_settings(dataclasses.replace(services.settings, group_source=server),
                      {"TSMSYNCD_HOME": str(services.home)})
        return target.as_json()

    return run_services(call)


def _offline(work: Any, single: bool = False) -> Any:
    """Targets without a daemon: through the database, as the daemon would."""
    from tsmsyncd.cli.runtime import run_services

    async def call(services: Any) -> Any:
        result = await work(services.targets)
        if single:
            return result.as_json()
        return [t.as_json() for t in result]

    return run_services(call)
