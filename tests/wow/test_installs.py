"""Install discovery on real folder trees in a temp dir, for every platform's rules.

Windows and macOS run here too: their registry values and drive lists are given as data, their absolute
paths live under ``fs_root`` (``C:\\X`` is ``<fs_root>/C/X``), and the launcher's product.db is a real file
of protobuf bytes built by ``wow_trees``. Linux prefixes (Wine, Lutris, Proton, Bottles) are real folders
under a temp home.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from wow_trees import make_install, product_db, product_install

from tsmsyncd.wow.flavor import Flavor
from tsmsyncd.wow.installs import ENV_VAR, Discovery, DiscoveryEnv, Reason, Source, accounts_of, discover, resolve_root

UNINSTALL = r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"
INSTALL_PATH = r"HKLM\SOFTWARE\WOW6432Node\Blizzard Entertainment\World of Warcraft\InstallPath"


def windows(tmp_path: Path, registry: dict[str, str] | None = None, drives: tuple[str, ...] = ("C:",),
            **kw: object) -> DiscoveryEnv:
    return DiscoveryEnv("windows", tmp_path / "fs" / "C" / "Users" / "me", registry=registry or {},
                        drives=drives, fs_root=tmp_path / "fs", **kw)  # type: ignore[arg-type]


def linux(tmp_path: Path, **kw: object) -> DiscoveryEnv:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return DiscoveryEnv("linux", home, **kw)  # type: ignore[arg-type]


def roots(found: Discovery) -> list[tuple[Path, Source]]:
    return [(i.root, i.source) for i in found.installs]


def reasons(found: Discovery) -> dict[Path, Reason]:
    return {r.path: r.reason for r in found.rejected}


# --- Windows -------------------------------------------------------------------------------------------


def test_windows_registry_product_db_and_default_folder(tmp_path: Path) -> None:
    """The registry's InstallPath names the flavor folder and resolves to its root; the uninstall key names
    the base; product.db on every drive lists installs (flavors sharing a base are one candidate); the
    installer's default folder that does not exist is reported, other drives' usual folders only listed."""
    env = windows(tmp_path, drives=("C:", "D:", "E:"), registry={
        INSTALL_PATH: "D:\\Games\\World of Warcraft\\_retail_\\",
        f"{UNINSTALL}\\World of Warcraft Classic\\InstallLocation": "E:\\World of Warcraft Classic",
    })
    retail = make_install(env.host("D:\\Games\\World of Warcraft"))
    classic = make_install(env.host("E:\\World of Warcraft Classic"), flavors=("_classic_", "_classic_era_"))
    launcher = make_install(env.host("C:\\Blizzard\\World of Warcraft"), flavors=("_retail_", "_classic_"))
    db = env.host("C:\\ProgramData\\Battle.net\\Agent\\product.db")
    db.parent.mkdir(parents=True)
    db.write_bytes(product_db(product_install("wow", "C:/Blizzard/World of Warcraft", "_retail_"),
                              product_install("wow_classic", "C:/Blizzard/World of Warcraft", "_classic_")))

    found = discover(env)

    assert roots(found) == [(retail, Source.REGISTRY), (classic, Source.REGISTRY), (launcher, Source.PRODUCT_DB)]
    first = found.installs[0]
    assert first.origin == INSTALL_PATH and first.picked == retail / "_retail_"
    assert [f.flavor for f in found.installs[1].flavors] == [Flavor.CLASSIC, Flavor.CLASSIC_ERA]
    assert found.installs[2].origin == f"{db} (wow, wow_classic)"
    default = env.host("C:\\Program Files (x86)\\World of Warcraft")
    assert reasons(found) == {default: Reason.MISSING, retail: Reason.DUPLICATE}  # D:\\Games is a usual folder
    assert env.host("D:\\Program Files (x86)\\World of Warcraft") in found.not_found
    assert not found.replaced


def test_windows_sources_naming_one_install_are_one_install(tmp_path: Path) -> None:
    """The usual machine: registry, uninstall key, product.db and the default folder all name one install."""
    env = windows(tmp_path, registry={
        INSTALL_PATH: "C:\\Program Files (x86)\\World of Warcraft\\_retail_\\",
        f"{UNINSTALL}\\World of Warcraft\\InstallLocation": "C:\\Program Files (x86)\\World of Warcraft",
    })
    root = make_install(env.host("C:\\Program Files (x86)\\World of Warcraft"))
    db = env.host("C:\\ProgramData\\Battle.net\\Agent\\product.db")
    db.parent.mkdir(parents=True)
    db.write_bytes(product_db(product_install("wow", "C:/Program Files (x86)/World of Warcraft")))

    found = discover(env)

    assert roots(found) == [(root, Source.REGISTRY)]
    duplicates = [(r.source, r.reason, r.same_as) for r in found.rejected]
    assert duplicates == [(Source.REGISTRY, Reason.DUPLICATE, root), (Source.PRODUCT_DB, Reason.DUPLICATE, root),
                          (Source.DEFAULT, Reason.DUPLICATE, root)]
    assert "same folder as" in found.rejected[0].message


def test_a_damaged_product_db_is_reported_and_discovery_goes_on(tmp_path: Path) -> None:
    env = windows(tmp_path)
    root = make_install(env.host("C:\\Program Files (x86)\\World of Warcraft"))
    db = env.host("C:\\ProgramData\\Battle.net\\Agent\\product.db")
    db.parent.mkdir(parents=True)
    db.write_bytes(b"\x0a\xff\xff\xff\x0f truncated")
    found = discover(env)
    assert roots(found) == [(root, Source.DEFAULT)]
    (bad,) = found.rejected
    assert (bad.path, bad.reason) == (db, Reason.UNREADABLE)
    assert "not a Battle.net product database" in bad.message


# --- macOS ---------------------------------------------------------------------------------------------


def test_macos_applications_home_applications_and_product_db(tmp_path: Path) -> None:
    fs = tmp_path / "fs"
    env = DiscoveryEnv("macos", fs / "Users" / "me", fs_root=fs)
    system = make_install(fs / "Applications" / "World of Warcraft", flavors=("_retail_", "_classic_era_"))
    mine = make_install(env.home / "Applications" / "World of Warcraft", flavors=("_ptr_",))
    external = make_install(fs / "Volumes" / "Games" / "World of Warcraft")
    db = fs / "Users" / "Shared" / "Battle.net" / "Agent" / "product.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(product_db(product_install("wow", "/Volumes/Games/World of Warcraft")))

    found = discover(env)

    assert roots(found) == [(external, Source.PRODUCT_DB), (system, Source.DEFAULT), (mine, Source.DEFAULT)]
    ptr = found.installs[2].flavors[0]
    assert (ptr.name, ptr.flavor, ptr.live) == ("_ptr_", Flavor.RETAIL, False)
    assert found.rejected == ()


# --- Linux prefixes ------------------------------------------------------------------------------------


def test_wine_default_prefix_and_wineprefix(tmp_path: Path) -> None:
    env = linux(tmp_path, environ={"WINEPREFIX": str(tmp_path / "prefixes" / "wow")})
    default = make_install(env.home / ".wine" / "drive_c" / "Program Files (x86)" / "World of Warcraft")
    custom = make_install(tmp_path / "prefixes" / "wow" / "drive_c" / "World of Warcraft")
    found = discover(env)
    assert roots(found) == [(custom, Source.WINE), (default, Source.WINE)]
    assert [i.origin for i in found.installs] == ["WINEPREFIX", "~/.wine"]
    assert found.rejected == ()


def test_lutris_game_configs_games_folder_and_the_prefix_product_db(tmp_path: Path) -> None:
    """A Lutris game config names its prefix; the prefix's own product.db lists C: and D: paths, moved into
    drive_c and dosdevices/d: (a link Wine made to a real disk); system.yml moves the games folder."""
    env = linux(tmp_path)
    prefix = tmp_path / "lutris" / "battlenet"
    games = env.home / ".config" / "lutris" / "games"
    games.mkdir(parents=True)
    (games / "battlenet-1700000000.yml").write_text(
        "game:\n  exe: drive_c/Program Files (x86)/Battle.net/Battle.net Launcher.exe\n"
        f"  prefix: '{prefix}'\nsystem: {{}}\nwine:\n  version: lutris-7.2\n")
    (prefix / "dosdevices").mkdir(parents=True)
    disk = tmp_path / "disk-d"
    disk.mkdir()
    (prefix / "dosdevices" / "d:").symlink_to(disk)
    db = prefix / "drive_c" / "ProgramData" / "Battle.net" / "Agent" / "product.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(product_db(product_install("wow", "C:/Program Files (x86)/World of Warcraft"),
                              product_install("wow_classic_era", "D:/WoW Classic", "_classic_era_")))
    in_c = make_install(prefix / "drive_c" / "Program Files (x86)" / "World of Warcraft")
    on_d = make_install(disk / "WoW Classic", flavors=("_classic_era_",))
    (env.home / ".config" / "lutris" / "system.yml").write_text(
        f"system:\n  game_path: {tmp_path / 'LutrisGames'}  \n")
    moved = make_install(tmp_path / "LutrisGames" / "world-of-warcraft" / "drive_c" / "Program Files"
                         / "World of Warcraft")

    found = discover(env)

    assert [(i.root.resolve(), i.source) for i in found.installs] == [
        (in_c, Source.LUTRIS), (on_d.resolve(), Source.LUTRIS), (moved, Source.LUTRIS)]
    assert found.installs[0].origin.startswith(str(db))
    # the product.db's C: install is also the prefix's usual folder: one install, said once
    assert [(r.reason, r.same_as) for r in found.rejected] == [(Reason.DUPLICATE, in_c)]


def test_lutris_prefix_named_twice_is_looked_in_once(tmp_path: Path) -> None:
    """A game config naming ``~/Games/battlenet``, which is also Lutris's default prefix: no duplicate."""
    env = linux(tmp_path)
    prefix = env.home / "Games" / "battlenet"
    root = make_install(prefix / "drive_c" / "Program Files (x86)" / "World of Warcraft")
    games = env.home / ".local" / "share" / "lutris" / "games"
    games.mkdir(parents=True)
    (games / "battlenet.yml").write_text("game:\n  prefix: ~/Games/battlenet\n")
    found = discover(env)
    assert roots(found) == [(root, Source.LUTRIS)]
    assert found.rejected == ()


