"""Reading a TradeSkillMaster.lua: real files load; everything that is not a sound TSM4 database is refused
with one line that says why, quickly, and without running anything."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from bad_files import BAD_FILES
from conftest import REAL_FILES, real_fixture
from sv_factory import render, tsm_db

from tsmsyncd.errors import LuaLimitError, SavedVariablesError
from tsmsyncd.tsm.luaformat import serialize_key
from tsmsyncd.tsm.luasandbox import LuaSandbox
from tsmsyncd.tsm.savedvars import ParseJob, Unread, parse_savedvars, read_savedvars


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_files_load_with_their_meta(name: str) -> None:
    sv = read_savedvars(real_fixture(name))
    assert sv.meta.version in (103, 53)
    assert sv.meta.profiles == ("Default",)
    assert sv.meta.used_profiles() == ("Default",)
    assert sv.meta.global_operations is False
    groups = sv.value("p@Default@userData@groups")
    assert groups[""]["Auctioning"][1] == "#Default"
    assert sv.shared_operations_key() == "g@ @userData@operations"  # both files predate schema 121
    assert sv.layout.eol == b"\r\n"


def test_strings_that_are_not_utf8_survive_as_surrogates() -> None:
    # A group named with bytes that are not UTF-8 (old clients, other locales) and a raw 0x01 separator.
    name = b"\xc8\xfe Kr\xe4uter".decode("utf-8", "surrogateescape")
    db = tsm_db(player_groups=(name,), player_items={"i:765": name + "\x01x"})
    sv = parse_savedvars(render(db), "TradeSkillMaster.lua")
    groups = sv.value("p@Default@userData@groups")
    assert name in groups
    item_group = sv.value("p@Default@userData@items")["i:765"]
    assert item_group.encode("utf-8", "surrogateescape") == b"\xc8\xfe Kr\xe4uter\x01x"
    assert serialize_key(name) == b'["\xc8\xfe Kr\xe4uter"]'


def test_profiles_used_by_characters_are_the_default_selection() -> None:
    db = tsm_db(profiles=("Main", "Alt", "Unused"))
    db["_currentProfile"] = {"A - Realm": "Main", "B - Realm": "Alt", "C - Realm": "Gone"}
    sv = parse_savedvars(render(db), "TradeSkillMaster.lua")
    assert sv.meta.used_profiles() == ("Alt", "Main")


def test_global_operations_flag_and_renamed_table() -> None:
    sv = parse_savedvars(render(tsm_db(global_operations=True, version=129)), "TradeSkillMaster.lua")
    assert sv.meta.global_operations is True
    assert sv.shared_operations_key() == "g@ @userData@sharedOperations"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_one_line_that_says_why(case: str) -> None:
    data, expected = BAD_FILES[case]
    with pytest.raises(SavedVariablesError) as err:
        parse_savedvars(data, "TradeSkillMaster.lua")
    message = str(err.value)
    assert expected in message
    assert "\n" not in message
    assert "TradeSkillMaster.lua" in message


def test_a_file_cannot_run_os_or_io(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    src = (
        f'TradeSkillMasterDB = {{["_version"] = 129}}\n'
        f'local f = io.open("{marker}", "w") f:write("x") f:close()\n'
        f'os.execute("touch {marker}")\n'
    ).encode()
    with pytest.raises(SavedVariablesError, match="runs code"):
        parse_savedvars(src, "TradeSkillMaster.lua")
    assert not marker.exists()


@pytest.mark.parametrize(
    "src",
    [
        b"local require, load, loadstring, dofile = require, load, loadstring, dofile\nrequire('os')\n",
        b'TradeSkillMasterDB = {}\nlocal s = ("x"):rep(10)\n',  # strings carry no methods in the sandbox
        b"TradeSkillMasterDB = {}\nlocal x = python.eval('1')\n",
        b"TradeSkillMasterDB = {}\ngetmetatable('').__index.rep('x', 9)\n",
    ],
)
def test_the_sandbox_exposes_no_functions(src: bytes) -> None:
    with pytest.raises(SavedVariablesError, match="runs code"):
        parse_savedvars(src, "TradeSkillMaster.lua")


def test_an_endless_loop_fails_fast() -> None:
    started = time.monotonic()
    with pytest.raises(LuaLimitError, match="instructions"):
        parse_savedvars(b"TradeSkillMasterDB = {}\nwhile true do end\n", "TradeSkillMaster.lua")
    assert time.monotonic() - started < 10  # generous: the limit is ~20M instructions, well under a second


def test_a_string_that_doubles_forever_hits_the_memory_limit() -> None:
    src = b'TradeSkillMasterDB = {}\nlocal s = "xxxxxxxx"\nfor i = 1, 40 do s = s .. s end\n'
    with pytest.raises(LuaLimitError, match="MB of memory"):
        parse_savedvars(src, "TradeSkillMaster.lua")


def test_millions_of_entries_hit_the_memory_limit() -> None:
    # 4 million empty tables: 12 MB of text that would need ~300 MB of Lua memory.
    src = b'TradeSkillMasterDB = {["_version"] = 129, ["x"] = {' + b"{}," * 4_000_000 + b"}}\n"
    with pytest.raises(LuaLimitError, match="MB of memory"):
        parse_savedvars(src, "TradeSkillMaster.lua")


def test_two_assignments_are_refused_because_the_bytes_would_be_ambiguous() -> None:
    src = render(tsm_db()) + b"TradeSkillMasterDB = " + render(tsm_db()).split(b"TradeSkillMasterDB = ", 1)[1]
    with pytest.raises(SavedVariablesError, match="cannot edit safely"):
        parse_savedvars(src, "TradeSkillMaster.lua")


def test_a_missing_file_is_reported_by_path(tmp_path: Path) -> None:
    with pytest.raises(SavedVariablesError, match="cannot read"):
        read_savedvars(tmp_path / "nope.lua")


ITEMS = "p@Default@userData@items"


def parse_job(data: bytes) -> ParseJob:
    pool = ThreadPoolExecutor(max_workers=1)
    return ParseJob(data, "TradeSkillMaster.lua", None, pool)


@pytest.mark.parametrize("name", REAL_FILES)
def test_the_preview_reads_meta_and_merge_tables_from_their_own_bytes(name: str) -> None:
    job = parse_job(real_fixture(name).read_bytes())
    preview = job.preview()
    sv = job.result()
    assert preview is not None and preview.meta == sv.meta
    for key in ("p@Default@userData@groups", ITEMS, "p@Default@userData@operations"):
        assert preview.value(key) == sv.value(key)
    assert preview.shared_operations_key() == sv.shared_operations_key()
    assert preview.matches(sv, [ITEMS, "p@Nobody@userData@items"])  # absent from both agrees too


def test_a_preview_that_disagrees_with_the_full_load_is_not_trusted() -> None:
    preview = parse_job(render(tsm_db(player_items={"i:765": "Herbs"}))).preview()
    sv = parse_job(render(tsm_db(player_items={"i:765": "Ore"}))).result()
    assert preview is not None and not preview.matches(sv, [ITEMS])
    other_meta = parse_job(render(tsm_db(version=128, player_items={"i:765": "Herbs"}))).result()
    assert not preview.matches(other_meta, [ITEMS])


def test_there_is_no_preview_when_a_merge_key_is_written_twice() -> None:
    data = render(tsm_db(player_items={"i:765": "Herbs"}))
    twice = data.replace(b'["_version"]', b'["p@Default@userData@items"] = {},\n["_version"]', 1)
    job = parse_job(twice)
    assert job.preview() is None  # only the full load knows which one Lua keeps
    assert data.index(b'["p@Default@userData@items"]') < twice.index(b'["_version"]')
    assert job.result().value(ITEMS) == {}  # Lua keeps the later one, written just before _version


def test_a_partial_preview_leaves_the_players_groups_out_and_still_agrees_with_the_full_load() -> None:
    db = tsm_db(player_groups=("Herbs", "Herbs`Rare", "Ore", "TSM Sync", "TSM Sync`Old"))
    job = parse_job(render(db))
    ours = lambda path: path == "" or path == "TSM Sync" or path.startswith("TSM Sync`")  # noqa: E731
    preview = job.preview(groups=ours)
    sv = job.result()
    groups_key = "p@Default@userData@groups"
    assert preview is not None and preview.partial == {groups_key}
    lazy = preview.value(groups_key, only=ours)
    assert isinstance(lazy["Herbs"], Unread) and isinstance(lazy["Ore"], Unread)
    assert lazy["TSM Sync`Old"] == sv.value(groups_key)["TSM Sync`Old"] and lazy[""] == sv.value(groups_key)[""]
    assert preview.matches(sv, [groups_key, ITEMS])


def test_a_partial_preview_that_misses_a_group_or_differs_in_one_it_read_does_not_agree() -> None:
    sandbox = LuaSandbox()
    whole = sandbox.load(b'k = {["a"] = {1}, ["b"] = {2}}', "whole")

    def agrees(part: bytes) -> bool:
        return not sandbox.differing_at(whole, sandbox.load(b"k = " + part, "part"), [b"k"], [b"k"])

    assert agrees(b'{["a"] = false, ["b"] = {2}}')  # "a" left out on purpose, "b" read and equal
    assert not agrees(b'{["b"] = {2}}')  # a group missing altogether
    assert not agrees(b'{["a"] = false, ["b"] = {3}}')  # a group it read, different
    assert not agrees(b'{["a"] = false, ["b"] = {2}, ["c"] = false}')  # a group the file does not have
