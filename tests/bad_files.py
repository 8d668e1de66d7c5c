"""Files that must be refused, with the phrase the one-line reason must contain. Shared by the reader's
tests and the CLI's (which also checks exit code 1 and that the file is left untouched)."""

from __future__ import annotations

from sv_factory import render, tsm_db


def _good() -> bytes:
    return render(tsm_db())


def _meta(**changes: object) -> bytes:
    db = tsm_db()
    db.update(changes)
    return render(db)


BAD_FILES = {
    "empty": (b"", "is empty"),
    "blank": (b"\r\n\r\n", "is empty"),
    "truncated": (_good()[: len(_good()) // 2], "ends too early"),
    "syntax garbage": (b"this is { not lua at all ]]", "not valid Lua 5.1"),
    "binary garbage": (bytes(range(256)) * 4, "not valid Lua 5.1"),
    "another addon": (b'WeakAurasSaved = {\n\t["displays"] = {},\n}\n', "not TradeSkillMaster's file"),
    "tsm3": (b'TradeSkillMasterDB = {\n\t["p@Default@groups"] = {},\n\t["g@ @operations"] = {},\n}\n', "no _version"),
    "tsm3 versioned": (_meta(_version=7), "TSM3"),
    "version not a number": (_meta(_version="129"), "_version is str"),
    "hash missing": (_meta(_hash="x"), "_hash"),
    "scope keys not a table": (_meta(_scopeKeys=5), "_scopeKeys"),
    "scope keys unknown scope": (_meta(_scopeKeys={"profile": ["Default"], "guild": ["x"]}), "unknown scope"),
    "scope keys sparse list": (_meta(_scopeKeys={"profile": {1: "Default", 3: "X"}}), "_scopeKeys.profile"),
    "current profile not strings": (_meta(_currentProfile={"A - B": 5}), "_currentProfile"),
    "array part": (render({**tsm_db(), 1: "oops"}), "array part"),
    "bytecode": (b"\x1bLua\x51\x00\x01\x04\x08\x04\x08\x00" + b"\x00" * 64, "bytecode"),
    "runs code": (b'os.execute("echo hacked")\nTradeSkillMasterDB = {}\n', "runs code"),
    "calls a function": (b"TradeSkillMasterDB = {}\nprint('x')\n", "runs code"),
}



# Hostile files: they must fail fast and run nothing.
HOSTILE_FILES = {
    "endless loop": (b"TradeSkillMasterDB = {}\nwhile true do end\n", "instructions"),
    "os.execute": (b'os.execute("touch /tmp/tsmsyncd-pwned")\nTradeSkillMasterDB = {}\n', "runs code"),
    "millions of entries": (b'TradeSkillMasterDB = {["_version"] = 129, ["x"] = {' + b"{}," * 4_000_000 + b"}}\n",
                            "MB of memory"),
}

BAD_FILE_CASES = {**BAD_FILES, **HOSTILE_FILES}
