"""Unpacking real tar.gz and zip archives (store/unpack.py): a good one comes out whole (modes and inner
links kept); a hostile one is refused before a single byte is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from releasekit import Entry, program_entries, tar_gz, tree, zip_bytes

from tsmsyncd.errors import UpdateError
from tsmsyncd.store.unpack import list_members, unpack

FORMATS = {"tar.gz": tar_gz, "zip": zip_bytes}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_release_comes_out_whole(tmp_path: Path, fmt: str) -> None:
    entries = [*program_entries("0.3.0"), Entry("tsmsyncd/_internal/lib.so", kind="symlink", link="base_library.zip")]
    archive = tmp_path / f"release.{fmt}"
    archive.write_bytes(FORMATS[fmt](entries))
    dest = tmp_path / "out"
    dest.mkdir()
    folder = unpack(archive, fmt, dest)
    assert folder == dest / "tsmsyncd"
    assert (folder / "tsmsyncd").read_text() == "#!/bin/sh\necho tsmsyncd 0.3.0\n"
    assert (folder / "tsmsyncd").stat().st_mode & 0o111
    assert not (folder / "_internal" / "base_library.zip").stat().st_mode & 0o111
    assert (folder / "_internal" / "lib.so").readlink() == Path("base_library.zip")
    assert len(list_members(archive, fmt)) == 5


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize(("hostile", "why"), [
    (Entry("tsmsyncd/../escaped.txt", b"owned"), "leaves its folder"),
    (Entry("/tmp/absolute.txt", b"owned"), "absolute path"),
    (Entry("tsmsyncd/link", kind="symlink", link="../../.."), "outside the tsmsyncd/ folder"),
])
def test_a_hostile_member_is_refused_and_nothing_is_written(tmp_path: Path, fmt: str, hostile: Entry,
                                                             why: str) -> None:
    archive = tmp_path / f"release.{fmt}"
    archive.write_bytes(FORMATS[fmt]([*program_entries(), hostile]))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UpdateError, match=why):
        unpack(archive, fmt, dest)
    assert tree(dest) == {} and not (tmp_path / "escaped.txt").exists()


def test_devices_and_fifos_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "release.tar.gz"
    archive.write_bytes(tar_gz([*program_entries(), Entry("tsmsyncd/pipe", kind="fifo")]))
    with pytest.raises(UpdateError, match="device or FIFO"):
        unpack(archive, "tar.gz", tmp_path)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_broken_archive_is_refused_with_one_line(tmp_path: Path, fmt: str) -> None:
    archive = tmp_path / f"release.{fmt}"
    archive.write_bytes(FORMATS[fmt](program_entries())[:-40])
    with pytest.raises(UpdateError) as caught:
        unpack(archive, fmt, tmp_path / "out")
    assert caught.value.reason == "archive" and "\n" not in str(caught.value)
