"""`tsmsyncd groups ...` as real processes: rules kept in the database (templates seeded once), preview,
generate (a new version only when content changed) and diff, on data refreshed from the fake server."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import tsmsyncd

from tsmsyncd.tsm.groupset import GroupSet


async def refreshed(env: dict[str, str], fake, hours: int = 3) -> None:
    for _ in range(hours):
        code, _, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4")
        assert code == 0, err
        fake.advance()


async def test_preview_generate_and_diff(env, fake, tmp_path: Path) -> None:
    code, _, err = await tsmsyncd(env, "groups", "preview", "--realm", "4")
    assert code == 1 and "run `tsmsyncd refresh --once --region us --realm 4` first" in err
    await refreshed(env, fake)
    code, out, err = await tsmsyncd(env, "groups", "preview", "--realm", "4", "--json")
    assert code == 0, err
    preview = json.loads(out)
    assert [g["path"] for g in preview["report"]["groups"]][:2] == [["Flips"], ["Flips", "High Volume"]]
    assert GroupSet.from_dict(preview["groupset"]).root == "TSM Sync"

    out_file = tmp_path / "groups.json"
    code, out, err = await tsmsyncd(env, "groups", "generate", "--realm", "4", "--out", str(out_file))
    assert code == 0 and "new version 1" in out, err
    assert GroupSet.load(out_file).groups == GroupSet.from_dict(preview["groupset"]).groups
    code, out, _ = await tsmsyncd(env, "groups", "generate", "--realm", "4")
    assert "unchanged; still version 1" in out
    code, out, _ = await tsmsyncd(env, "groups", "diff", "--realm", "4")
    assert code == 0 and "against version 1" in out and "no changes" in out


async def test_rules_can_be_listed_shown_added_disabled_and_removed(env, tmp_path: Path) -> None:
    code, out, _ = await tsmsyncd(env, "groups", "rules", "list")
    assert code == 0 and [line.split()[1] for line in out.splitlines()] == ["Flips", "Deals", "Rising", "Crafting"]
    code, out, _ = await tsmsyncd(env, "groups", "rules", "show", "deals")
    assert json.loads(out)["criteria"]["sort"] == "-discount"

    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"name": "Cheap Herbs", "criteria": {"where": "item_class in [7] and min_buyout < 50s",
                                                                    "limit": 50}}))
    code, out, err = await tsmsyncd(env, "groups", "rules", "add", str(mine))
    assert code == 0 and "rule 'Cheap Herbs' saved" in out, err
    assert (await tsmsyncd(env, "groups", "rules", "disable", "Rising"))[0] == 0
    assert (await tsmsyncd(env, "groups", "rules", "remove", "Deals"))[0] == 0
    code, out, _ = await tsmsyncd(env, "groups", "rules", "list")
    assert [line.split()[:2] for line in out.splitlines()] == [["on", "Flips"], ["off", "Rising"],
                                                               ["on", "Crafting"], ["on", "Cheap"]]

    mine.write_text(json.dumps({"name": "Bad", "criteria": {"where": "__import__('os')"}}))
    code, _, err = await tsmsyncd(env, "groups", "rules", "add", str(mine))
    assert code == 1 and "rule mine.json.criteria.where" in err and "only min(), max() and abs()" in err
    code, _, err = await tsmsyncd(env, "groups", "rules", "remove", "Nope")
    assert code == 1 and "there is no rule named 'Nope'" in err


async def test_diff_says_how_many_more_it_did_not_list(env, fake) -> None:
    """Issue 10, class 7: a cut list says so ("… and N more"), so nobody takes ten lines for the whole."""
    await refreshed(env, fake)
    assert (await tsmsyncd(env, "groups", "generate", "--realm", "4"))[0] == 0
    assert (await tsmsyncd(env, "groups", "rules", "disable", "Flips"))[0] == 0
    code, out, err = await tsmsyncd(env, "groups", "diff", "--realm", "4", "--json")
    assert code == 0, err
    removed = sum(len(c["removed"]) for c in json.loads(out)["changes"])
    code, out, _ = await tsmsyncd(env, "groups", "diff", "--realm", "4")
    listed = out.count("\n    - ")
    assert removed > 10 and "more removed" in out
    more = sum(int(line.split("and ")[1].split()[0].replace(",", ""))
               for line in out.splitlines() if "more removed" in line)
    assert listed + more == removed
