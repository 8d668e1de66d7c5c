"""Where tsmsyncd keeps its own files.

``TSMSYNCD_HOME`` overrides everything (tests, portable installs); otherwise the platform's user data
folder (``%LOCALAPPDATA%\\tsmsyncd``, ``~/Library/Application Support/tsmsyncd``, ``~/.local/share/tsmsyncd``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

__all__ = ["data_dir"]


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    home = environ.get("TSMSYNCD_HOME")
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_data_dir("tsmsyncd", appauthor=False))
