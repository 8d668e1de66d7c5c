"""``tsmsyncd update check|apply|rollback`` as real processes against a real release server (no daemon):
exit 0 with what to do, exit 1 with one line saying why; and the program as shipped trusts its own
release key only, whatever the environment says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from releasekit import Keys, ReleaseServer, manifest, program_entries, tar_gz, tree, version_folder

KEYS = Keys()
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def server() -> Iterator[ReleaseServer]:
    with ReleaseServer() as running:
        archive = tar_gz(program_entries("1.1.0"))
        running.put("tsmsyncd-1.1.0.tar.gz", archive)
        running.publish(KEYS, manifest("1.1.0", archive=archive, url=f"{running.url}/tsmsyncd-1.1.0.tar.gz"))
        yield running


def environment(tmp: Path, server: ReleaseServer) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"update_url": server.url}))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "TSMSYNCD_HOME": str(home)}


def run(program: list[str], env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = subprocess.run([*program, *args], capture_output=True, text=True, timeout=120, env=env,
                          cwd=env["TSMSYNCD_HOME"])
    return done.returncode, done.stdout.strip(), done.stderr.strip()


@pytest.fixture(scope="module")
def pip_copy(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The package as a pip install of 1.0.0 that trusts the test key (not laid out for updates)."""
    folder = version_folder(tmp_path_factory.mktemp("site") / "tsmsyncd", "1.0.0", KEYS.public)
    return [str(folder / "tsmsyncd")]


def test_check_says_what_is_available_and_the_pip_command(tmp_path: Path, server: ReleaseServer,
                                                          pip_copy: list[str]) -> None:
    env = environment(tmp_path, server)
    code, out, err = run(pip_copy, env, "update", "check")
    assert code == 0, err
    assert out.splitlines()[0].startswith("tsmsyncd 1.1.0 is available (installed: 1.0.0, stable, released 2027-01-10")
    assert "  Faster merges." in out and "-m pip install --upgrade tsmsyncd==1.1.0" in out
    code, out, _ = run(pip_copy, env, "update", "check", "--json")
    assert code == 0 and json.loads(out)["available"]["version"] == "1.1.0"
    code, out, _ = run(pip_copy, env, "update", "apply")
    assert code == 0 and out.startswith("tsmsyncd was installed with pip; update it with: ")


def test_a_refused_manifest_is_exit_1_with_one_line(tmp_path: Path, server: ReleaseServer,
                                                    pip_copy: list[str]) -> None:
    server.put("stable.json.sig", Keys().sign(server.files["stable.json"]))
    env = environment(tmp_path, server)
    before = tree(tmp_path / "home")
    code, out, err = run(pip_copy, env, "update", "check")
    assert code == 1 and out == ""
    assert err.startswith("tsmsyncd: the manifest's signature does not verify") and len(err.splitlines()) == 1
    code, out, _ = run(pip_copy, env, "update", "check", "--json")
    assert code == 1 and json.loads(out.splitlines()[0])["status"] == "error"
    assert tree(tmp_path / "home") == {**before, "tsmsyncd.db": tree(tmp_path / "home")["tsmsyncd.db"]}  # history


def test_rollback_is_for_the_one_folder_app(tmp_path: Path, server: ReleaseServer, pip_copy: list[str]) -> None:
    code, _, err = run(pip_copy, environment(tmp_path, server), "update", "rollback")
    assert code == 1 and "rollback is for the one-folder app" in err


def test_an_offline_install_that_fails_its_sha256_changes_nothing(tmp_path: Path, server: ReleaseServer) -> None:
    root = tmp_path / "app"
    version_folder(root / "versions" / "1.0.0", "1.0.0", KEYS.public)
    (root / "current").write_text("1.0.0\n")
    program = [str(root / "versions" / "1.0.0" / "tsmsyncd")]
    env = environment(tmp_path, server)
    assert run(program, env, "update", "check")[0] == 0
    home = tmp_path / "home"

    def data() -> dict[str, object]:
        """The data folder, but the history (which says what happened) and the time of the last good
        check (the install checks again first, and that check is good)."""
        state = json.loads((home / "update.json").read_text())
        del state["last_success"]
        return {**{k: v for k, v in tree(home).items() if k not in ("tsmsyncd.db", "update.json")}, "state": state}

    before = tree(root), data()
    server.put("tsmsyncd-1.1.0.tar.gz", server.files["tsmsyncd-1.1.0.tar.gz"][::-1])
    code, _, err = run(program, env, "update", "apply")
    assert code == 1 and "sha256" in err and len(err.splitlines()) == 1
    assert (tree(root), data()) == before


def test_the_shipped_program_trusts_its_own_key_whatever_the_environment_says(tmp_path: Path,
                                                                              server: ReleaseServer) -> None:
    """The tree as released, with every spelling of a key override a player could be tricked into."""
    env = environment(tmp_path, server)
    env["PYTHONPATH"] = str(ROOT)
    for name in ("TSMSYNCD_UPDATE_PUBKEY", "TSMSYNCD_UPDATE_KEY", "TSMSYNCD_RELEASE_KEYS", "TSMSYNCD_PUBLIC_KEY"):
        env[name] = KEYS.public
    code, _, err = run([sys.executable, "-m", "tsmsyncd"], env, "update", "check")
    assert code == 1 and "does not verify with this program's release key" in err
