"""Run untrusted SavedVariables chunks in real Lua 5.1, fenced in.

A SavedVariables file is Lua source that the game executes. We execute it the same way, with the same
Lua (5.1, via ``lupa.lua51``), so what we read is what the game reads. Because the file is untrusted input,
the chunk runs:

* as text only (``\\x1bLua`` bytecode is refused before Lua sees it);
* in an empty environment (no ``os``, ``io``, ``load*``, ``require``, ``debug``, no Python bridge), and with
  the string metatable's methods removed, so ``("x"):rep(1e9)`` is not a way around the limits;
* under an instruction-count hook, so an endless loop fails within a fraction of a second;
* under a memory cap enforced by lupa's allocator, so a giant table or string fails instead of eating RAM.

One :class:`LuaSandbox` holds one Lua state; a loaded chunk's globals stay in it so a later load (the file
we wrote) can be compared with it table by table inside Lua, where equal strings are the same object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lupa.lua51 as lua51

__all__ = ["LuaLimits", "LuaSandbox", "SandboxError"]

_PRELUDE = r"""
local loadstring, setfenv, sethook, pcall, error = loadstring, setfenv, debug.sethook, pcall, error
local type, next, rawget, tostring, byte = type, next, rawget, tostring, string.byte
local LIMIT = "tsmsyncd: instruction limit"
getmetatable("").__index = nil

local function run(src, name, limit)
  if byte(src, 1) == 27 then return nil, "bytecode", "bytecode" end
  local f, err = loadstring(src, name)
  if not f then return nil, err, "syntax" end
  local env = {}
  setfenv(f, env)
  sethook(function() error(LIMIT, 0) end, "", limit)
  local ok, e = pcall(f)
  sethook()
  if not ok then return nil, tostring(e), "runtime" end
  return env, nil, nil
end

local function eq(a, b)
  if a == b then return true end
  local ta = type(a)
  if ta ~= type(b) then return false end
  if ta == "number" then return a ~= a and b ~= b end  -- NaN equals NaN for our purposes
  if ta ~= "table" then return false end
  for k, v in next, a do
    local w = rawget(b, k)
    if w == nil or not eq(v, w) then return false end
  end
  for k in next, b do
    if rawget(a, k) == nil then return false end
  end
  return true
end

-- Keys of old/new (tables) whose values differ, skipping the keys in `skip`; at most `max` of them.
local function differing(old, new, skip, max)
  local out, n = {}, 0
  for k, v in next, old do
    if not skip[k] and not eq(v, rawget(new, k)) then n = n + 1; out[n] = k; if n >= max then return out end end
  end
  for k in next, new do
    if not skip[k] and rawget(old, k) == nil then n = n + 1; out[n] = k; if n >= max then return out end end
  end
  return out
end

-- Whether `part` agrees with `whole` where it says anything: the same keys, and equal values except
-- where `part` holds false (an entry left out on purpose).
local function agrees(whole, part)
  if type(whole) ~= "table" or type(part) ~= "table" then return eq(whole, part) end
  for k, v in next, whole do
    local p = rawget(part, k)
    if p == nil or (p ~= false and not eq(v, p)) then return false end
  end
  for k in next, part do
    if rawget(whole, k) == nil then return false end
  end
  return true
end

-- Of the keys listed in the array `keys`, those whose values differ between tables a and b; for the
-- keys in the set `partial`, b's value may leave entries out (see agrees).
local function differing_at(a, b, keys, partial)
  local out, n = {}, 0
  for _, k in next, keys do
    local same
    if partial[k] then same = agrees(rawget(a, k), rawget(b, k)) else same = eq(rawget(a, k), rawget(b, k)) end
    if not same then n = n + 1; out[n] = k end
  end
  return out
end

local function array_length(t) return #t end

return run, differing, differing_at, array_length
"""


class SandboxError(Exception):
    """Loading a chunk failed. ``kind`` is one of: bytecode, syntax, runtime, instructions, memory."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


@dataclass(frozen=True)
class LuaLimits:
    """Limits that scale with the size of the file, so a 50 MB accounting file loads and a 10 MB file of
    millions of empty tables or a 100-byte endless loop does not. Real TSM files need about 2.5x their
    size in Lua memory and well under one instruction per byte."""

    base_memory: int = 64 * 2**20
    memory_per_byte: int = 8
    base_instructions: int = 20_000_000
    instructions_per_byte: int = 4

    def memory_for(self, size: int) -> int:
        return self.base_memory + self.memory_per_byte * size

    def instructions_for(self, size: int) -> int:
        return self.base_instructions + self.instructions_per_byte * size


