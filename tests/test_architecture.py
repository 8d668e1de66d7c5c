"""The shape of the package: dependencies point inward and modules stay small.

    edges (cli, http, tray, daemon, scheduler, worker, demo)  →  app (the composition root)
      →  flows (sync, watch)  →  adapters (db, store, blizzard, groupclient, releases, config, logs, autostart)
      →  core (tsm, groups, market, wow, update; and the leaf modules errors, jsondoc, events, hosts)

Each layer may import the layers below it, never above. Edges never import each other, except where one
starts another: ``cli`` starts the ``daemon`` (``tsmsyncd run``) and the ``demo`` (which runs the
daemon on a sandbox), and the daemon, which owns threads and
lifecycle, starts the ``http`` server, the ``scheduler`` and the ``tray``. Any edge may import ``app``.
Core imports no adapter library with a process-wide side (``aiohttp.web``, ``pystray``, ``apscheduler``)
either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tsmsyncd"
LAYERS: dict[str, tuple[str, ...]] = {
    "core": ("tsm", "groups", "market", "wow", "update", "errors", "jsondoc", "events", "hosts"),
    "adapters": ("db", "store", "blizzard", "groupclient", "releases", "config", "logs", "autostart"),
    "flows": ("sync", "watch"),
    "root": ("app",),
    "edges": ("cli", "http", "tray", "daemon", "scheduler", "worker", "demo"),
}
ORDER = list(LAYERS)
FOREIGN_FORBIDDEN_IN_CORE = ("aiohttp.web", "pystray", "apscheduler")
# The daemon edge assembles the others; `tsmsyncd open`, the demo and the tray share the one-time browser
# login of http/launch.py (the redirect file), so there is one way to log a browser in.
EDGE_EXCEPTIONS = {("cli", "daemon"), ("cli", "demo"), ("demo", "daemon"), ("daemon", "http"),
                   ("daemon", "scheduler"), ("daemon", "tray"), ("cli", "http"), ("demo", "http"), ("tray", "http")}


def imports_of(path: Path) -> set[str]:
    """What a module imports when it runs (``if TYPE_CHECKING:`` blocks, seen only by the type checker,
    do not count: a flow may name the composition root's ``Services`` type it is handed)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def noun_of(module: Path, root: Path) -> str:
    """The top-level noun a module belongs to: ``tsm`` for tsm/merge.py, ``app`` for app.py."""
    rel = module.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def layer_of(noun: str) -> str | None:
    return next((layer for layer, nouns in LAYERS.items() if noun in nouns), None)


def violations(root: Path, package: str = "tsmsyncd") -> list[str]:
    """Every import that points the wrong way in the package at ``root``."""
    found = []
    for module in sorted(root.rglob("*.py")):
        noun = noun_of(module, root)
        layer = layer_of(noun)
        if layer is None:
            continue  # __init__, __main__: the package's own doors
        for name in sorted(imports_of(module)):
            if layer == "core" and any(name == f or name.startswith(f + ".") for f in FOREIGN_FORBIDDEN_IN_CORE):
                found.append(f"{module.relative_to(root)} (core) imports {name}")
                continue
            if not name.startswith(package + "."):
                continue
            target = name.split(".")[1]
            target_layer = layer_of(target)
            if target_layer is None or target == noun:
                continue
            if target_layer == "edges" and layer == "edges":
                if (noun, target) not in EDGE_EXCEPTIONS:
                    found.append(f"{module.relative_to(root)} (edge) imports the edge {target}")
            elif ORDER.index(target_layer) > ORDER.index(layer):
                found.append(f"{module.relative_to(root)} ({layer}) imports {name} ({target_layer})")
    return found


def test_every_import_points_inward() -> None:
    assert violations(PACKAGE) == []


def test_every_package_and_module_has_a_layer() -> None:
    nouns = {noun_of(p, PACKAGE) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    assert {n for n in nouns if layer_of(n) is None} == set()


@pytest.mark.parametrize(("where", "line", "complaint"), [
    ("db/market.py", "import tsmsyncd.sync.refresh", "(adapters) imports tsmsyncd.sync.refresh (flows)"),
    ("db/market.py", "from tsmsyncd.http import views", "(adapters) imports tsmsyncd.http (edges)"),
    ("tsm/merge.py", "import pystray", "(core) imports pystray"),
    ("tsm/merge.py", "from tsmsyncd.store import atomic", "(core) imports tsmsyncd.store (adapters)"),
    ("groups/rules.py", "from aiohttp import web", "(core) imports aiohttp.web"),
    ("store/atomic.py", "from tsmsyncd.app import Services", "(adapters) imports tsmsyncd.app (root)"),
    ("http/views.py", "from tsmsyncd.tray import Tray", "(edge) imports the edge tray"),
    ("tray.py", "import tsmsyncd.cli", "(edge) imports the edge cli"),
])
def test_the_checker_catches_a_wrong_import_in_a_throwaway_tree(
    tmp_path: Path, where: str, line: str, complaint: str
) -> None:
    root = tmp_path / "tsmsyncd"
    for name in ("tsm/merge.py", "groups/rules.py", "db/market.py", "store/atomic.py", "http/views.py", "tray.py",
                 "app.py", "cli/main.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text('"""x"""\n')
    (root / "app.py").write_text("from tsmsyncd.sync import refresh\nfrom tsmsyncd.db import market\n")
    (root / "cli/main.py").write_text("from tsmsyncd.app import Services\nfrom tsmsyncd import daemon\n")
    assert violations(root) == []  # the composition root and the CLI's entry points are allowed
    (root / where).write_text(line + "\n")
    assert [v for v in violations(root) if complaint in v], violations(root)


def test_modules_stay_under_800_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    big = {name: n for name, n in sizes.items() if n > 800}
    assert not big, f"split these by noun: {big}"


def test_every_module_says_what_it_owns() -> None:
    modules = PACKAGE.rglob("*.py")
    missing = [str(p.relative_to(PACKAGE)) for p in modules if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"


def test_no_module_level_service_singletons() -> None:
    """Services are built by app.py and passed down (STYLE habit 1): no ``x = SomethingService(...)``."""
    import re

    pattern = re.compile(r"^\w+\s*=\s*\w+(Service|Client|Store|Writer|Merger|Restorer|Refresher)\(", re.M)
    found = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert found == []
