"""Where discovery looks: OS paths mapped into a test folder, ``~`` in user-given roots, and Lutris configs
read for the one key that matters."""

from __future__ import annotations

from pathlib import Path

from wow_trees import make_install

from tsmsyncd.wow.candidates import DiscoveryEnv, Source, find_candidates, read_registry, windows_drives
from tsmsyncd.wow.installs import discover


def test_absolute_os_paths_live_under_fs_root(tmp_path: Path) -> None:
    win = DiscoveryEnv("windows", tmp_path / "home", fs_root=tmp_path)
    assert win.host("C:\\Program Files (x86)\\World of Warcraft") == tmp_path / "C" / "Program Files (x86)" / \
        "World of Warcraft"
    assert win.host("d:/Games/WoW/") == tmp_path / "D" / "Games" / "WoW"
    mac = DiscoveryEnv("macos", tmp_path / "home", fs_root=tmp_path)
    assert mac.host("/Applications/World of Warcraft") == tmp_path / "Applications" / "World of Warcraft"
    real = DiscoveryEnv("linux", tmp_path / "home")
    assert real.host("/opt/wow") == Path("/opt/wow")


def test_tilde_means_the_given_home(tmp_path: Path) -> None:
    env = DiscoveryEnv("linux", tmp_path / "me")
    assert env.expand("~") == tmp_path / "me"
    assert env.expand("~/Games/WoW") == tmp_path / "me" / "Games" / "WoW"
    assert env.expand("/abs/~x") == Path("/abs/~x")


def test_windows_readers_are_empty_elsewhere() -> None:
    assert read_registry() == {} and windows_drives() == ()


def test_current_environment_is_this_machine(tmp_path: Path) -> None:
    env = DiscoveryEnv.current(["/x"], {"HOME": str(tmp_path)})
    assert env.platform == "linux" and env.wow_roots == ("/x",) and env.registry == {}
    assert env.environ == {"HOME": str(tmp_path)}


def test_every_windows_drive_gets_its_launcher_file_and_usual_folders(tmp_path: Path) -> None:
    env = DiscoveryEnv("windows", tmp_path / "home", drives=("C:", "D:"), fs_root=tmp_path)
    paths = [c.path for c in find_candidates(env).candidates]
    assert paths == [tmp_path / d / Path(*p) for d in ("C", "D") for p in (
        ("Program Files (x86)", "World of Warcraft"), ("Program Files", "World of Warcraft"),
        ("World of Warcraft",), ("Games", "World of Warcraft"))]
    guesses = [c.guess for c in find_candidates(env).candidates]
    assert guesses == [False] + [True] * 7  # only the installer's own default is expected to be there


def test_lutris_configs_give_the_game_sections_prefix_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    games = home / ".config" / "lutris" / "games"
    games.mkdir(parents=True)
    wine_only = tmp_path / "not-this"
    real = tmp_path / "prefix one"
    (games / "a.yml").write_text(f"# comment\nwine:\n  prefix: {wine_only}\ngame:\n  # prefix: {wine_only}\n"
                                 f'  prefix: "{real}"\n')
    (games / "b.yml").write_text("game:\n  exe: something.exe\n")  # no prefix: nothing to look in
    (games / "c.yml").write_bytes(b"game:\n  prefix: \xff\xfe\n")  # unreadable text is not a crash
    make_install(real / "drive_c" / "Program Files (x86)" / "World of Warcraft")
    found = discover(DiscoveryEnv("linux", home))
    assert [(i.source, i.origin) for i in found.installs] == [(Source.LUTRIS, str(games / "a.yml"))]
