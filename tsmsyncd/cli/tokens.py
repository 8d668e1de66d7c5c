"""``tsmsyncd tokens create|list|revoke``: the tokens of this machine's group server (``run --host``).

They work on the database directly, daemon running or not: the server reads a token's row on every
request, so a revoke takes effect from its next request. ``create`` prints the token once, alone on its
last line (scripts take that line); only its hash is kept, so a lost token is revoked and made anew.
"""

from __future__ import annotations

import argparse

from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private
    tokens = commands.add_parser("tokens", help=help_of("tokens"), description=(
        "The tokens other machines' daemons use to take groups from this one when it runs as a group server "
        "(tsmsyncd run --host 0.0.0.0 --tls-cert ... --tls-key ...)."))
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token and print it (once)", description=(
        "Make a token for one client and print it once. The realms are refreshed for it from the next refresh "
        "on (its client may also ask for others, up to the server's max_realms). "
        "Example: tsmsyncd tokens create alice --realms 3678 eu/1305"))
    create.add_argument("name", metavar="NAME", help="who it is for (shown in `tokens list`; revoke by it)")
    create.add_argument("--realms", nargs="+", default=[], metavar="ID",
                        help="connected realm ids to refresh for this client (this server's region), or keys such "
                             "as eu/1305")
    create.add_argument("--rate", metavar="N/UNIT", help="this token's own limit, e.g. 60/min or 2/h (default: the "
                                                         "server's settings)")
    create.add_argument("--json", action="store_true", help="print JSON (the token in it)")
    create.set_defaults(run=run_create)
    listing = actions.add_parser("list", help="the tokens: created, last used, requests")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    revoke = actions.add_parser("revoke", help="revoke a token (from its next request on)",
                                description="Example: tsmsyncd tokens revoke alice")
    revoke.add_argument("name", metavar="NAME")
    revoke.add_argument("--json", action="store_true", help="print JSON")
    revoke.set_defaults(run=run_revoke)


def _tokens(work: Any) -> Any:
    from tsmsyncd.cli.runtime import run_services

    async def call(services: Any) -> Any:
        return await work(services.tokens)

    return run_services(call)


def run_create(args: argparse.Namespace) -> int:
    token, record = _tokens(lambda tokens: tokens.create(args.name, args.realms, args.rate))
    if args.json:
        say_json({**record.as_json(), "token": token})
        return 0
    realms = ", ".join(record.realms) or "none yet (its client's requests add them)"
    say(f"token {record.name!r} created (realms: {realms}). It is shown only now: give it to its client, who "
        "sets it with `tsmsyncd targets set ID --server URL` (the token on standard input).")
    say(token)
    return 0


def run_list(args: argparse.Namespace) -> int:
    records = _tokens(lambda tokens: tokens.all())
    if args.json:
        say_json([r.as_json() for r in records])
        return 0
    if not records:
        say("no tokens yet: `tsmsyncd tokens create NAME` makes one")
    for r in records:
        shown = r.as_json()
        state = f"revoked {shown['revoked_at']}" if not r.active else "active"
        say(f"{r.name}  {state}  created {shown['created_at']}  last used {shown['last_used'] or 'never'}  "
            f"requests {r.requests:,}" + (f" (+{r.limited:,} rate-limited)" if r.limited else "")
            + (f"  realms {', '.join(r.realms)}" if r.realms else ""))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    record = _tokens(lambda tokens: tokens.revoke(args.name))
    if args.json:
        say_json(record.as_json())
    else:
        say(f"token {record.name!r} revoked: its next request is refused")
    return 0
