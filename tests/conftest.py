"""Shared fixtures: real SavedVariables copied into temp dirs, generated TSM files, and hostile files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # sv_factory

DEFAULT_FIXTURES = TESTS.parent.parent / "shared" / "fixtures" / "savedvariables"
REAL_FIXTURES = Path(os.environ.get("TSMSYNCD_FIXTURES", DEFAULT_FIXTURES))
REAL_FILES = ("real-tbc-classic.lua", "real-retail-legacy-names.lua")


FIXTURES_HELP = (
    "real TradeSkillMaster.lua fixtures not found at {path}: they come from the shared folder beside the "
    "project (../shared/fixtures/savedvariables) or TSMSYNCD_FIXTURES"
)


def real_fixture(name: str) -> Path:
    """A real file, read-only. Without the shared folder (a fresh clone on its own) the tests that need it
    skip with one line saying where the files come from; CI sets TSMSYNCD_REQUIRE_FIXTURES=1, so there a
    missing fixture fails instead of skipping quietly."""
    path = REAL_FIXTURES / name
    if not path.is_file():
        message = FIXTURES_HELP.format(path=REAL_FIXTURES)
        if os.environ.get("TSMSYNCD_REQUIRE_FIXTURES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(params=REAL_FILES)
def real_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A copy of one real TradeSkillMaster.lua, laid out like a real install."""
    folder = tmp_path / "World of Warcraft" / "_retail_" / "WTF" / "Account" / "ACCOUNT" / "SavedVariables"
    folder.mkdir(parents=True)
    target = folder / "TradeSkillMaster.lua"
    shutil.copyfile(real_fixture(request.param), target)
    return target


@pytest.fixture
def tsm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app's own data folder (backups) at a temp dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("TSMSYNCD_HOME", str(home))
    return home


@pytest.fixture
def fake_wow(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A real process named Wow.exe (a copy of sleep), as the game looks to psutil under Wine."""
    exe = tmp_path / "bin" / "Wow.exe"
    exe.parent.mkdir()
    shutil.copy(shutil.which("sleep") or "/bin/sleep", exe)
    proc = subprocess.Popen([str(exe), "60"])
    time.sleep(0.1)
    yield proc
    proc.kill()
    proc.wait()
