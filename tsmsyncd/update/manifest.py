"""The release manifest and its Ed25519 signature: what a release server may tell this program.

One manifest per channel (``stable``, ``beta``), served as ``<update_url>/<channel>.json`` with its detached
signature beside it as ``<channel>.json.sig`` (one line: the 64-byte signature in base64, over the exact
bytes of the manifest). The signature is checked on the bytes as they arrived, before anything parses
them; only then is the JSON read, strictly (unknown keys, duplicate keys, NaN, wrong types: refused)::

    {
      "format": "tsmsyncd.release/1",
      "channel": "stable",
      "version": "0.3.0",                        PEP 440, compared with packaging.version
      "date": "2027-01-10T12:00:00Z",
      "notes": "What changed, for the banner.",
      "platforms": {                             <os>-<arch>: linux|windows|macos - x86_64|arm64
        "linux-x86_64": {"url": "https://.../tsmsyncd-0.3.0-linux-x86_64.tar.gz",
                         "size": 48213760, "sha256": "<64 hex digits>", "format": "tar.gz"}
      }
    }

The channel is inside what is signed, so a beta manifest served as the stable one is refused. Download
URLs must be https (plain http only to this machine, for tests). Every refusal is an ``UpdateError`` whose
message names what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from tsmsyncd.errors import UpdateError
from tsmsyncd.hosts import is_loopback
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.update import CHANNELS
from tsmsyncd.update.keys import RELEASE_KEYS, key_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["ARCHIVE_FORMATS", "FORMAT", "MAX_ARCHIVE_BYTES", "MAX_MANIFEST_BYTES", "MAX_SIGNATURE_BYTES",
           "Artifact", "Manifest", "check_url", "parse_manifest", "sign", "verified_manifest",
           "verify"]

FORMAT = "tsmsyncd.release/1"
MAX_MANIFEST_BYTES = 64 * 1024  # a manifest is a few hundred bytes; anything near this is not one
MAX_SIGNATURE_BYTES = 1024
MAX_ARCHIVE_BYTES = 512 * 2**20  # a one-folder app is 50-150 MB; no signed size above this is accepted
ARCHIVE_FORMATS = ("tar.gz", "zip")
SIGNATURE_BYTES = 64
PLATFORM = re.compile(r"(linux|windows|macos)-(x86_64|arm64)\Z")
SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_FIELDS = {"format", "channel", "version", "date", "notes", "platforms"}
_ARTIFACT_FIELDS = {"url", "size", "sha256", "format"}


@dataclass(frozen=True)
class Artifact:
    """One platform's download: where, how big, its sha256 and whether it is a tar.gz or a zip."""

    platform: str
    url: str
    size: int
    sha256: str
    format: str

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "size": self.size, "sha256": self.sha256, "format": self.format}


@dataclass(frozen=True)
class Manifest:
    channel: str
    version: Version
    date: datetime
    notes: str
    platforms: Mapping[str, Artifact]

    def artifact(self, platform: str) -> Artifact | None:
        return self.platforms.get(platform)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "channel": self.channel, "version": str(self.version),
                "date": self.date.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "notes": self.notes, "platforms": {k: a.as_json() for k, a in sorted(self.platforms.items())}}


# -- the signature ------------------------------------------------------------------------------------


def sign(data: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The ``.sig`` file for ``data``: its Ed25519 signature in base64, one line (``tools/sign_manifest.py``)."""
    return base64.b64encode(private_key.sign(data)) + b"\n"


def _signature(text: bytes) -> bytes:
    if len(text) > MAX_SIGNATURE_BYTES:
        raise UpdateError("signature", f"the manifest's signature file is {len(text):,} bytes, not one line of "
                                       "base64; refused")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UpdateError("signature", "the manifest's signature is not base64; refused") from exc
    if len(raw) != SIGNATURE_BYTES:
        raise UpdateError("signature", f"the manifest's signature is truncated or padded ({len(raw)} bytes; an "
                                       f"Ed25519 signature is {SIGNATURE_BYTES}); refused")
    return raw


def verify(data: bytes, signature_file: bytes, keys: Sequence[str] = RELEASE_KEYS) -> str:
    """The id of the trusted key that signed ``data``; an ``UpdateError`` when none did."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    signature = _signature(signature_file)
    trusted = []
    for text in keys:
        try:
            trusted.append((key_id(text), Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))))
        except (binascii.Error, ValueError):
            continue  # a key line that is not a key (an unreleased build's placeholder) trusts nothing
    if not trusted:
        raise UpdateError("no_key", "this build has no release key, so no update can be verified; download new "
                                    "versions by hand")
    for name, key in trusted:
        try:
            key.verify(signature, data)
            return name
        except InvalidSignature:
            continue
    raise UpdateError("signature", "the manifest's signature does not verify with this program's release key "
                                   "(it was changed after signing, or signed with another key); refused")


