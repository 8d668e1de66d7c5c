"""Build the sandbox World of Warcraft install the demo runs against, and say what is in it.

``build_sandbox(root)`` writes ``root/World of Warcraft/`` laid out as a real install (reference §11):

    World of Warcraft/
      .tsmsyncd-sandbox.json                          what was built, and the hash of every file we wrote
      _retail_/ and _classic_era_/
        Interface/AddOns/TradeSkillMaster/TradeSkillMaster.toc
        WTF/Config.wtf                                the client's config (``portal`` = the region)
        WTF/Account/<ACCOUNT>/SavedVariables/TradeSkillMaster.lua
        WTF/Account/<ACCOUNT>/<Realm>/<Character>/AddOns.txt (+ an empty SavedVariables/)

Point ``TSMSYNCD_WOW_ROOTS`` at ``Sandbox.install``. No game executables are written: tests start real
processes of their own when they need a "running game". Who plays where is :mod:`layout`; what each
``TradeSkillMaster.lua`` holds is :mod:`content`.

Building again is safe. The record file holds the parameters and the SHA-256 of each file as we wrote it:
a missing file is written, a file still as we wrote it is left alone ("unchanged"), and a file that changed
since — the daemon merged into it, or someone edited it — is kept as it is ("kept"). ``reset=True`` writes
everything again from scratch. A folder that holds something that is not a sandbox is never written into,
and a sandbox built with other parameters is only rebuilt with ``reset=True``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.demo.content import account_file
from tsmsyncd.demo.layout import AccountPlan, Character, plan_accounts
from tsmsyncd.errors import InputError
from tsmsyncd.store.atomic import write_atomic
from tsmsyncd.wow.flavor import Flavor

__all__ = ["INSTALL_NAME", "RECORD_NAME", "Sandbox", "SandboxFile", "SandboxProfile", "build_sandbox"]

INSTALL_NAME = "World of Warcraft"
RECORD_NAME = ".tsmsyncd-sandbox.json"
RECORD_FORMAT = "tsmsyncd.sandbox/1"
SV_NAME = "TradeSkillMaster.lua"
EOL = b"\r\n"  # the client writes its files on every platform with Windows line ends
_TOC = (
    "## Interface: 110005, 40401, 11504",  # the multi-flavor TOC line of TSM v4.14.22 (reference §0)
    "## Title: TradeSkillMaster",
    "## Version: v4.14.22",
    "## SavedVariables: TradeSkillMasterDB, TSMItemInfoDB",
    "## X-Sandbox: written by tsmsyncd demo so the install looks real; the addon's code is not here",
)


@dataclass(frozen=True)
class SandboxProfile:
    name: str
    characters: tuple[Character, ...]

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "characters": [c.as_json() for c in self.characters]}


@dataclass(frozen=True)
class SandboxFile:
    """One account's TradeSkillMaster.lua in the sandbox. ``status`` says what this build did with it:
    "written", "unchanged" (still the bytes we wrote) or "kept" (changed since; left as it is)."""

    path: Path
    flavor: Flavor
    account: str
    profiles: tuple[SandboxProfile, ...]
    status: str

    @property
    def characters(self) -> tuple[Character, ...]:
        return tuple(c for p in self.profiles for c in p.characters)

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "flavor": self.flavor.value, "account": self.account,
                "status": self.status, "profiles": [p.as_json() for p in self.profiles]}


@dataclass(frozen=True)
class Sandbox:
    """What ``build_sandbox`` made: ``install`` is the folder a WoW root setting points at."""

    root: Path
    install: Path
    region: str
    seed: int
    size: str
    files: tuple[SandboxFile, ...]

    def file(self, flavor: Flavor, account: str) -> SandboxFile:
        found = [f for f in self.files if f.flavor is flavor and f.account == account]
        if not found:
            raise KeyError(f"the sandbox has no {flavor.value} account {account!r}")
        return found[0]

    def as_json(self) -> dict[str, object]:
        return {"root": str(self.root), "install": str(self.install), "region": self.region, "seed": self.seed,
                "size": self.size, "files": [f.as_json() for f in self.files]}


def _account_folder(install: Path, plan: AccountPlan) -> Path:
    return install / plan.folder / "WTF" / "Account" / plan.account


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_record(install: Path) -> dict[str, object] | None:
    """The record of an earlier build, None for a folder that is missing or empty; refuses anything else."""
    path = install / RECORD_NAME
    if not path.exists():
        if install.is_dir() and any(install.iterdir()):
            raise InputError(f"{install} exists and is not a tsmsyncd sandbox; refusing to write into it "
                             "(choose another folder)")
        if install.exists() and not install.is_dir():
            raise InputError(f"{install} is a file, not a folder; refusing to build a sandbox there")
        return None
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} cannot be read ({exc}); delete the sandbox folder to start over") from exc
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(record.get("files"),
                                                                                              dict):
        raise InputError(f"{path} is not a {RECORD_FORMAT} record; delete the sandbox folder to start over")
    return record


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, mode=0o644)


def _write_record(install: Path, params: dict[str, object], hashes: dict[str, str]) -> None:
    record = {"format": RECORD_FORMAT, **params, "files": dict(sorted(hashes.items()))}
    _write(install / RECORD_NAME, json.dumps(record, indent=2, ensure_ascii=False).encode() + b"\n")


def _lines(*lines: str) -> bytes:
    return b"".join(line.encode() + EOL for line in lines)


def _write_tree(install: Path, plans: tuple[AccountPlan, ...], region: str, reset: bool) -> None:
    """Everything but the TradeSkillMaster.lua files: written when missing (or on reset), never checked."""
    files: dict[Path, bytes] = {}
    for plan in plans:
        flavor_dir = install / plan.folder
        files[flavor_dir / "Interface" / "AddOns" / "TradeSkillMaster" / "TradeSkillMaster.toc"] = _lines(*_TOC)
        files[flavor_dir / "WTF" / "Config.wtf"] = _lines(f'SET portal "{region.upper()}"', 'SET locale "enUS"')
        for char in plan.characters:
            folder = _account_folder(install, plan) / char.realm / char.name
            (folder / "SavedVariables").mkdir(parents=True, exist_ok=True)
            files[folder / "AddOns.txt"] = _lines("TradeSkillMaster: enabled")
    for path, data in files.items():
        if reset or not path.exists():
            _write(path, data)


def _place(path: Path, plan: AccountPlan, seed: int, ours: str | None, reset: bool) -> tuple[str, str | None]:
    """Write or keep one account's file: (status, the hash of the bytes we wrote, if we know it)."""
    if reset or not path.exists():
        data = account_file(plan, seed)
        _write(path, data)
        return "written", _sha256(data)
    try:
        current = _sha256(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if ours is None:  # an earlier build stopped before recording it: compare with what we would write
        ours = _sha256(account_file(plan, seed))
    return ("unchanged" if current == ours else "kept"), ours


def build_sandbox(
    root: Path, *, region: str = "us", seed: int = 0, size: str = "small", reset: bool = False
) -> Sandbox:
    """Build (or top up) the sandbox install under ``root`` and describe it. Deterministic: the same
    ``region``, ``seed`` and ``size`` give the same bytes. Raises InputError (SettingsError for a region
    the fake server does not have) with one line naming the problem."""
    if type(seed) is not int:
        raise InputError(f"sandbox seed must be a whole number, got {seed!r}")
    plans = plan_accounts(region, size)
    root = Path(root)
    install = root / INSTALL_NAME
    params: dict[str, object] = {"region": region, "seed": seed, "size": size}
    record = _read_record(install)
    if record is not None and not reset:
        built = {key: record.get(key) for key in params}
        if built != params:
            was = ", ".join(f"{k} {v}" for k, v in built.items())
            raise InputError(f"{install} was built with {was}; build it the same way or reset it")
    recorded = {} if record is None or reset else record["files"]
    assert isinstance(recorded, dict)  # _read_record refuses a record without its files table
    hashes: dict[str, str] = dict(recorded)
    _write_record(install, params, hashes)  # first, so an interrupted build is still known as ours
    _write_tree(install, plans, region, reset)
    files = []
    for plan in plans:
        path = _account_folder(install, plan) / "SavedVariables" / SV_NAME
        key = path.relative_to(install).as_posix()
        status, ours = _place(path, plan, seed, hashes.get(key), reset)
        if ours is not None:
            hashes[key] = ours
        profiles = tuple(SandboxProfile(p.name, p.characters) for p in plan.profiles)
        files.append(SandboxFile(path, plan.flavor, plan.account, profiles, status))
    _write_record(install, params, hashes)
    return Sandbox(root, install, region, seed, size, tuple(files))
