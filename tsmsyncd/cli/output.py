"""Printing for the CLI that can never turn a finished piece of work into a failure.

The exit code must say what happened to the player's file. So output survives any console encoding (a
Windows ``cp1252`` redirect cannot show ``…`` or a realm's Chinese name: such characters become ``?``),
and a reader that goes away early (``tsmsyncd backups list FILE | head -1``) ends the printing quietly
instead of raising ``BrokenPipeError`` after the work is done.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is imported only when a type checker runs: start-up stays fast
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["prepare_streams", "say", "say_json"]

_closed: set[int] = set()


def prepare_streams() -> None:
    """Make stdout and stderr replace what their encoding cannot show, once, at start-up."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured keeps its own rules
                pass


def say(text: str = "", *, err: bool = False) -> None:
    """Print one block of text; a closed pipe silently ends all further output on that stream."""
    stream: TextIO = sys.stderr if err else sys.stdout
    if id(stream) in _closed:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        _close(stream)
    except UnicodeEncodeError:  # a stream prepare_streams could not reconfigure
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            stream.write(text.encode(encoding, "replace").decode(encoding) + "\n")
            stream.flush()
        except (BrokenPipeError, UnicodeError):
            _close(stream)


def say_json(payload: object, *, indent: int | None = 2) -> None:
    import json

    say(json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False))


def _close(stream: TextIO) -> None:
    """Stop writing to ``stream`` for good; point its descriptor at the null device so the interpreter's
    final flush cannot raise either (the recipe in Python's signal documentation)."""
    _closed.add(id(stream))
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
