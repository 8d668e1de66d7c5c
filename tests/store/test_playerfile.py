"""Which files tsmsyncd accepts as a SavedVariables file (issue 10, class 4): a symlink is written through
and stays a link; devices, FIFOs, sockets and folders are refused before a byte is read; a size cap; a
file an editor re-saved with a byte-order mark or as UTF-16 is refused saying so. Nothing is changed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sv_factory import render, tsm_db

from tsmsyncd.errors import SavedVariablesError
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.store.playerfile import MAX_FILE_SIZE, PlayerFile
from tsmsyncd.sync.apply import Merger
from tsmsyncd.sync.restore import Restorer
from tsmsyncd.tsm.groupset import GroupSet

GROUPSET = GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
                               "groups": [{"path": ["Flips"], "items": ["i:2447"]}]})


def merger(tmp_path: Path) -> Merger:
    return Merger(BackupStore(tmp_path / "backups"), games=lambda p: [])


def test_a_symlinked_file_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "sync" / "TradeSkillMaster.lua"
    real.parent.mkdir()
    real.write_bytes(render(tsm_db()))
    original = real.read_bytes()
    link = tmp_path / "SavedVariables" / "TradeSkillMaster.lua"
    link.parent.mkdir()
    link.symlink_to(real)
    store = BackupStore(tmp_path / "backups")
    outcome = Merger(store, games=lambda p: []).merge(link, GROUPSET)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_bytes() != original and b"TSM Sync" in real.read_bytes()
    assert store.read(link, outcome.backup) == original  # the backup holds the bytes the link pointed at
    # ... and a restore goes through the link too.
    Restorer(store, games=lambda p: []).restore(link, outcome.backup.id)
    assert link.is_symlink() and real.read_bytes() == original


def test_a_symlink_to_nowhere_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "TradeSkillMaster.lua"
    link.symlink_to(tmp_path / "gone.lua")
    with pytest.raises(SavedVariablesError, match="is a symlink to .*gone.lua, which does not exist"):
        merger(tmp_path).merge(link, GROUPSET)
    assert link.is_symlink() and not (tmp_path / "gone.lua").exists()


def test_a_device_is_refused_before_reading(tmp_path: Path) -> None:
    began = time.monotonic()
    with pytest.raises(SavedVariablesError, match="/dev/zero is a device, not a SavedVariables file"):
        merger(tmp_path).merge(Path("/dev/zero"), GROUPSET)
    assert time.monotonic() - began < 5  # today it read until 11 GB


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "TradeSkillMaster.lua"
    os.mkfifo(fifo)
    # In a child process, so a regression hangs the child (and fails on the timeout), not the suite.
    code = ("import sys; from pathlib import Path; from tsmsyncd.store.playerfile import PlayerFile\n"
            "from tsmsyncd.errors import SavedVariablesError\n"
            f"try: PlayerFile.read(Path({str(fifo)!r}))\nexcept SavedVariablesError as e: print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert "is a named pipe (FIFO), not a SavedVariables file" in done.stdout, done.stderr


def test_a_socket_and_a_folder_are_refused(tmp_path: Path) -> None:
    sock_path = tmp_path / "s.lua"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(SavedVariablesError, match="is a socket"):
            PlayerFile.read(sock_path)
    with pytest.raises(SavedVariablesError, match="is a folder"):
        merger(tmp_path).merge(tmp_path, GROUPSET)


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "TradeSkillMaster.lua"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_SIZE + 1)  # sparse: costs no disk
    with pytest.raises(SavedVariablesError, match="is 256 MB, over tsmsyncd's limit of 256 MB"):
        merger(tmp_path).merge(big, GROUPSET)
    assert big.stat().st_size == MAX_FILE_SIZE + 1


@pytest.mark.parametrize(("prefix", "encoding", "phrase"), [
    (b"\xef\xbb\xbf", "utf-8", "UTF-8 with a byte-order mark"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"", "utf-16-le", "looks like UTF-16 text"),
    (b"", "utf-16-be", "looks like UTF-16 text"),
])
def test_a_file_an_editor_re_saved_is_refused_saying_so(prefix: bytes, encoding: str, phrase: str,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(prefix + render(tsm_db()).decode("utf-8").encode(encoding))
    before = path.read_bytes()
    with pytest.raises(SavedVariablesError, match=phrase):
        merger(tmp_path).merge(path, GROUPSET)
    assert path.read_bytes() == before
