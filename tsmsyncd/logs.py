"""The log file: ``<data dir>/logs/tsmsyncd.log``, rotated, and scrubbed of secrets on the way out.

Nothing should ever log a secret (the Blizzard client does not); the filter is the second line of defence:
it blanks the configured client secret and anything that looks like a bearer token or basic credentials
in every record, whoever wrote it (our code, aiohttp, a library), and every group server token
(``tsms_<id>_<secret>``) wherever it appears.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["SecretFilter", "add_secret", "setup_file_logging"]

_PATTERNS = re.compile(r"(?i)(bearer\s+|basic\s+|access_token=|client_secret=)[^\s&\"',]+")
_GROUP_TOKEN = re.compile(r"tsms_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


class SecretFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _PATTERNS.sub(lambda m: m.group(1) + "[redacted]", message)
        cleaned = _GROUP_TOKEN.sub("[redacted]", cleaned)
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_file_logging(folder: Path, secrets: Iterable[str] = (), level: int = logging.INFO) -> Path:
    """Send this process's logs to ``folder/tsmsyncd.log`` (1 MB x 3 files). Returns the file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tsmsyncd.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2**20, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # APScheduler logs two INFO lines per job run; the game watch runs every few seconds, which would fill
    # the 3 MB of logs in hours and rotate out the applies and errors a player may need weeks later.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    return path


def add_secret(secret: str) -> None:
    """A secret learned after start-up (new Blizzard credentials): blank it in every log file handler."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, SecretFilter):
                found.add(secret)
