"""The demo's sandbox install: a real-looking WoW tree whose TradeSkillMaster.lua files the project's own
loader accepts, that say what the ``Sandbox`` record says, that a merge edits without touching the player's
own groups, and that a second build never overwrites what the daemon changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS, ITEMS_BY_ID, PETS
from tsmsyncd.demo.sandbox import INSTALL_NAME, RECORD_NAME, Sandbox, SandboxFile, build_sandbox
from tsmsyncd.errors import InputError, SettingsError
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.sync.apply import Merger
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.luascan import scan_entries, scan_global_table
from tsmsyncd.tsm.merge import is_managed
from tsmsyncd.tsm.operations import COMMON_KEYS, MAX_OPERATIONS, MODULES, fields
from tsmsyncd.tsm.operations import Flavor as OperationsFlavor
from tsmsyncd.tsm.savedvars import SavedVariables, parse_savedvars, read_savedvars
from tsmsyncd.wow.flavor import Flavor

GROUPSET = {
    "format": "tsmsyncd.groupset/1",
    "root": "TSM Sync",
    "groups": [
        {"path": ["Flips"], "items": ["i:2589", "i:765"], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
        {"path": ["Flips", "Cheap"], "items": ["i:118", "i:2320"], "operations": {}},
    ],
    "operations": {"Shopping": {"TSM Sync Flip Buy": {"maxPrice": "dbmarket * 0.8", "restockQuantity": "10"}}},
}
SALES_HEADER = "itemString,stackSize,quantity,price,otherPlayer,player,time,source"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """One small sandbox for the read-only tests (tests that write build their own)."""
    return build_sandbox(tmp_path_factory.mktemp("sandbox"))


def load(file: SandboxFile) -> SavedVariables:
    return parse_savedvars(file.path.read_bytes(), file.path.name)


def no_games(path: Path) -> list:
    return []


def test_the_tree_looks_like_a_real_install(sandbox: Sandbox) -> None:
    install = sandbox.install
    assert install == sandbox.root / "World of Warcraft"
    for folder in ("_retail_", "_classic_era_"):
        toc = install / folder / "Interface" / "AddOns" / "TradeSkillMaster" / "TradeSkillMaster.toc"
        assert b"## SavedVariables: TradeSkillMasterDB, TSMItemInfoDB\r\n" in toc.read_bytes()
        assert (install / folder / "WTF" / "Config.wtf").read_bytes().startswith(b'SET portal "US"\r\n')
    for file in sandbox.files:
        folder = "_retail_" if file.flavor is Flavor.RETAIL else "_classic_era_"
        account = install / folder / "WTF" / "Account" / file.account
        assert file.path == account / "SavedVariables" / "TradeSkillMaster.lua"
        for char in file.characters:  # the client's per-character folders: <Realm>/<Character>/
            assert (account / char.realm / char.name / "AddOns.txt").read_bytes() == b"TradeSkillMaster: enabled\r\n"
            assert (account / char.realm / char.name / "SavedVariables").is_dir()
    assert not [p for p in install.rglob("*") if p.suffix.lower() in (".exe", ".app")]
    accounts = {(f.flavor, f.account) for f in sandbox.files}
    assert accounts == {(Flavor.RETAIL, "DEMOACCOUNT1"), (Flavor.RETAIL, "314159265#1"),
                        (Flavor.CLASSIC_ERA, "314159265#1")}


@pytest.mark.parametrize("region", sorted(CONNECTED_REALMS))
def test_every_file_loads_with_the_projects_own_loader(region: str, tmp_path: Path) -> None:
    """Real Lua 5.1, TSM's own meta checks and the byte layout scan all accept every file, in every region."""
    for file in build_sandbox(tmp_path, region=region).files:
        sv = load(file)
        assert sv.meta.version == 129 and sv.meta.global_operations is False
        assert sv.layout.eol == b"\r\n"
        assert sv.entries["p@Default@userData@groups"] is not None  # laid out one entry per line


