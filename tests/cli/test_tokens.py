"""``tsmsyncd tokens`` and ``targets set --server`` as real processes (issue 17): a token is printed once,
alone on the last line; the list shows name, created, last used and requests; a revoke is refused for a
name that has no active token; a client's token goes in through standard input or the environment, into
settings.json, and never onto the screen or argv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sv_factory import render, tsm_db

from tsmsyncd.sync.server import parse_token


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tsmsyncd", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=60)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "TSMSYNCD_HOME": str(tmp_path / "home"), "TSMSYNCD_WOW_ROOTS": str(tmp_path / "none"),
            **extra}


def test_create_prints_the_token_once_alone_on_its_last_line_and_list_shows_its_use(tmp_path: Path) -> None:
    env = environment(tmp_path)
    made = run(env, "tokens", "create", "alice", "--realms", "3678", "eu/1305")
    assert made.returncode == 0, made.stderr
    last = made.stdout.rstrip("\n").splitlines()[-1]
    assert parse_token(last) is not None and made.stdout.count(last) == 1
    listed = run(env, "tokens", "list", "--json")
    shown = json.loads(listed.stdout)
    assert [t["name"] for t in shown] == ["alice"] and last not in listed.stdout
    assert {"name", "created_at", "last_used", "requests"} <= set(shown[0]) and shown[0]["requests"] == 0
    assert shown[0]["realms"] == ["us/3678", "eu/1305"]
    text = run(env, "tokens", "list").stdout
    assert text.startswith("alice  active  created ") and "last used never  requests 0" in text


def test_create_json_carries_the_token_and_a_second_of_the_same_name_is_refused(tmp_path: Path) -> None:
    env = environment(tmp_path)
    made = json.loads(run(env, "tokens", "create", "bob", "--rate", "2/h", "--json").stdout)
    assert parse_token(made["token"]) and made["rate_per_hour"] == 2 and made["burst"] == 2
    again = run(env, "tokens", "create", "bob")
    assert again.returncode == 1 and "already a token named 'bob'" in again.stderr
    bad = run(env, "tokens", "create", "carol", "--rate", "lots")
    assert bad.returncode == 1 and "rate" in bad.stderr


def test_revoke_takes_the_token_out_and_says_so_and_an_unknown_name_is_refused(tmp_path: Path) -> None:
    env = environment(tmp_path)
    run(env, "tokens", "create", "alice")
    done = run(env, "tokens", "revoke", "alice")
    assert done.returncode == 0 and "revoked" in done.stdout
    assert json.loads(run(env, "tokens", "list", "--json").stdout)[0]["revoked_at"]
    again = run(env, "tokens", "revoke", "alice")
    assert again.returncode == 1 and "no active token named 'alice'" in again.stderr


def test_a_client_sets_its_server_with_the_token_on_stdin_or_in_the_environment(tmp_path: Path) -> None:
    install = tmp_path / "World of Warcraft" / "_retail_" / "WTF" / "Account" / "ME" / "SavedVariables"
    install.mkdir(parents=True)
    (install / "TradeSkillMaster.lua").write_bytes(render(tsm_db()))
    env = environment(tmp_path, TSMSYNCD_WOW_ROOTS=str(tmp_path / "World of Warcraft"))
    targets = json.loads(run(env, "targets", "list", "--json").stdout)
    token = "tsms_0123abcd_" + "s" * 43
    ca = tmp_path / "ca.pem"
    done = run(env, "targets", "set", targets[0]["id"], "--server", "https://guild.example:8443", "--ca-file", str(ca),
               stdin=token + "\n")
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout + done.stderr
    settings = json.loads((tmp_path / "home" / "settings.json").read_text())
    assert settings["group_source"] == {"url": "https://guild.example:8443", "token": token, "ca_file": str(ca),
                                       "poll_seconds": 300.0, "insecure_http": False}
    shown = json.loads(run(env, "targets", "list", "--json").stdout)[0]
    assert shown["group_source"] == "remote" and token not in json.dumps(shown)
    other = "tsms_89abcdef_" + "t" * 43
    again = run({**env, "TSMSYNCD_GROUP_TOKEN": other}, "targets", "set", targets[0]["id"], "--server",
                "https://guild.example:8443")
    assert again.returncode == 0
    assert json.loads((tmp_path / "home" / "settings.json").read_text())["group_source"]["token"] == other
    local = run(env, "targets", "set", targets[0]["id"], "--group-source", "local", "--json")
    assert json.loads(local.stdout)["group_source"] == "local"
    missing = run(env, "targets", "set", targets[0]["id"], "--server", "https://guild.example:8443", stdin="")
    assert missing.returncode == 1 and "token" in missing.stderr
    plain = run(env, "targets", "set", targets[0]["id"], "--server", "http://guild.example", stdin=token)
    assert plain.returncode == 1 and "group_source.url" in plain.stderr and token not in plain.stderr
