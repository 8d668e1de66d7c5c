"""The updatable install on disk (store/bundle.py): found from the program's path, a new version moved in
beside the running one and pointed at, one rollback, and old folders pruned (never a running one, a
pointed-at one or one holding the data folder)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tsmsyncd.errors import InputError, UpdateError
from tsmsyncd.store import bundle as b


def layout(root: Path, *versions: str, current: str) -> b.Bundle:
    for name in versions:
        folder = root / "versions" / name / "_internal" / "tsmsyncd"
        folder.mkdir(parents=True)
        (root / "versions" / name / "tsmsyncd").write_text("#!/bin/sh\n")
    (root / "current").write_text(current + "\n")
    return b.Bundle(root, current)


def unpacked(tmp: b.Bundle, name: str) -> Path:
    folder = b.staging(tmp) / "unpacked" / "tsmsyncd"
    folder.mkdir(parents=True)
    (folder / "tsmsyncd").write_text(f"#!/bin/sh\necho {name}\n")
    return folder


def test_the_bundle_is_found_from_the_executable_or_the_package(tmp_path: Path) -> None:
    layout(tmp_path, "0.2.0", current="0.2.0")
    exe = tmp_path / "versions" / "0.2.0" / "tsmsyncd"
    package = tmp_path / "versions" / "0.2.0" / "_internal" / "tsmsyncd"
    assert b.find_bundle(exe) == b.Bundle(tmp_path, "0.2.0") == b.find_bundle(package)
    assert b.detect_install(frozen=True, executable=exe, package=package).kind == "bundle"
    assert b.detect_install(frozen=False, executable=Path("/usr/bin/python3"), package=package).kind == "bundle"
    elsewhere = tmp_path / "dist" / "tsmsyncd"
    elsewhere.mkdir(parents=True)
    assert b.detect_install(frozen=True, executable=elsewhere / "tsmsyncd", package=elsewhere).kind == "frozen"
    assert b.detect_install(frozen=False, executable=Path("/usr/bin/python3"), package=elsewhere).kind == "pip"


def test_an_install_moves_the_new_version_in_and_switches_both_pointers(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", current="0.2.0")
    assert b.install(bundle, unpacked(bundle, "0.3.0"), "0.3.0") == "0.2.0"
    assert (bundle.current(), bundle.previous(), bundle.staged) == ("0.3.0", "0.2.0", "0.3.0")
    assert bundle.program("0.3.0") == tmp_path / "versions" / "0.3.0" / "tsmsyncd"
    assert (tmp_path / "versions" / "0.2.0" / "tsmsyncd").read_text() == "#!/bin/sh\n"  # untouched
    with pytest.raises(UpdateError, match="already installed"):
        b.install(bundle, unpacked(bundle, "0.3.0"), "0.3.0")


def test_one_rollback_then_none(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", current="0.2.0")
    b.install(bundle, unpacked(bundle, "0.3.0"), "0.3.0")
    assert b.rollback(bundle) == ("0.3.0", "0.2.0")
    assert (bundle.current(), bundle.previous(), bundle.staged) == ("0.2.0", None, None)
    with pytest.raises(InputError, match="no previous version"):
        b.rollback(bundle)


def test_a_folder_left_by_a_rolled_back_update_is_replaced(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", "0.3.0", current="0.2.0")
    b.install(bundle, unpacked(bundle, "0.3.0"), "0.3.0")
    assert (tmp_path / "versions" / "0.3.0" / "tsmsyncd").read_text() == "#!/bin/sh\necho 0.3.0\n"


def test_pruning_keeps_running_current_previous_and_the_data_folder(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.1.0", "0.1.5", "0.2.0", "0.3.0", "0.4.0", current="0.4.0")
    (tmp_path / "previous").write_text("0.3.0\n")
    running = b.Bundle(tmp_path, "0.2.0")
    portable_home = tmp_path / "versions" / "0.1.5" / "data"
    portable_home.mkdir()
    assert b.prune(running, [portable_home]) == ["0.1.0"]
    assert sorted(p.name for p in bundle.versions.iterdir()) == ["0.1.5", "0.2.0", "0.3.0", "0.4.0"]


def test_a_damaged_pointer_names_nothing(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", current="0.2.0")
    for text in ("../../etc", "", "a/b", "\xff"):
        (tmp_path / "current").write_text(text, errors="surrogateescape")
        assert bundle.current() is None


def test_staging_clears_what_a_killed_update_left(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", current="0.2.0")
    old = b.staging(bundle)
    hour_ago = time.time() - 2 * b.STALE_AFTER
    os.utime(old, (hour_ago, hour_ago))
    fresh = b.staging(bundle)
    assert not old.exists() and fresh.is_dir() and fresh.parent == bundle.versions


def test_a_read_only_install_is_refused_before_anything_is_downloaded(tmp_path: Path) -> None:
    bundle = layout(tmp_path, "0.2.0", current="0.2.0")
    bundle.versions.chmod(0o555)
    try:
        if os.access(bundle.versions, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable")
        with pytest.raises(UpdateError, match="cannot write to"):
            b.staging(bundle)
    finally:
        bundle.versions.chmod(0o755)
