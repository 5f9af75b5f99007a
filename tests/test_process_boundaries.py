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


# ---- the two runtimes (issue 13) -----------------------------------------------------------
# The service runtime (.venv-svc, bot/runtimes.py) has no Rasa installed: whatever runs there
# reaches Rasa only over HTTP (bot/clients/rasa.py). The Rasa runtime loads bot/rasa_plugins,
# which uses shared libraries and the clients, never a service.

# what runs on the service runtime besides the commands' own modules
SERVICE_PACKAGES = ("bot.gateway", "bot.escalation", "bot.action_server", "actions",
                    "bot.clients")
RASA_ONLY = ("rasa", "bot.rasa_plugins")
SERVICE_ONLY = ("bot.gateway", "bot.escalation", "bot.action_server", "actions")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in ("bot", "actions")
            for p in sorted((ROOT / folder).rglob("*.py"))}


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def reachable(start: list[str], modules: dict[str, Path]) -> dict[str, str]:
    """Every module `start` imports, directly or through project modules (imports inside
    functions too), mapped to the project module that imports it."""
    seen: dict[str, str] = {}
    todo = [m for m in start if m in modules]
    done: set[str] = set()
    while todo:
        mod = todo.pop()
        if mod in done:
            continue
        done.add(mod)
        for name in imported_modules(modules[mod]):
            seen.setdefault(name, mod)
            parts = name.split(".")
            # `from bot import content` names bot.content; a package imports its __init__
            for k in range(len(parts), 0, -1):
                candidate = ".".join(parts[:k])
                if candidate in modules:
                    todo.append(candidate)
                    break
    return seen


def service_runtime_modules(modules: dict[str, Path]) -> list[str]:
    from bot.__main__ import COMMANDS
    from bot.runtimes import COMMAND_RUNTIME, SERVICES

    roots = [COMMANDS[c][0] for c, r in COMMAND_RUNTIME.items() if r is SERVICES]
    return roots + [m for m in modules if _under(m, SERVICE_PACKAGES)]


def test_the_service_runtime_never_imports_rasa() -> None:
    modules = project_modules()
    found = reachable(service_runtime_modules(modules), modules)
    crossings = sorted(f"{importer} imports {name}" for name, importer in found.items()
                       if _under(name, RASA_ONLY))
    assert crossings == []


def test_rasa_plugins_never_import_a_service() -> None:
    modules = project_modules()
    found = reachable([m for m in modules if _under(m, ("bot.rasa_plugins",))], modules)
    crossings = sorted(f"{importer} imports {name}" for name, importer in found.items()
                       if _under(name, SERVICE_ONLY))
    assert crossings == []


def test_the_runtime_check_finds_a_lazy_rasa_import() -> None:
    probe = ROOT / "bot" / "gateway" / "_probe_rasa.py"
    probe.write_text("def f():\n    from bot.rasa_plugins.nlu import components\n")
    try:
        modules = project_modules()
        found = reachable(service_runtime_modules(modules), modules)
        assert found.get("bot.rasa_plugins.nlu") == "bot.gateway._probe_rasa"
    finally:
        probe.unlink()


def test_every_command_has_a_runtime() -> None:
    from bot.__main__ import COMMANDS
    from bot.runtimes import COMMAND_RUNTIME, RASA

    assert set(COMMAND_RUNTIME) == set(COMMANDS)
    # what loads Rasa in-process stays on the Rasa runtime
    assert {c for c, r in COMMAND_RUNTIME.items() if r is RASA} == {
        "shell", "train", "evaluate", "retrain", "gate", "safety-eval", "ship", "rollback"}


def test_this_interpreter_is_what_its_runtime_promises() -> None:
    """On the service runtime Rasa is not even installed; on the Rasa runtime it is 3.6."""
    import importlib.util
    import sys

    from bot.runtimes import RASA, SERVICES, current

    runtime = current()
    if runtime is SERVICES:
        assert importlib.util.find_spec("rasa") is None
        assert sys.version_info[:2] == (3, 12)
    elif runtime is RASA:
        from importlib.metadata import version

        assert version("rasa") == "3.6.21" and sys.version_info[:2] == (3, 10)
    else:
        import pytest

        pytest.skip("not run from one of the project's runtimes")


def test_every_launcher_starts_each_process_on_its_runtime(tmp_path: Path) -> None:
    """`./dev run`, `./dev run-prod` and the test stack: Rasa from .venv, the rest from
    .venv-svc (the process spec's program says which)."""
    from bot.ops import runner
    from bot.ops.production import ProductionProfile
    from bot.runtimes import RASA, SERVICES
    from bot.settings import Settings

    env = {"RASA_TOKEN": "t" * 32, "ACTION_SERVER_TOKEN": "a" * 32,
           "GATEWAY_CALLBACK_TOKEN": "g" * 32}
    specs = [*runner.process_specs(Settings(), tmp_path / "m.tar.gz"),
             *ProductionProfile(tmp_path / "m.tar.gz", workdir=tmp_path, env=env).specs()]
    assert specs
    for spec in specs:
        want = RASA if spec.name.split("-")[0] == "rasa" else SERVICES
        assert spec.runtime is want, (spec.name, spec.cmd[0])



def _internal_paths(folder: str) -> list[str]:
    """Code outside bot/clients that spells a path of the escalation service's /internal/ API
    (docstrings and comments may name it; code may not)."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree)
                if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "/internal/" in node.value and id(node) not in docs:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_one_client_spells_the_internal_api() -> None:
    """One client per API: the gateway, Rasa's plugins and the action server reach the
    escalation service's internal API only through bot/clients/escalation.py."""
    assert _internal_paths("bot/gateway") == []
    assert _internal_paths("bot/rasa_plugins") == []
    assert _internal_paths("actions") == []
    assert _internal_paths("bot/clients") != []  # the check sees the client itself


def test_no_code_names_an_issue_number() -> None:
    """Comments and docstrings say why, not which ticket: ticket numbers go stale."""
    import re

    pattern = re.compile(r"\bissue \d+\b", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("bot", "actions") for path in sorted((ROOT / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []
