"""tsmsyncd's own state can be damaged without turning into "internal error" (issue 10, class 5): a garbage
or truncated tsmsyncd.db, a bad stored rule row, TSMSYNCD_HOME naming a file, --out into a missing folder
or onto a folder, deeply nested JSON, a 400-digit number in a setting. Each gives one line naming the file
or field and how to recover, and the damaged file is kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from clirun import tsmsyncd


def home(environment: dict[str, str]) -> Path:
    return Path(environment["TSMSYNCD_HOME"])


async def test_a_garbage_database_is_set_aside_and_a_new_one_started(env, fake) -> None:
    home(env).mkdir(parents=True, exist_ok=True)
    (home(env) / "tsmsyncd.db").write_bytes(b"this is not sqlite" * 100)
    code, out, err = await tsmsyncd(env, "groups", "rules", "list")
    assert code == 0, err
    assert "tsmsyncd.db was damaged (file is not a database); it was set aside as tsmsyncd.db.damaged-" in err
    assert "internal error" not in err and len(list(home(env).glob("tsmsyncd.db.damaged-*"))) == 1
    assert "Flips" in out


async def test_a_truncated_database_keeps_the_players_rules(env, fake, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"name": "Cheap Herbs", "criteria": {"where": "min_buyout < 50s"}}))
    assert (await tsmsyncd(env, "groups", "rules", "add", str(mine)))[0] == 0
    assert (await tsmsyncd(env, "refresh", "--once", "--realm", "4"))[0] == 0
    db = home(env) / "tsmsyncd.db"
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    with db.open("r+b") as f:  # cut the file in half: the market data's pages are gone
        f.truncate(db.stat().st_size // 2)
    code, out, err = await tsmsyncd(env, "groups", "rules", "list")
    assert code == 0, err
    assert "was damaged" in err and "rule(s) were carried over" in err
    assert "Cheap" in out


async def test_a_broken_rule_row_is_shown_and_can_be_removed(env, fake) -> None:
    assert (await tsmsyncd(env, "groups", "rules", "list"))[0] == 0  # seeds the templates
    conn = sqlite3.connect(home(env) / "tsmsyncd.db")
    with conn:
        conn.execute("update rules set doc = '{\"name\": \"Deals\", \"criteria\": {\"where\": \"((\"}}' "
                     "where name = 'Deals'")
    conn.close()
    code, out, err = await tsmsyncd(env, "groups", "rules", "list")
    assert code == 0, err
    assert "BROKEN Deals" in out and "remove it with `tsmsyncd groups rules remove Deals`" in out
    code, _, err = await tsmsyncd(env, "groups", "rules", "show", "Deals")
    assert code == 1 and "rule 'Deals' is broken" in err
    code, out, err = await tsmsyncd(env, "groups", "rules", "remove", "Deals")
    assert code == 0 and "rule 'Deals' removed" in out, err
    code, out, _ = await tsmsyncd(env, "groups", "rules", "list")
    assert "BROKEN" not in out and "Deals" not in out


async def test_tsmsyncd_home_naming_a_file_is_one_line(env, fake, tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    code, out, err = await tsmsyncd({**env, "TSMSYNCD_HOME": str(a_file)}, "groups", "rules", "list")
    assert code == 1 and err.strip() == (f"tsmsyncd: setting TSMSYNCD_HOME: {a_file} is a file, not a folder; point "
                                         "it at a folder (it is created if missing)")


async def test_out_into_a_missing_folder_or_onto_a_folder_is_refused_first(env, fake, tmp_path: Path) -> None:
    assert (await tsmsyncd(env, "refresh", "--once", "--realm", "4"))[0] == 0
    for out_path, phrase in ((tmp_path / "nowhere" / "g.json", "does not exist"), (tmp_path, "is a folder")):
        code, out, err = await tsmsyncd(env, "groups", "generate", "--realm", "4", "--out", str(out_path))
        assert code == 1 and f"--out {out_path}" in err and phrase in err
    code, out, _ = await tsmsyncd(env, "groups", "diff", "--realm", "4")
    assert "nothing stored yet" in out  # the refused commands stored no version either


async def test_deep_json_and_huge_numbers_in_our_documents_name_the_file(env, fake, tmp_path: Path) -> None:
    home(env).mkdir(parents=True, exist_ok=True)
    settings = home(env) / "settings.json"
    for text, phrase in (("[" * 100_000, "nests more than 64 levels deep"),
                         ('{"realms": [' + "9" * 400 + "]}", "holds a number with 400 digits"),
                         ('{"region": "us", "region": "eu"}', "has the key 'region' twice")):
        settings.write_text(text)
        code, _, err = await tsmsyncd(env, "groups", "preview", "--realm", "4")
        assert code == 1 and f"setting settings.json: {phrase}" in err and f"fix or delete {settings}" in err, err
        assert len(err.strip().splitlines()) == 1
    settings.unlink()
    deep = tmp_path / "deep.json"
    deep.write_text('{"name": "x", "criteria": ' + "{" * 100_000)
    code, _, err = await tsmsyncd(env, "groups", "rules", "add", str(deep))
    assert code == 1 and "rule deep.json: nests more than 64 levels deep" in err
    deep.write_text("[" * 100_000)
    code, _, err = await tsmsyncd(env, "export-string", str(deep))
    assert code == 1 and "GroupSet file: nests more than 64 levels deep" in err


async def test_a_setting_has_one_name_in_every_message(env, fake) -> None:
    """``client_id`` is the key in settings.json, so every message about it says ``client_id``."""
    home(env).mkdir(parents=True, exist_ok=True)
    (home(env) / "settings.json").write_text('{"client_id": "two words"}')
    no_env = {k: v for k, v in env.items() if not k.startswith("TSMSYNCD_BLIZZARD_CLIENT")}
    code, _, err = await tsmsyncd(no_env, "refresh", "--once", "--realm", "4")
    assert code == 1 and err.startswith("tsmsyncd: setting client_id: must be one word")
    (home(env) / "settings.json").write_text("{}")
    code, _, err = await tsmsyncd(no_env, "refresh", "--once", "--realm", "4")
    assert code == 1 and err.startswith("tsmsyncd: setting client_id: Blizzard API credentials are not set")