def test_proton_prefixes_and_a_linked_steam_folder(tmp_path: Path) -> None:
    env = linux(tmp_path)
    steam = env.home / ".local" / "share" / "Steam"
    root = make_install(steam / "steamapps" / "compatdata" / "2000" / "pfx" / "drive_c" / "Program Files (x86)"
                        / "World of Warcraft")
    (steam / "steamapps" / "compatdata" / "3000" / "pfx" / "drive_c").mkdir(parents=True)  # another game
    (env.home / ".steam").mkdir()
    (env.home / ".steam" / "steam").symlink_to(steam)
    found = discover(env)
    assert [(i.root.resolve(), i.source, i.origin) for i in found.installs] == [
        (root, Source.PROTON, "Steam compatdata 2000")]
    assert found.rejected == ()  # the linked Steam folder is the same prefixes, looked in once
    other = env.home / ".steam" / "steam" / "steamapps" / "compatdata" / "3000" / "pfx" / "drive_c"
    assert other / "Program Files (x86)" / "World of Warcraft" in found.not_found


def test_bottles(tmp_path: Path) -> None:
    env = linux(tmp_path)
    root = make_install(env.home / ".local" / "share" / "bottles" / "bottles" / "Gaming" / "drive_c"
                        / "Program Files (x86)" / "World of Warcraft")
    found = discover(env)
    assert [(i.root, i.source, i.origin) for i in found.installs] == [(root, Source.BOTTLES, "bottle Gaming")]


