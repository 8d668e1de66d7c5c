"""The shape of the package: dependencies point inward and modules stay small.

core (tsm, groups, wow, market) ← services (sync) ← edges (cli, http, tray, daemon, scheduler)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tsmsyncd"
CORE = ("tsm", "groups", "wow", "market")
EDGE_MODULES = ("tsmsyncd.cli", "tsmsyncd.http", "tsmsyncd.tray", "tsmsyncd.daemon")
FORBIDDEN_IN_CORE = ("aiohttp.web", "pystray", "apscheduler", "tsmsyncd.sync", *EDGE_MODULES)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def core_modules() -> list[Path]:
    return sorted(p for pkg in CORE if (PACKAGE / pkg).is_dir() for p in (PACKAGE / pkg).rglob("*.py"))


@pytest.mark.parametrize("module", core_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_services_or_edges(module: Path) -> None:
    bad = sorted(
        name for name in imports_of(module) for f in FORBIDDEN_IN_CORE if name == f or name.startswith(f + ".")
    )
    assert not bad, f"{module.relative_to(PACKAGE)} imports {bad}"


def test_services_never_import_edges() -> None:
    for module in sorted((PACKAGE / "sync").rglob("*.py")):
        bad = [n for n in imports_of(module) for f in EDGE_MODULES if n == f or n.startswith(f + ".")]
        assert not bad, f"{module.relative_to(PACKAGE)} imports {bad}"


def test_modules_stay_under_800_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    big = {name: n for name, n in sizes.items() if n > 800}
    assert not big, f"split these by noun: {big}"


def test_every_module_says_what_it_owns() -> None:
    modules = PACKAGE.rglob("*.py")
    missing = [str(p.relative_to(PACKAGE)) for p in modules if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"
