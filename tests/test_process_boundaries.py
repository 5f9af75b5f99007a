"""What the Rasa server and the action server load imports no other process's package.

Read with `ast` (imports inside functions too), so a lazy import cannot hide a crossing.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import ROOT

# what `rasa run` loads (config.yml, endpoints*.yml, credentials.yml) and the action server
RASA_SIDE = ["bot/rasa_plugins", "actions"]
# packages that belong to one process each
SERVICES = ("actions", "bot.gateway", "bot.escalation")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def own_package(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:2])


def crossings(folders: list[str]) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            mine = own_package(path)
            for name in sorted(imported_modules(path)):
                other = next((s for s in SERVICES if name == s or name.startswith(s + ".")),
                             None)
                if other and not mine.startswith(other):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_rasa_plugins_and_actions_import_no_other_process() -> None:
    assert all((ROOT / folder).is_dir() for folder in RASA_SIDE)
    assert crossings(RASA_SIDE) == []


def test_the_check_finds_a_crossing() -> None:
    probe = ROOT / "actions" / "_probe_crossing.py"
    probe.write_text("def f():\n    from bot.escalation.store import Store\n")
    try:
        assert crossings(["actions"]) == ["actions/_probe_crossing.py imports "
                                          "bot.escalation.store",
                                          "actions/_probe_crossing.py imports "
                                          "bot.escalation.store.Store"]
    finally:
        probe.unlink()


def test_every_class_path_rasa_loads_is_under_rasa_plugins() -> None:
    """config.yml, endpoints and credentials name only bot.rasa_plugins classes."""
    import re

    for name in ("config.yml", "endpoints.yml", "endpoints.prod.yml", "credentials.yml"):
        paths = re.findall(r"\b(bot\.[a-z_.]+\.[A-Z]\w+)", (ROOT / name).read_text())
        assert paths and all(p.startswith("bot.rasa_plugins.") for p in paths), (name, paths)
