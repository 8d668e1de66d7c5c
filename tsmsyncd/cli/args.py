"""Argument types the commands share: each refuses a bad value at parse time, naming what was expected,
and accepts every spelling a player or an old script may use (``--flavor classic_era``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tsmsyncd.errors import InputError

TYPE_CHECKING = False  # the Flavor enum is imported when a flavor is parsed: start-up stays fast
if TYPE_CHECKING:
    from tsmsyncd.wow.flavor import Flavor

__all__ = ["FLAVOR_HELP", "flavor", "output_path", "realm_id"]

FLAVOR_HELP = "retail, classic or classic-era"
MAX_REALM_ID = 2**31 - 1


def realm_id(text: str) -> int:
    """A connected realm id: a whole number from 1 up (Blizzard's ids are small positive integers)."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 0 < value <= MAX_REALM_ID or len(text.strip()) > 10:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a connected realm id (a whole number such as 3678; `tsmsyncd realms list` shows them)")
    return value


def flavor(text: str) -> Flavor:
    from tsmsyncd.wow.flavor import Flavor

    try:
        return Flavor.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("flavor: ")) from exc


def output_path(path: Path, option: str = "--out") -> Path:
    """A file we may write: its folder exists and it is not itself a folder. Checked before any work."""
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; give the path of a file to write")
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: the folder {path.parent} does not exist")
    return path