# --- overrides, settings, picked folders ---------------------------------------------------------------


def test_the_environment_variable_replaces_discovery(tmp_path: Path) -> None:
    env = linux(tmp_path)
    make_install(env.home / ".wine" / "drive_c" / "World of Warcraft")  # would be found otherwise
    one = make_install(tmp_path / "portable" / "World of Warcraft")
    two = make_install(tmp_path / "sandbox" / "WoW", flavors=("_classic_era_",))
    value = os.pathsep.join([str(one / "_retail_"), "", str(tmp_path / "gone"), str(two)])
    env = linux(tmp_path, environ={ENV_VAR: value}, wow_roots=(str(tmp_path / "ignored"),))

    found = discover(env)

    assert roots(found) == [(one, Source.ENVIRONMENT), (two, Source.ENVIRONMENT)]
    assert reasons(found) == {tmp_path / "gone": Reason.MISSING}
    assert found.replaced and found.not_found == ()
    assert found.as_json()["replaced_by"] == ENV_VAR


def test_an_empty_environment_variable_does_not_replace_discovery(tmp_path: Path) -> None:
    env = linux(tmp_path, environ={ENV_VAR: " "})
    root = make_install(env.home / ".wine" / "drive_c" / "World of Warcraft")
    found = discover(env)
    assert roots(found) == [(root, Source.WINE)] and not found.replaced


