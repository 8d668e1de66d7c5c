"""Which root groups tsmsyncd created in which profile of a TradeSkillMaster.lua: the record that lets a
merge replace its own subtree and never a group of the player's.

The record is kept twice, so losing either copy loses nothing: beside the file itself
(``SavedVariables/TradeSkillMaster.tsmsyncd.json``, which survives a lost or reinstalled data folder —
WoW never reads or removes it) and in the file's backup folder. A root counts as tsmsyncd's if either copy
says so. Both are written only after a merge has replaced the file (a kill in between can only make the
next merge ask for ``--adopt-root``, never let it take a group it did not create). A damaged copy is read
as empty, which again errs on the side of refusing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.store.atomic import write_atomic
from tsmsyncd.store.backups import BackupStore

__all__ = ["FORMAT", "RootRecord", "sidecar_path"]

FORMAT = "tsmsyncd.roots/1"
STORE_NAME = "roots.json"


def sidecar_path(savedvars_real: Path) -> Path:
    """``TradeSkillMaster.lua`` → ``TradeSkillMaster.tsmsyncd.json`` in the same folder."""
    return savedvars_real.with_name(savedvars_real.name.removesuffix(".lua") + ".tsmsyncd.json")


class RootRecord:
    """The record for one file. ``path`` is the file as named, ``real`` where its bytes live."""

    def __init__(self, store: BackupStore, path: Path, real: Path) -> None:
        self._copies = (sidecar_path(real), store.folder_for(path) / STORE_NAME)
        self._name = real.name

    def owned(self, root: str) -> frozenset[str]:
        """The profiles in which tsmsyncd created ``root``."""
        found: set[str] = set()
        for copy in self._copies:
            found.update(p for p, roots in _read(copy).items() if root in roots)
        return frozenset(found)

    def add(self, root: str, profiles: Iterable[str]) -> None:
        """Record ``root`` as tsmsyncd's in ``profiles``, in both copies (best effort for each: a copy
        that cannot be written only means a later ``--adopt-root``)."""
        merged: dict[str, list[str]] = {}
        for copy in self._copies:
            for profile, roots in _read(copy).items():
                merged.setdefault(profile, [])
                merged[profile] += [r for r in roots if r not in merged[profile]]
        changed = False
        for profile in profiles:
            roots = merged.setdefault(profile, [])
            if root not in roots:
                roots.append(root)
                changed = True
        doc = {"format": FORMAT, "file": self._name,
               "note": "which root groups tsmsyncd created in this file; delete it and tsmsyncd asks before "
                       "touching them again", "roots": {p: sorted(r) for p, r in sorted(merged.items())}}
        data = json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"
        for copy in self._copies:
            try:
                if changed or _read(copy) != doc["roots"]:
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    write_atomic(copy, data, mode=0o644)
            except OSError:
                continue


def _read(path: Path) -> dict[str, list[str]]:
    try:
        doc = parse(path.read_bytes())
    except (OSError, JsonDocError):
        return {}
    roots = doc.get("roots") if isinstance(doc, dict) and doc.get("format") == FORMAT else None
    if not isinstance(roots, dict):
        return {}
    return {p: [r for r in rs if isinstance(r, str)] for p, rs in roots.items()
            if isinstance(p, str) and isinstance(rs, list)}
