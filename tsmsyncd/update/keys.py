"""The release keys this program trusts: the one root of trust for updates.

An update may rewrite the program that writes into a player's game folder, so only what the project's
release key signed is ever installed. The public half of that key ships here, in the program's own code
(compiled into the one-folder app), and nothing at run time can add another: not ``settings.json``, not
the environment, not the API, not the command line.

Why no "trust this key" switch for tests: an environment variable or a setting is configuration, and
configuration can be planted without touching the program (a line in ``~/.profile``, a user environment
variable on Windows, ``PATCH /api/v1/settings`` from a page that got the API key), where it would stay,
invisible, and turn the signed update channel into a way to install anyone's code. Code that checks a
signature takes the keys as a parameter instead (``keys=RELEASE_KEYS`` by default); tests pass throwaway
keys there, and the tests that run the real program in a process run a copy of the package whose
``RELEASE_KEYS`` was rewritten, which is what building a release with another key means. Replacing this
file is replacing the program: whoever can do that owns the install already.

Rotation: add the new key's line next to the old one, release, sign with the new key from then on, and
drop the old line a release later. ``python tools/sign_manifest.py keygen --out PATH`` makes a key pair and
prints the line to paste here.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["RELEASE_KEYS", "key_id"]

# Ed25519 public keys, raw 32 bytes in base64. The private half is kept offline by the release manager
# and never enters the repository.
RELEASE_KEYS: tuple[str, ...] = (
    "Lt2cijyUjH9ev1jVMHHkCPx5UAaJYiLbpbsM2EfVgGg=",  # b3f62b1dd1b0331e, release key 1 (2026-12)
)


def key_id(public_key: str) -> str:
    """A short, stable name for a key (the first 16 hex digits of the sha256 of its raw bytes)."""
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]
