"""Which Python runs which process: the one place that decides it.

Two runtimes, each a virtual environment in the checkout with its own pinned lock file, both
set up by `./dev`:

- **rasa** (`.venv`, Python 3.10, `requirements.lock`): Rasa Open Source 3.6.21, its last
  open-source release, and what it loads (`bot/rasa_plugins/`). Internal only: the Rasa
  server listens on loopback (or a private network) and is reached by the gateway, the
  escalation service and the action server over HTTP (`bot/clients/rasa.py`), never by import.
  Also the commands that load Rasa in-process (train, evaluate, gate, safety-eval, ship).
- **services** (`.venv-svc`, Python 3.12, `requirements-services.lock`): everything else, the
  parts that face the internet (gateway, coach console, review pages) and the action server
  (rasa-sdk), the launchers and the ops commands that need no Rasa; current aiohttp,
  SQLAlchemy 2, Alembic, spaCy.

Shared libraries (`bot/settings.py`, `bot/safety.py`, `bot/content.py`, `bot/db/`, ...) load
in both. `python -m bot <command>` started on the wrong interpreter moves itself to its
command's runtime (`bot/__main__.py`), and the launchers start each process with
`bot_command()` / `rasa_command()`, so no command line names an interpreter by hand.
This module uses only the standard library: both runtimes import it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.settings import ROOT


@dataclass(frozen=True)
class Runtime:
    """One virtual environment: where it is, what it runs on, its lock file."""

    name: str
    venv: str  # relative to the checkout
    python_version: str  # major.minor the venv is created with (./dev)
    lock: str  # pinned requirements, installed by ./dev setup
    requirements: str  # direct dependencies the lock is made from
    why: str

    @property
    def path(self) -> Path:
        return ROOT / self.venv

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def executable(self, name: str) -> Path:
        """A console script of this runtime (e.g. `rasa`)."""
        return self.path / "bin" / name

    def exists(self) -> bool:
        return self.python.exists()

    def is_current(self) -> bool:
        """True if this interpreter is the runtime's (symlinked venvs compare resolved)."""
        return _same(Path(sys.prefix), self.path)


RASA = Runtime(
    "rasa", ".venv", "3.10", "requirements.lock", "requirements.in",
    "Rasa Open Source 3.6.21 (the last open-source release) supports Python 3.8-3.10 only")
SERVICES = Runtime(
    "services", ".venv-svc", "3.12", "requirements-services.lock", "requirements-services.in",
    "maintained Python and current libraries for everything that does not load Rasa")
RUNTIMES = (RASA, SERVICES)

# `python -m bot <command>` -> the runtime it runs on. Rasa only where Rasa is loaded
# in-process (or `rasa shell` is in front); the launchers run on the service runtime and
# start the Rasa server with RASA's own `rasa` executable.
COMMAND_RUNTIME: dict[str, Runtime] = {
    "run": SERVICES,
    "run-prod": SERVICES,
    "shell": RASA,
    "train": RASA,
    "evaluate": RASA,
    "retrain": RASA,
    "gate": RASA,
    "safety-eval": RASA,
    "ship": RASA,
    "rollback": RASA,
    "content": SERVICES,
    "retention": SERVICES,
    "forget": SERVICES,
    "scrub-eval": SERVICES,
    "coach": SERVICES,
    "escalation": SERVICES,
    "gateway": SERVICES,
    "actions": SERVICES,
    "deps": SERVICES,
}


class MissingRuntime(RuntimeError):
    """A runtime's venv is not there: `./dev setup` creates both."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def runtime_of(command: str) -> Runtime:
    """The runtime of a `python -m bot` command (KeyError for an unknown command)."""
    return COMMAND_RUNTIME[command]


def current() -> Runtime | None:
    """The runtime this interpreter belongs to, or None (another Python)."""
    return next((r for r in RUNTIMES if r.is_current()), None)


def interpreter(runtime: Runtime) -> str:
    """The runtime's python, which must exist (a process must never land on the other one)."""
    if not runtime.exists():
        raise MissingRuntime(f"{runtime.python.relative_to(ROOT)} is missing: `./dev setup` "
                             f"creates the {runtime.name} runtime ({runtime.venv})")
    return str(runtime.python)


def bot_command(command: str, *args: str) -> list[str]:
    """`python -m bot <command> <args>` on the command's runtime."""
    return [interpreter(runtime_of(command)), "-m", "bot", command, *args]


def rasa_executable() -> str:
    """The Rasa runtime's `rasa` console script."""
    rasa = RASA.executable("rasa")
    if not rasa.exists():
        raise MissingRuntime(f"{rasa.relative_to(ROOT)} is missing: `./dev setup` installs "
                             "Rasa in the rasa runtime (.venv)")
    return str(rasa)


def rasa_command(*args: str) -> list[str]:
    """`rasa <args>` on the Rasa runtime."""
    return [rasa_executable(), *args]


def runtime_of_cmd(cmd: list[str]) -> Runtime | None:
    """Which runtime a command line runs on (its program is a runtime's interpreter or
    console script), or None (nginx, another program)."""
    program = Path(cmd[0]) if cmd else Path()
    return next((r for r in RUNTIMES if _same(program.parent.parent, r.path)
                 and program.parent.name == "bin"), None)