class LuaSandbox:
    """One Lua 5.1 state for loading untrusted chunks and comparing what they defined."""

    def __init__(self, limits: LuaLimits | None = None) -> None:
        self.limits = limits or LuaLimits()
        self._lua = lua51.LuaRuntime(
            encoding=None,  # strings stay bytes: files hold bytes that are not UTF-8
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            max_memory=self.limits.base_memory,
        )
        self._lua.globals().python = None
        self._run, self._differing, self._differing_at, self._array_length = self._lua.execute(_PRELUDE)

    def load(self, source: bytes, chunkname: str) -> object:
        """Execute ``source`` in a fresh empty environment and return that environment (a Lua table)."""
        if source[:1] == b"\x1b":
            raise SandboxError("bytecode", "the file is precompiled Lua bytecode")
        lua = self._lua
        lua.set_max_memory(lua.get_memory_used() + self.limits.memory_for(len(source)))
        limit = self.limits.instructions_for(len(source))
        try:
            env, err, stage = self._run(source, b"=" + chunkname.encode("utf-8", "replace"), limit)
        except lua51.LuaMemoryError as exc:
            self._recover()
            raise SandboxError("memory", self._memory_message(len(source))) from exc
        except lua51.LuaError as exc:  # the hook fired in our own code right after the chunk returned
            raise SandboxError("instructions", f"more than {limit:,} Lua instructions") from exc
        if env is None:
            self._recover()
            raise self._classify(stage.decode(), err.decode("utf-8", "replace"), limit, len(source))
        return env

    def _recover(self) -> None:
        """Free what a failed chunk left behind before anything else allocates: lupa makes some Lua API
        calls outside a protected call, and one failing allocation there aborts the whole process."""
        self._lua.set_max_memory(0)
        self._lua.gccollect()
        self._lua.set_max_memory(self._lua.get_memory_used() + self.limits.base_memory)

    def _classify(self, stage: str, message: str, limit: int, size: int) -> SandboxError:
        if stage == "bytecode":
            return SandboxError("bytecode", "the file is precompiled Lua bytecode")
        if message.endswith("tsmsyncd: instruction limit"):
            return SandboxError("instructions", f"more than {limit:,} Lua instructions (an endless loop?)")
        if "not enough memory" in message:
            return SandboxError("memory", self._memory_message(size))
        return SandboxError(stage, message)  # "syntax" (loadstring refused it) or "runtime" (it ran and failed)

    def _memory_message(self, size: int) -> str:
        return f"more than {self.limits.memory_for(size) // 2**20} MB of memory"

    def differing(
        self, old: object, new: object, skip: frozenset[object] = frozenset(), limit: int = 20
    ) -> list[object]:
        """Keys whose values differ between two Lua tables (deep comparison in Lua), skipping ``skip``."""
        skip_table = self._lua.table_from({_to_lua_key(k): True for k in skip})
        self._lua.set_max_memory(self._lua.get_memory_used() + self.limits.base_memory)
        result = self._differing(old, new, skip_table, limit)
        return [to_python(k) for k in result.values()]

    def differing_at(self, a: object, b: object, keys: list[object], partial: Sequence[object] = ()) -> list[object]:
        """Of ``keys`` (already Lua keys), those whose values differ between tables a and b (deep, in Lua).
        For the keys in ``partial``, b's table may hold ``false`` for entries left out on purpose."""
        self._lua.set_max_memory(self._lua.get_memory_used() + self.limits.base_memory)
        lua = self._lua
        result = self._differing_at(a, b, lua.table_from(keys), lua.table_from(dict.fromkeys(partial, True)))
        return [to_python(k) for k in result.values()]

    def array_length(self, table: object) -> int:
        return int(self._array_length(table))


def _to_lua_key(key: object) -> object:
    return key.encode("utf-8", "surrogateescape") if isinstance(key, str) else key


_SCALARS = (int, float, bool, type(None))


def to_python(value: object) -> object:
    """Convert a Lua value to Python: tables to dicts, strings to str (surrogateescape), numbers to int
    when integral. Refuses tables keyed by both ``true`` and ``1`` (Python cannot tell them apart)."""
    if type(value) is bytes:  # exact type checks: this runs once per value of tables with 100,000s of entries
        return value.decode("utf-8", "surrogateescape")
    if type(value) in _SCALARS:
        return value
    lua_kind = lua51.lua_type(value)
    if lua_kind != "table":
        raise TypeError(f"a Lua {lua_kind} cannot be read as data")
    out: dict[object, object] = {}
    for k, v in value.items():  # type: ignore[attr-defined]
        key = k.decode("utf-8", "surrogateescape") if type(k) is bytes else to_python(k)
        if key in out:
            raise TypeError(f"the table has both {key!r} and an equal key of another type")
        out[key] = v.decode("utf-8", "surrogateescape") if type(v) is bytes else to_python(v)
    return out
