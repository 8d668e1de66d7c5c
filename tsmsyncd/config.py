"""Where tsmsyncd keeps its own files, and its settings: typed, validated, with a message naming the field.

``TSMSYNCD_HOME`` overrides everything (tests, portable installs); otherwise the platform's user data
folder (``%LOCALAPPDATA%\\tsmsyncd``, ``~/Library/Application Support/tsmsyncd``, ``~/.local/share/tsmsyncd``).
Settings live in ``settings.json`` there (written atomically, readable only by the user: it may hold the
Blizzard client secret); environment variables override them:
``TSMSYNCD_BLIZZARD_API_URL`` (may contain ``{region}``), ``TSMSYNCD_BLIZZARD_OAUTH_URL``,
``TSMSYNCD_BLIZZARD_CLIENT_ID`` and ``TSMSYNCD_BLIZZARD_CLIENT_SECRET``.

Updates (``sync/updates.py``): ``update_check`` (true, false, or null: on for the one-folder app, off for a
pip install, which pip updates), ``update_channel`` (stable or beta) and ``update_url`` (where the signed
manifests are; the release key that must have signed them is in the program, never in a setting).
Two settings are objects: ``group_source`` (a group server this daemon takes its GroupSets from, with the
token it was given: a secret, shown only as "(set)") and ``server`` (the limits of this daemon's own group
server mode: rates per token and in all, and how many realms its clients may have it refresh).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tsmsyncd.errors import SettingsError
from tsmsyncd.hosts import is_loopback
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.store.atomic import write_atomic
from tsmsyncd.update import CHANNELS
from tsmsyncd.wow.flavor import Flavor

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_OAUTH_URL",
    "DEFAULT_UPDATE_URL",
    "GroupSource",
    "ServerLimits",
    "Settings",
    "check_region",
    "data_dir",
    "database_path",
    "load_settings",
    "save_settings",
]

DEFAULT_API_URL = "https://{region}.api.blizzard.com"
DEFAULT_OAUTH_URL = "https://oauth.battle.net/token"  # one token works on every regional API host
# The project's release site. Only the manifests' signatures are trusted, not this host (nor https itself).
DEFAULT_UPDATE_URL = "https://tsmsyncd.github.io/releases"
REGIONS = ("us", "eu", "kr", "tw")
_LISTS = {"realms": "a list of realm ids", "wow_roots": "a list of folders"}
_NUMBERS = ("quiet_seconds", "watch_seconds")
_FLAGS = ("notify_applied", "notify_failed", "notify_refresh", "notify_watch", "autostart_asked")
_CHECKED = ("update_check",)  # not text: checked by Settings itself
_OBJECTS = {"group_source": "an object with url and token, or null", "server": "an object of server limits"}
_ENV = {
    "api_url": "TSMSYNCD_BLIZZARD_API_URL",
    "oauth_url": "TSMSYNCD_BLIZZARD_OAUTH_URL",
    "client_id": "TSMSYNCD_BLIZZARD_CLIENT_ID",
    "client_secret": "TSMSYNCD_BLIZZARD_CLIENT_SECRET",
}


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The data folder (settings, database, backups, logs). ``TSMSYNCD_HOME`` must name a folder, or a
    path where one can be made; a file there is an error naming the variable."""
    home = environ.get("TSMSYNCD_HOME")
    if home:
        folder = Path(home).expanduser()
    else:
        import platformdirs  # only without TSMSYNCD_HOME: it costs start-up time

        folder = Path(platformdirs.user_data_dir("tsmsyncd", appauthor=False))
    if folder.exists() and not folder.is_dir():
        name = "TSMSYNCD_HOME" if home else "data folder"
        raise SettingsError(name, f"{folder} is a file, not a folder; point it at a folder (it is created if missing)")
    return folder


def check_region(region: str) -> str:
    if region == "cn":
        raise SettingsError("region", "China (cn) is not supported: Blizzard's API does not serve global clients there")
    if region not in REGIONS:
        raise SettingsError("region", f"{region!r} is not a region; use one of {', '.join(REGIONS)}")
    return region


def database_path(environ: Mapping[str, str] = os.environ) -> Path:
    return data_dir(environ) / "tsmsyncd.db"


@dataclass(frozen=True)
class GroupSource:
    """A group server to take GroupSets from instead of this machine's own rules: its URL (https, or http
    to this machine; plain http across a network only with ``insecure_http``), the token its admin gave
    (``tsmsyncd tokens create`` there), a CA file for a private certificate (else the system's, and
    ``SSL_CERT_FILE``), and how often to ask (a 304 costs the server next to nothing)."""

    url: str
    token: str = field(repr=False)
    ca_file: str | None = None
    poll_seconds: float = 300.0
    insecure_http: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.insecure_http, bool):
            raise SettingsError("group_source.insecure_http", "must be true or false")
        if not isinstance(self.url, str) or len(self.url) > 2048:
            raise SettingsError("group_source.url", "must be the group server's URL (https://host:port)")
        _check_url("group_source.url", self.url.rstrip("/"), allow_http=self.insecure_http)
        object.__setattr__(self, "url", self.url.rstrip("/"))
        token = self.token
        if not isinstance(token, str) or not 16 <= len(token) <= 256 or not token.isascii() \
                or not token.isprintable() or " " in token:
            raise SettingsError("group_source.token", "must be the token the group server's admin gave you "
                                "(one word; `tsmsyncd tokens create` prints it there)")
        if self.ca_file is not None and (not isinstance(self.ca_file, str) or not self.ca_file.strip()):
            raise SettingsError("group_source.ca_file", "must be the path of a CA certificate file (PEM) or null")
        _check_number("group_source.poll_seconds", self.poll_seconds, 1, 86400)

    @classmethod
    def from_json(cls, data: object) -> GroupSource:
        if not isinstance(data, Mapping):
            raise SettingsError("group_source", "must be an object with url and token, or null")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise SettingsError(f"group_source.{unknown[0]}", "is not a group source setting (url, token, ca_file, "
                                "poll_seconds, insecure_http)")
        for name in ("url", "token"):
            if name not in data:
                raise SettingsError(f"group_source.{name}", "is required")
        return cls(**data)

    def public(self) -> dict[str, object]:
        return {"url": self.url, "token": "(set)", "ca_file": self.ca_file, "poll_seconds": self.poll_seconds,
                "insecure_http": self.insecure_http}


