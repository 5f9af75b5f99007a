"""Which runtime runs which test: in-process tests of service code run on the service runtime
(.venv-svc), so the current libraries are what is tested; what needs Rasa in the test process
runs on the Rasa runtime (.venv). scripts/test.sh runs pytest once on each; tests/conftest.py
applies this split, so each run collects only its own tests.

A test needs Rasa when its module imports `rasa` or `bot.rasa_plugins` at the top (the module
is then not even collected on the service runtime), or when the test function, a fixture it
uses, or a function of its module they call imports them inside the body. Tests that only
start processes (the Rasa server through bot.runtimes.rasa_command) need no Rasa in the test
process and run on the service runtime.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

RASA_MODULES = ("rasa", "bot.rasa_plugins", "tests.sanic_channels",
                # ops commands that load a model in their own process (bot/runtimes.py: .venv)
                "bot.ops.evaluation", "bot.ops.modelops.gate")
# conftest fixtures that load Rasa in the test process (the Agent and what talks to it)
RASA_FIXTURES = frozenset({"agent", "conversation"})


def _needs_rasa_name(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in RASA_MODULES)


def _imports(nodes: Iterable[ast.AST]) -> bool:
    for node in nodes:
        if isinstance(node, ast.Import) and any(_needs_rasa_name(a.name) for a in node.names):
            return True
        if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and (_needs_rasa_name(node.module)
                     or any(_needs_rasa_name(f"{node.module}.{a.name}") for a in node.names))):
            return True
    return False


@functools.cache
def _tree(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text(encoding="utf-8"))


def module_needs_rasa(path: Path) -> bool:
    """A top-level import of Rasa (or of a test helper that imports it)."""
    tree = _tree(str(path))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    for node in tree.body:  # `if TYPE_CHECKING:` / try blocks at the top level
        if isinstance(node, ast.If | ast.Try):
            top.extend(n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))
    return _imports(top)


@functools.cache
def _functions_needing_rasa(path: str) -> frozenset[str]:
    """Module-level functions and classes that import Rasa, directly or through another
    module-level function or class they name."""
    tree = _tree(path)
    defs = {n.name: n for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    direct = {name for name, node in defs.items() if _imports(ast.walk(node))}
    calls = {name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(defs)
             for name, node in defs.items()}
    needs = set(direct)
    changed = True
    while changed:
        changed = False
        for name, named in calls.items():
            if name not in needs and named & needs:
                needs.add(name)
                changed = True
    return frozenset(needs)


def function_needs_rasa(func: Callable[..., Any]) -> bool:
    """The function's body imports Rasa, or names a function of its module that does."""
    func = inspect.unwrap(func)
    try:
        path = inspect.getsourcefile(func)
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return False
    if path is None:
        return False
    if path.endswith(".py") and module_needs_rasa(Path(path)):
        return True
    body = ast.parse(source)
    if _imports(ast.walk(body)):
        return True
    names = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    return bool(names & _functions_needing_rasa(path))


def item_needs_rasa(item: Any) -> bool:
    """A collected pytest item: its module, its function or a fixture it uses needs Rasa."""
    if module_needs_rasa(Path(str(item.path))):
        return True
    if RASA_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    func = getattr(item, "function", None)
    if func is not None and function_needs_rasa(func):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info is not None else ()):
        if any(function_needs_rasa(d.func) for d in defs):
            return True
    return False
