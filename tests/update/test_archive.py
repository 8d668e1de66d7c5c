"""Which archive members may be unpacked (update/archive.py): everything stays inside tsmsyncd/, links
included, resolved the way the file system resolves them."""

from __future__ import annotations

import pytest

from tsmsyncd.errors import UpdateError
from tsmsyncd.update.archive import MAX_TOTAL_BYTES, Kind, Member, check_members

D, F, L = Kind.DIR, Kind.FILE, Kind.SYMLINK


def release(*extra: Member) -> list[Member]:
    return [Member("tsmsyncd/", D), Member("tsmsyncd/tsmsyncd", F, 100, executable=True),
            Member("tsmsyncd/_internal/", D), Member("tsmsyncd/_internal/libpython3.11.so.1.0", F, 1000), *extra]


def refusal(*extra: Member) -> str:
    with pytest.raises(UpdateError) as caught:
        check_members(release(*extra))
    assert caught.value.reason == "archive" and "\n" not in str(caught.value)
    return str(caught.value)


def test_a_release_folder_passes_with_folders_first() -> None:
    checked = check_members(release(Member("./tsmsyncd/_internal/lib.so", L, link="libpython3.11.so.1.0"),
                                    Member("tsmsyncd/_internal/sub/", D),
                                    Member("tsmsyncd/_internal/sub/up", L, link="../libpython3.11.so.1.0")))
    kinds = [m.kind for m in checked]
    assert kinds[:3] == [D, D, D] and Kind.DIR not in kinds[3:]
    assert {m.path for m in checked} >= {"tsmsyncd/_internal/lib.so", "tsmsyncd/_internal/sub/up"}


@pytest.mark.parametrize(("member", "why"), [
    (Member("tsmsyncd/../../etc/cron.d/x", F, 1), "leaves its folder"),
    (Member("../tsmsyncd/x", F, 1), "leaves its folder"),
    (Member("tsmsyncd/a/../../x", F, 1), "leaves its folder"),
    (Member("/etc/passwd", F, 1), "absolute path"),
    (Member("C:/Windows/x.dll", F, 1), "absolute path"),
    (Member("tsmsyncd\\..\\x", F, 1), "backslash"),
    (Member("tsmsyncd//x", F, 1), "empty part"),
    (Member("tsmsyncd/x\x00.so", F, 1), "NUL"),
    (Member("other/x", F, 1), "outside the tsmsyncd/ folder"),
    (Member("tsmsyncd/null", Kind.OTHER), "device or FIFO"),
    (Member("tsmsyncd/hard", Kind.HARDLINK, link="tsmsyncd/tsmsyncd"), "hard link"),
    (Member("tsmsyncd/tsmsyncd", F, 5), "appears twice"),
    (Member("tsmsyncd/TSMSYNCD", F, 5), "appears twice"),
])
def test_paths_that_leave_the_folder_or_odd_members_are_refused(member: Member, why: str) -> None:
    message = refusal(member)
    assert why in message and "nothing was unpacked" in message


@pytest.mark.parametrize(("links", "why"), [
    ([Member("tsmsyncd/evil", L, link="/etc/passwd")], "absolute path"),
    ([Member("tsmsyncd/evil", L, link="../../home/me/.bashrc")], "outside the tsmsyncd/ folder"),
    ([Member("tsmsyncd/evil", L, link="..")], "outside the tsmsyncd/ folder"),
    # each link looks harmless alone; the second leaves through the first (`here` is tsmsyncd/ itself)
    ([Member("tsmsyncd/_internal/here", L, link=".."), Member("tsmsyncd/_internal/out", L, link="here/../x")],
     "outside the tsmsyncd/ folder"),
    ([Member("tsmsyncd/a", L, link="b"), Member("tsmsyncd/b", L, link="a")], "does not end"),
    ([Member("tsmsyncd/inner", L, link="_internal"), Member("tsmsyncd/inner/x.so", F, 1)], "below a symbolic link"),
    ([Member("tsmsyncd/empty", L, link="")], "empty or odd target"),
])
def test_links_that_escape_however_they_are_chained_are_refused(links: list[Member], why: str) -> None:
    assert why in refusal(*links)


def test_an_archive_without_the_program_or_too_big_is_refused() -> None:
    with pytest.raises(UpdateError, match="no tsmsyncd/tsmsyncd program"):
        check_members([Member("tsmsyncd/", D), Member("tsmsyncd/readme.txt", F, 3)])
    with pytest.raises(UpdateError, match="unpacks to"):
        check_members(release(Member("tsmsyncd/bomb", F, MAX_TOTAL_BYTES)))


def test_a_windows_build_has_its_exe() -> None:
    assert check_members([Member("tsmsyncd/tsmsyncd.exe", F, 10), Member("tsmsyncd/tsmsyncdw.exe", F, 10)])