# -- the manifest -------------------------------------------------------------------------------------


def verified_manifest(data: bytes, signature_file: bytes, channel: str,
                      keys: Sequence[str] = RELEASE_KEYS) -> Manifest:
    """Check the signature on the bytes as they came, then parse them: nothing unsigned is ever read."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise UpdateError("manifest", f"the {channel} manifest is {len(data):,} bytes; a manifest is far smaller")
    verify(data, signature_file, keys)
    return parse_manifest(data, channel)


def _bad(field: str, reason: str) -> UpdateError:
    return UpdateError("manifest", f"the release manifest's {field} {reason}; refused")


def parse_manifest(data: bytes, channel: str) -> Manifest:
    """The manifest in ``data``, which must be for ``channel``. Strict: every field checked by name."""
    try:
        doc = parse(data)
    except JsonDocError as exc:
        raise _bad("document", exc.reason) from exc
    if not isinstance(doc, dict):
        raise _bad("document", "is not a JSON object")
    unknown = sorted(set(doc) - _FIELDS)
    if unknown:
        raise _bad(unknown[0], "is not a manifest field")
    missing = sorted(_FIELDS - set(doc))
    if missing:
        raise _bad(missing[0], "is missing")
    if doc["format"] != FORMAT:
        raise _bad("format", f"is {doc['format']!r}, not {FORMAT!r}")
    if doc["channel"] not in CHANNELS:
        raise _bad("channel", f"must be one of {', '.join(CHANNELS)}")
    if doc["channel"] != channel:
        raise UpdateError("channel", f"the manifest served as the {channel} one is for the {doc['channel']} "
                                     "channel; refused")
    version = _version(doc["version"])
    notes = doc["notes"]
    if not isinstance(notes, str) or len(notes) > 20_000:
        raise _bad("notes", "must be text of at most 20,000 characters")
    platforms = doc["platforms"]
    if not isinstance(platforms, dict):
        raise _bad("platforms", "must be an object of <os>-<arch> keys")
    artifacts = {key: _artifact(key, value) for key, value in platforms.items()}
    return Manifest(str(doc["channel"]), version, _date(doc["date"]), notes, artifacts)


def _version(value: object) -> Version:
    if not isinstance(value, str) or len(value) > 64:
        raise _bad("version", "must be a version string such as 0.3.0")
    try:
        return Version(value)
    except InvalidVersion as exc:
        raise _bad("version", f"{value!r} is not a PEP 440 version") from exc


def _date(value: object) -> datetime:
    if not isinstance(value, str):
        raise _bad("date", "must be an ISO 8601 time such as 2027-01-10T12:00:00Z")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad("date", f"{value!r} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise _bad("date", "must say its time zone (end it with Z)")
    return when


def _artifact(platform: str, value: object) -> Artifact:
    where = f"platforms.{platform}"
    if not PLATFORM.match(platform):
        raise _bad(where, "is not a platform (linux, windows or macos, then -x86_64 or -arm64)")
    if not isinstance(value, dict):
        raise _bad(where, "must be an object with url, size, sha256 and format")
    if set(value) != _ARTIFACT_FIELDS:
        odd = sorted(set(value) ^ _ARTIFACT_FIELDS)[0]
        raise _bad(f"{where}.{odd}", "is missing" if odd in _ARTIFACT_FIELDS else "is not a field")
    size, digest, kind, url = value["size"], value["sha256"], value["format"], value["url"]
    if type(size) is not int or not 0 < size <= MAX_ARCHIVE_BYTES:
        raise _bad(f"{where}.size", f"must be a number of bytes from 1 to {MAX_ARCHIVE_BYTES:,}")
    if not isinstance(digest, str) or not SHA256.match(digest):
        raise _bad(f"{where}.sha256", "must be 64 lowercase hex digits")
    if kind not in ARCHIVE_FORMATS:
        raise _bad(f"{where}.format", f"must be one of {', '.join(ARCHIVE_FORMATS)}")
    problem = check_url(url)
    if problem:
        raise _bad(f"{where}.url", problem)
    return Artifact(platform, str(url), size, digest, str(kind))


def check_url(url: object) -> str | None:
    """Why ``url`` may not be fetched, or None: https only (plain http to this machine, for tests), and no
    user name or password in it."""
    if not isinstance(url, str) or len(url) > 2048:
        return "must be a URL"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "must use https unless it points at this machine"
    return None
