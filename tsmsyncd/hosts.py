"""Which host names are this machine: the one answer behind "plain http only to this machine" (settings
URLs, release downloads). A leaf module so every layer may ask it.

``ipaddress`` is imported on first use, not at import: every CLI command loads the settings, and the start
time of ``tsmsyncd --version`` has a budget (bench/cli_start.py).
"""

from __future__ import annotations

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1); a name that needs DNS is not."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
