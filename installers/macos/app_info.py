"""The Info.plist of tsmsyncd.app (installers/tsmsyncd.spec builds the app on macOS with it).

``LSUIElement``: a menu-bar app, no Dock icon and no app menu; the icon in the menu bar and the web UI are the
whole interface. The bundle identifier is the LaunchAgent's label too (``tsmsyncd/autostart/base.py``).
"""

from typing import Any

BUNDLE_ID = "io.github.tsmsyncd"


def info_plist(version: str) -> dict[str, Any]:
    return {
        "CFBundleName": "tsmsyncd",
        "CFBundleDisplayName": "tsmsyncd",
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSUIElement": True,
        "LSMinimumSystemVersion": "11.0",
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": "tsmsyncd contributors",
    }