def test_profiles_and_characters_read_back_as_the_record_says(sandbox: Sandbox) -> None:
    for file in sandbox.files:
        sv = load(file)
        assert sv.meta.profiles == tuple(p.name for p in file.profiles)
        assert sv.meta.current_profiles == {c.key: p.name for p in file.profiles for c in p.characters}
        assert sv.meta.used_profiles() == tuple(sorted(p.name for p in file.profiles))
        scopes = sv.value("_scopeKeys")
        assert list(scopes["char"].values()) == [c.key for c in file.characters]
        assert list(scopes["sync"].values()) == [c.sync_key for c in file.characters]
        assert set(scopes["realm"].values()) == {c.realm for c in file.characters}
        assert set(scopes["factionrealm"].values()) == {c.factionrealm for c in file.characters}
        # TSM wipes a file whose owner key does not match the account's (a copied file, reference §3.4).
        owners, accounts = sv.value("_syncOwner"), sv.value("_syncAccountKey")
        for char in file.characters:
            assert owners[char.sync_key] == accounts[char.factionrealm]
            assert re.fullmatch(re.escape(char.factionrealm) + r" - \d{9}", accounts[char.factionrealm])
    main = sandbox.file(Flavor.RETAIL, "DEMOACCOUNT1")
    assert [p.name for p in main.profiles] == ["Default", "Crafting"]
    assert all(len(p.characters) >= 2 for p in main.profiles)


def test_characters_live_on_realms_the_fake_server_knows(sandbox: Sandbox) -> None:
    known = {(realm.name, cr.id): cr for cr in CONNECTED_REALMS["us"] for realm in cr.realms}
    chars = [c for f in sandbox.files for c in f.characters]
    assert all((c.realm, c.connected_realm_id) in known for c in chars)
    assert any("'" in c.realm or " " in c.realm for c in chars)
    default = sandbox.file(Flavor.RETAIL, "DEMOACCOUNT1").profiles[0].characters
    # One connected realm of several realms, with characters on two of them.
    assert len({c.connected_realm_id for c in default}) == 1 and len({c.realm for c in default}) == 2
    assert len(known[(default[0].realm, default[0].connected_realm_id)].realms) >= 2


def test_the_bytes_are_the_clients_style(sandbox: Sandbox) -> None:
    for file in sandbox.files:
        data = file.path.read_bytes()
        assert data.startswith(b"\r\nTradeSkillMasterDB = {\r\n\t[")
        assert data.count(b"\n") == data.count(b"\r\n")  # CRLF everywhere
        assert not re.search(rb"\n +\S", data)  # indented with tabs only
        assert re.search(rb'\t"#Default", -- \[1\]\r\n\t+\["override"\] = true,\r\n', data)  # a mixed table
        assert b"}\r\nTSMItemInfoDB = {\r\n" in data and data.endswith(b"}\r\n")  # a second global follows
        assert b"\\000" in data and b"\x02" in data  # NUL escaped, other control bytes raw, as the client does
        keys = [f.key for f in scan_global_table(data).fields]
        assert keys != sorted(keys)  # Lua's ``next`` order, not sorted


def _groups_items_ops(sv: SavedVariables, profile: str) -> tuple[dict, dict, dict]:
    return tuple(sv.value(f"p@{profile}@userData@{t}") for t in ("groups", "items", "operations"))  # type: ignore