def test_settings_roots_come_first_and_discovery_adds_to_them(tmp_path: Path) -> None:
    env = linux(tmp_path)
    wine = make_install(env.home / ".wine" / "drive_c" / "World of Warcraft")
    mine = make_install(tmp_path / "D" / "World of Warcraft")
    home_relative = make_install(env.home / "wow")
    found = discover(linux(tmp_path, wow_roots=(str(mine), "~/wow", "")))
    assert roots(found) == [(mine, Source.SETTINGS), (home_relative, Source.SETTINGS), (wine, Source.WINE)]
    assert found.installs[0].origin == "settings.json wow_roots"


@pytest.mark.parametrize("inside", ["", "_retail_", "_retail_/WTF", "_retail_/WTF/Account",
                                    "_retail_/WTF/Account/ACCOUNT1",
                                    "_retail_/WTF/Account/ACCOUNT1/SavedVariables",
                                    "_retail_/WTF/Account/ACCOUNT1/SavedVariables/TradeSkillMaster.lua",
                                    "_retail_/Interface/AddOns"])
def test_a_folder_picked_inside_an_install_resolves_to_its_root(tmp_path: Path, inside: str) -> None:
    root = make_install(tmp_path / "World of Warcraft")
    picked = root / inside if inside else root
    assert resolve_root(picked) == root
    found = discover(linux(tmp_path, wow_roots=(str(picked),)))
    assert (found.installs[0].root, found.installs[0].picked) == (root, picked)


def test_folders_outside_any_install_resolve_to_nothing(tmp_path: Path) -> None:
    make_install(tmp_path / "World of Warcraft")
    assert resolve_root(tmp_path) is None  # above the install, not inside it
    assert resolve_root(tmp_path / "elsewhere" / "not made") is None


# --- what is rejected, and why -------------------------------------------------------------------------


def test_rejected_folders_say_why(tmp_path: Path) -> None:
    real = make_install(tmp_path / "World of Warcraft")
    (tmp_path / "link").symlink_to(real)
    never_started = tmp_path / "Fresh"
    (never_started / "_retail_" / "Interface").mkdir(parents=True)  # the game never ran: no WTF/Account
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    picked = [real, tmp_path / "gone", a_file, never_started, tmp_path / "link" / "_retail_" / "WTF"]

    found = discover(linux(tmp_path, wow_roots=tuple(map(str, picked))))

    assert roots(found) == [(real, Source.SETTINGS)]
    assert reasons(found) == {tmp_path / "gone": Reason.MISSING, a_file: Reason.NOT_A_DIRECTORY,
                              never_started: Reason.NO_FLAVOR, picked[-1]: Reason.DUPLICATE}
    by_path = {r.path: r for r in found.rejected}
    assert by_path[picked[-1]].same_as == real
    assert "WTF/Account" in by_path[never_started].message
    assert all(r.source is Source.SETTINGS and r.origin == "settings.json wow_roots" for r in found.rejected)


# --- flavors and accounts ------------------------------------------------------------------------------


def test_flavors_known_unknown_and_not_flavors(tmp_path: Path) -> None:
    root = make_install(tmp_path / "WoW", flavors=("_retail_", "_classic_titan_", "_xptr_"))
    (root / "_beta_" / "Interface").mkdir(parents=True)  # never started: not a flavor yet
    (root / "Data").mkdir()
    (root / "_notes_.txt").write_text("")
    found = discover(linux(tmp_path, wow_roots=(str(root),)))
    flavors = [(f.name, f.flavor, f.live) for f in found.installs[0].flavors]
    assert flavors == [("_classic_titan_", None, False), ("_retail_", Flavor.RETAIL, True),
                       ("_xptr_", Flavor.RETAIL, False)]


def test_accounts_skip_the_account_wide_folder_files_and_hidden_entries(tmp_path: Path) -> None:
    root = make_install(tmp_path / "WoW", accounts=("zeta", "313607748#1"))
    accounts = root / "_retail_" / "WTF" / "Account"
    (accounts / "NOTSM" / "SavedVariables").mkdir(parents=True)
    (accounts / "Alpha").mkdir()
    (accounts / ".DS_Store").write_text("")
    (accounts / ".hidden").mkdir()
    (accounts / "stray.lua").write_text("")
    found = accounts_of(root / "_retail_")
    assert [a.name for a in found] == ["313607748#1", "Alpha", "NOTSM", "zeta"]
    tsm = {a.name: a.tsm_file for a in found}
    assert tsm["zeta"] == accounts / "zeta" / "SavedVariables" / "TradeSkillMaster.lua"
    assert tsm["NOTSM"] is None and tsm["Alpha"] is None


def test_folder_names_match_in_any_case(tmp_path: Path) -> None:
    """A prefix copied from Windows may spell WTF, Account and the file in any case: the game does not care."""
    flavor = tmp_path / "WoW" / "_Retail_"
    saved = flavor / "wtf" / "account" / "ME" / "savedvariables"
    saved.mkdir(parents=True)
    (saved / "tradeskillmaster.lua").write_bytes(b"TradeSkillMasterDB = {}")
    assert resolve_root(saved) == tmp_path / "WoW"
    (account,) = accounts_of(flavor)
    assert account.tsm_file == saved / "tradeskillmaster.lua"


def test_a_linked_account_folder_counts(tmp_path: Path) -> None:
    root = make_install(tmp_path / "WoW")
    elsewhere = make_install(tmp_path / "Backup", accounts=("SHARED",))
    (root / "_retail_" / "WTF" / "Account" / "SHARED").symlink_to(elsewhere / "_retail_" / "WTF" / "Account"
                                                                  / "SHARED")
    assert [a.name for a in accounts_of(root / "_retail_")] == ["ACCOUNT1", "SHARED"]


# --- the report ----------------------------------------------------------------------------------------


def test_the_report_is_json(tmp_path: Path) -> None:
    root = make_install(tmp_path / "WoW", accounts=("ACC",))
    odd = os.fsdecode(b"caf\xe9")  # an account folder whose name is not UTF-8
    (root / "_retail_" / "WTF" / "Account" / odd).mkdir()
    found = discover(linux(tmp_path, wow_roots=(str(root), str(tmp_path / "gone"))))
    payload = json.loads(json.dumps(found.as_json(), ensure_ascii=False))
    (install,) = payload["installs"]
    assert install["root"] == str(root) and install["source"] == "settings"
    (flavor,) = install["flavors"]
    assert (flavor["name"], flavor["flavor"], flavor["live"]) == ("_retail_", "retail", True)
    assert [a["name"] for a in flavor["accounts"]] == ["ACC", "caf\ufffd"]
    assert flavor["accounts"][0]["tsm_file"].endswith("SavedVariables/TradeSkillMaster.lua")
    assert flavor["accounts"][1]["tsm_file"] is None
    assert payload["rejected"] == [{"path": str(tmp_path / "gone"), "source": "settings",
                                    "origin": "settings.json wow_roots", "reason": "missing",
                                    "message": "does not exist", "same_as": None}]