@dataclass(frozen=True)
class ServerLimits:
    """Group server mode (``run --host``): each token's rate (a bucket of ``burst`` requests refilled at
    ``per_token_per_minute``), one for all callers together, and how many realms the clients' wishes may
    add to what this server refreshes."""

    per_token_per_minute: float = 60.0
    burst: int = 30
    global_per_second: float = 100.0
    global_burst: int = 200
    max_realms: int = 20

    def __post_init__(self) -> None:
        _check_rate("server.per_token_per_minute", self.per_token_per_minute)
        _check_rate("server.global_per_second", self.global_per_second)
        for name, high in (("burst", 100_000), ("global_burst", 1_000_000), ("max_realms", 1_000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise SettingsError(f"server.{name}", f"must be a whole number from 1 to {high:,}")

    @classmethod
    def from_json(cls, data: object) -> ServerLimits:
        if not isinstance(data, Mapping):
            raise SettingsError("server", "must be an object of server limits")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise SettingsError(f"server.{unknown[0]}", f"is not a server setting "
                                f"({', '.join(cls.__dataclass_fields__)})")
        return cls(**data)


@dataclass(frozen=True)
class Settings:
    region: str = "us"
    flavor: Flavor = Flavor.RETAIL
    realms: tuple[int, ...] = ()  # connected realm ids to refresh
    wow_roots: tuple[str, ...] = ()  # install folders to add to discovery (TSMSYNCD_WOW_ROOTS replaces it)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    quiet_seconds: float = 5.0  # how long a file must stay unchanged before a pending plan is applied
    watch_seconds: float = 2.5  # how often the daemon looks whether the game is still running
    notify_applied: bool = True  # desktop notifications, per kind (sync/notices.py)
    notify_failed: bool = True
    notify_refresh: bool = True
    notify_watch: bool = True
    autostart_asked: bool = False  # the first-run setup asked whether to start at login (autostart stays off)
    update_check: bool | None = None  # look for updates daily; None: on for the one-folder app, off for pip
    update_channel: str = "stable"
    update_url: str = DEFAULT_UPDATE_URL
    group_source: GroupSource | None = None  # take GroupSets from a group server (targets may say "local")
    server: ServerLimits = field(default_factory=ServerLimits)  # the limits of group server mode

    def __post_init__(self) -> None:
        check_region(self.region)
        if self.group_source is not None and not isinstance(self.group_source, GroupSource):
            object.__setattr__(self, "group_source", GroupSource.from_json(self.group_source))
        if not isinstance(self.server, ServerLimits):
            object.__setattr__(self, "server", ServerLimits.from_json(self.server))
        try:
            object.__setattr__(self, "flavor", Flavor.parse(self.flavor))
        except ValueError as exc:
            raise SettingsError("flavor", str(exc).removeprefix("flavor: ")) from exc
        if not all(isinstance(r, str) and r.strip() and len(r) < 4096 for r in self.wow_roots):
            raise SettingsError("wow_roots", "must be a list of folders")
        if not all(type(r) is int and 0 < r < 2**31 for r in self.realms):
            raise SettingsError("realms", "must be a list of connected realm ids (whole numbers)")
        for name in ("client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) > 256 or any(c.isspace() for c in value):
                raise SettingsError(name, "must be one word of at most 256 characters")
        _check_url("api_url", self.api_url)
        _check_url("oauth_url", self.oauth_url)
        _check_number("quiet_seconds", self.quiet_seconds, 0, 600)
        _check_number("watch_seconds", self.watch_seconds, 0.2, 60)
        for name in _FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(name, "must be true or false")
        if self.update_check is not None and not isinstance(self.update_check, bool):
            raise SettingsError("update_check", "must be true, false or null (on for the one-folder app)")
        if self.update_channel not in CHANNELS:
            raise SettingsError("update_channel", f"must be one of {', '.join(CHANNELS)}")
        _check_url("update_url", self.update_url)

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def public(self) -> dict[str, object]:
        """The settings as shown to anyone: the secret is only said to be set, never shown."""
        shown = asdict(self)
        shown["realms"] = list(self.realms)
        shown["wow_roots"] = list(self.wow_roots)
        shown["flavor"] = str(self.flavor)
        shown["client_secret"] = "(set)" if self.client_secret else ""
        shown["group_source"] = self.group_source.public() if self.group_source else None
        return shown


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """The stored settings with the environment's overrides; a broken file is an error naming the field."""
    path = data_dir(environ) / "settings.json"
    stored: dict[str, object] = {}
    if path.exists():
        try:
            stored = parse(path.read_bytes())
        except OSError as exc:
            reason = f"cannot be read ({exc.strerror or exc}); fix or delete {path}"
            raise SettingsError("settings.json", reason) from exc
        except JsonDocError as exc:
            raise SettingsError("settings.json", f"{exc.reason}; fix or delete {path}") from exc
        if not isinstance(stored, dict):
            raise SettingsError("settings.json", "is not a JSON object")
    known = {f for f in Settings.__dataclass_fields__}
    unknown = sorted(set(stored) - known)
    if unknown:
        raise SettingsError(unknown[0], "is not a setting")
    for name in _LISTS:
        if isinstance(stored.get(name), list):
            stored[name] = tuple(stored[name])  # type: ignore[arg-type]  # JSON lists; validated below
    for name, var in _ENV.items():
        if environ.get(var):
            stored[name] = environ[var]
    for name, value in stored.items():
        if name in _NUMBERS or name in _FLAGS or name in _CHECKED:
            continue  # checked (with its range) by Settings itself
        if name in _OBJECTS:
            if not isinstance(value, dict) and not (name == "group_source" and value is None):
                raise SettingsError(name, f"must be {_OBJECTS[name]}")
            continue  # checked field by field by its own dataclass
        expected = tuple if name in _LISTS else str
        if not isinstance(value, expected):
            raise SettingsError(name, f"must be {_LISTS.get(name, 'text')}")
    return Settings(**stored)  # type: ignore[arg-type]  # every key is a field, every value checked above


def save_settings(settings: Settings, environ: Mapping[str, str] = os.environ) -> Path:
    """Write the settings atomically, readable by the user only (it may hold the client secret)."""
    folder = data_dir(environ)
    folder.mkdir(parents=True, exist_ok=True)
    data = asdict(replace(settings))
    data["realms"] = list(settings.realms)
    data["wow_roots"] = list(settings.wow_roots)
    data["flavor"] = str(settings.flavor)
    path = folder / "settings.json"
    write_atomic(path, json.dumps(data, indent=2).encode() + b"\n", mode=0o600)
    return path


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise SettingsError(name, f"must be a number of seconds from {low:g} to {high:g}")


def _check_rate(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1_000_000:
        raise SettingsError(name, "must be a number of requests above 0")


def _check_url(name: str, url: str, *, allow_http: bool = False) -> None:
    """https, or plain http only to this machine (tests, the demo): a secret must never cross a network
    unencrypted (unless the player said so, ``allow_http``)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.replace("{region}", "us"))
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError as exc:
        raise SettingsError(name, f"{url!r} is not an http(s) URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(name, f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise SettingsError(name, "must use https unless it points at this machine (localhost)")