def test_the_players_own_groups_items_and_operations_are_sound(sandbox: Sandbox) -> None:
    """As TSM's sanitiser leaves them (reference §4-§6), so the game's next load would change nothing."""
    species = {pet.id for pet in PETS}
    for file in sandbox.files:
        sv = load(file)
        flavor = OperationsFlavor[file.flavor.name]
        for profile in file.profiles:
            groups, items, operations = _groups_items_ops(sv, profile.name)
            assert groups[""] == {m: {1: "#Default", "override": True} for m in MODULES}
            for path, modules in groups.items():
                assert path == "" or path.rpartition("`")[0] in groups  # every parent exists
                assert set(modules) == set(MODULES)
                for module, ops in modules.items():
                    names = [ops[i] for i in sorted(k for k in ops if type(k) is int)]
                    assert set(ops) - {"override"} == set(range(1, len(names) + 1))  # a dense list (+ override)
                    assert len(names) <= MAX_OPERATIONS[module] and ops.get("override", True) is True
                    assert all(name in operations[module] for name in names)
            for module in MODULES:
                assert "#Default" in operations[module]
                for op in operations[module].values():  # every field of this flavor, nothing else
                    assert set(op) == {f.name for f in fields(module, flavor)} | set(COMMON_KEYS)
            assert len([n for m in operations.values() for n in m if n != "#Default"]) >= 5
            for item, path in items.items():
                assert path in groups and path != ""
                kind, number = item.split(":")
                assert int(number) in (species if kind == "p" else ITEMS_BY_ID)
                if file.flavor is not Flavor.RETAIL:
                    assert kind == "i" and ITEMS_BY_ID[int(number)].classic
    main = load(sandbox.file(Flavor.RETAIL, "DEMOACCOUNT1"))
    groups = main.value("p@Default@userData@groups")
    assert {"Herbs", "Herbs`Dragonflight", "Ore", "Transmog"} <= set(groups)
    assert groups["Herbs"]["Auctioning"] == {1: "Herbs Post", "override": True}
    assert groups["Herbs`Dragonflight"]["Shopping"] == {1: "Herb Restock"}  # inherited: no override


def _rows(text: str) -> list[list[str]]:
    lines = text.split("\n")
    return [line.split(",") for line in lines[1:]]


def test_accounting_is_stored_as_tsm_stores_it(sandbox: Sandbox) -> None:
    for file in sandbox.files:
        sv = load(file)
        realms = {c.realm for c in file.characters}
        total = 0
        for realm in realms:
            sales = sv.value(f"r@{realm}@internalData@csvSales")
            assert sales.split("\n")[0] == SALES_HEADER
            rows = _rows(sales)
            players = {c.name for c in file.characters if c.realm == realm}
            for item, stack, quantity, price, other, player, _when, source in rows:
                assert item.startswith(("i:", "p:")) and int(quantity) >= int(stack) >= 1
                assert int(price) > 0 and player in players and other
                assert source in ("Auction", "COD", "Trade", "Vendor") and (source != "Vendor" or other == "Merchant")
            times = [int(r[6]) for r in rows]
            assert times == sorted(times)
            saves = sv.value(f"r@{realm}@internalData@saveTimeSales").split(",")
            assert len(saves) == sum(r[7] == "Auction" for r in rows)  # one save time per Auction record
            expired = sv.value(f"r@{realm}@internalData@csvExpired")
            assert expired.startswith("itemString,stackSize,quantity,player,time\n")
            assert sv.value(f"r@{realm}@internalData@csvIncome").startswith("type,amount,otherPlayer,player,time\n")
            assert sv.value(f"r@{realm}@internalData@accountingTrimmed") == {}
            total += len(rows)
        assert total >= 300  # a few hundred sales at least, seeded
        assert {f.key.split("@")[1] for f in sv.layout.fields if f.key.startswith("r@")} == realms


def test_small_files_are_about_200_kb(sandbox: Sandbox) -> None:
    sizes = [f.path.stat().st_size for f in sandbox.files]
    assert all(150_000 <= size <= 300_000 for size in sizes), sizes


def test_the_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    one, two = build_sandbox(tmp_path / "one"), build_sandbox(tmp_path / "two")
    other = build_sandbox(tmp_path / "other", seed=1)
    for a, b, c in zip(one.files, two.files, other.files, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
        assert a.path.read_bytes() != c.path.read_bytes()
        assert a.profiles == b.profiles == c.profiles  # who plays where does not depend on the seed


def _entry_bytes(data: bytes, key: str) -> dict[object, bytes]:
    field = scan_global_table(data).find(key)[0]
    layout = scan_entries(data, field.value_start, field.value_end - 1)
    return {e.key: data[e.start : e.end] for e in layout.entries}


@pytest.mark.parametrize("index", [0, 1, 2], ids=["main", "second", "classic-era"])
def test_a_merge_leaves_the_players_groups_byte_identical(index: int, tmp_path: Path) -> None:
    file = build_sandbox(tmp_path / "root").files[index]
    before = file.path.read_bytes()
    outcome = Merger(BackupStore(tmp_path / "backups"), games=no_games).merge(file.path, GroupSet.from_dict(GROUPSET))
    after = file.path.read_bytes()
    assert outcome.status == "applied" and outcome.profiles == tuple(sorted(p.name for p in file.profiles))
    for profile in outcome.profiles:
        for table in ("groups", "items"):
            key = f"p@{profile}@userData@{table}"
            old, new = _entry_bytes(before, key), _entry_bytes(after, key)
            players = {k: v for k, v in old.items() if not (table == "groups" and is_managed(k, "TSM Sync"))}
            assert players and all(new[k] == v for k, v in players.items()), key
    changed = set(outcome.plan.changes)
    old_fields, new_fields = scan_global_table(before), scan_global_table(after)
    for field in old_fields.fields:  # every other top-level value, byte for byte
        if field.key not in changed:
            match = new_fields.find(field.key)[0]
            assert after[match.start : match.value_end] == before[field.start : field.value_end], field.key
    assert after[new_fields.close :] == before[old_fields.close :]  # TSMItemInfoDB untouched
    old_sv, sv = parse_savedvars(before, file.path.name), read_savedvars(file.path)
    for profile in outcome.profiles:
        old_groups, old_items, _ = _groups_items_ops(old_sv, profile)
        groups, items, _ = _groups_items_ops(sv, profile)
        assert {"TSM Sync", "TSM Sync`Flips", "TSM Sync`Flips`Cheap"} <= set(groups)
        assert set(old_groups) <= set(groups)
        for spec in GROUPSET["groups"]:  # an item the player keeps in their own group never moves
            ours = "`".join(["TSM Sync", *spec["path"]])
            for item in spec["items"]:
                assert items[item] == old_items.get(item, ours)


def test_a_second_build_keeps_what_the_daemon_changed(tmp_path: Path) -> None:
    first = build_sandbox(tmp_path)
    main, rest = first.files[0], first.files[1:]
    Merger(BackupStore(tmp_path / "backups"), games=no_games).merge(main.path, GroupSet.from_dict(GROUPSET))
    merged = main.path.read_bytes()
    stats = [f.path.stat().st_mtime_ns for f in rest]
    again = build_sandbox(tmp_path)
    assert [f.status for f in again.files] == ["kept", "unchanged", "unchanged"]
    assert main.path.read_bytes() == merged
    assert [f.path.stat().st_mtime_ns for f in rest] == stats  # not even rewritten with the same bytes
    assert build_sandbox(tmp_path).files[0].status == "kept"  # still known as changed
    reset = build_sandbox(tmp_path, reset=True)
    assert [f.status for f in reset.files] == ["written"] * 3
    assert main.path.read_bytes() == build_sandbox(tmp_path / "fresh").files[0].path.read_bytes()


def test_a_missing_file_is_written_again(tmp_path: Path) -> None:
    first = build_sandbox(tmp_path)
    expected = first.files[1].path.read_bytes()
    first.files[1].path.unlink()
    (tmp_path / INSTALL_NAME / "_retail_" / "WTF" / "Config.wtf").unlink()
    again = build_sandbox(tmp_path)
    assert [f.status for f in again.files] == ["unchanged", "written", "unchanged"]
    assert again.files[1].path.read_bytes() == expected
    assert (tmp_path / INSTALL_NAME / "_retail_" / "WTF" / "Config.wtf").exists()


def test_an_interrupted_build_is_finished_without_losing_changes(tmp_path: Path) -> None:
    """A build that stopped before recording its hashes still tells its own bytes from changed ones."""
    first = build_sandbox(tmp_path)
    record = tmp_path / INSTALL_NAME / RECORD_NAME
    doc = json.loads(record.read_bytes())
    record.write_text(json.dumps({**doc, "files": {}}))
    first.files[2].path.write_bytes(first.files[2].path.read_bytes() + b"-- edited\r\n")
    assert [f.status for f in build_sandbox(tmp_path).files] == ["unchanged", "unchanged", "kept"]


def test_a_folder_that_is_not_a_sandbox_is_never_written_into(tmp_path: Path) -> None:
    real = tmp_path / INSTALL_NAME / "_retail_" / "WTF" / "Account" / "ME" / "SavedVariables"
    real.mkdir(parents=True)
    (real / "TradeSkillMaster.lua").write_bytes(b"precious")
    for reset in (False, True):
        with pytest.raises(InputError, match="is not a tsmsyncd sandbox; refusing to write into it"):
            build_sandbox(tmp_path, reset=reset)
    assert sorted(p.name for p in (tmp_path / INSTALL_NAME).iterdir()) == ["_retail_"]
    assert (real / "TradeSkillMaster.lua").read_bytes() == b"precious"


def test_other_parameters_need_a_reset(tmp_path: Path) -> None:
    build_sandbox(tmp_path)
    with pytest.raises(InputError, match="was built with region us, seed 0, size small; .*reset"):
        build_sandbox(tmp_path, seed=1)
    rebuilt = build_sandbox(tmp_path, seed=1, reset=True)
    assert rebuilt.seed == 1 and build_sandbox(tmp_path, seed=1).files[0].status == "unchanged"
    assert rebuilt.files[0].path.read_bytes() == build_sandbox(tmp_path / "fresh", seed=1).files[0].path.read_bytes()


def test_bad_arguments_are_refused_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="setting region: 'xx' has no realms in the fake server; use one of eu"):
        build_sandbox(tmp_path, region="xx")
    with pytest.raises(InputError, match="sandbox size 'huge' is not one of small, large"):
        build_sandbox(tmp_path, size="huge")
    with pytest.raises(InputError, match="seed must be a whole number"):
        build_sandbox(tmp_path, seed="0")  # type: ignore[arg-type]
    assert not (tmp_path / INSTALL_NAME).exists()


def test_as_json_names_every_file_profile_and_character(sandbox: Sandbox) -> None:
    doc = json.loads(json.dumps(sandbox.as_json()))
    assert doc["install"] == str(sandbox.install) and doc["region"] == "us" and doc["size"] == "small"
    assert [(f["flavor"], f["account"]) for f in doc["files"]] == [
        ("retail", "DEMOACCOUNT1"), ("retail", "314159265#1"), ("classic-era", "314159265#1")]
    main = doc["files"][0]
    assert main["path"] == str(sandbox.files[0].path) and main["status"] == "written"
    assert main["profiles"][1]["characters"][0] == {
        "name": "Thalíndra", "realm": "Kil'jaeden", "faction": "Alliance", "connected_realm_id": 9}


def test_large_is_a_long_time_players_50_mb_file_and_still_loads(tmp_path: Path) -> None:
    """For benchmarks: the main account's file alone is big (accounting spread over every realm of the
    region, a 3,000-group tree); the other files stay small. Builds and parses in a few seconds."""
    sandbox = build_sandbox(tmp_path, size="large")
    main = sandbox.files[0]
    data = main.path.read_bytes()
    assert len(data) >= 40_000_000 and all(f.path.stat().st_size < 1_000_000 for f in sandbox.files[1:])
    sv = parse_savedvars(data, main.path.name)
    assert len(sv.value("_scopeKeys")["realm"]) == sum(len(cr.realms) for cr in CONNECTED_REALMS["us"])
    assert len(sv.value("p@Default@userData@groups")) > 3_000
