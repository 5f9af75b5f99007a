"""bot.ops.supervisor restarts real processes that exit, and gives up on one that keeps dying."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.ops.supervisor import RESTART_LIMIT, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


class Processes:
    """Named real processes with the restart contract of the launchers."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.started: list[str] = []

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def restart(self, name: str) -> float:
        self.procs[name] = subprocess.Popen(self.commands[name])
        self.started.append(name)
        if name == "crasher":
            self.procs[name].wait(timeout=30)  # it dies during its start, like a bad config
            raise RuntimeError("exited during start")
        return 0.1

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes({"actions": SLEEPER, "escalation": SLEEPER})
    yield procs
    procs.stop()


def test_a_killed_process_is_started_again_and_the_others_are_left_alone(
        processes: Processes) -> None:
    retention_runs: list[int] = []
    supervisor = Supervisor(processes.dead, processes.restart,
                            retention=lambda: retention_runs.append(1))
    untouched = processes.procs["escalation"]
    assert supervisor.check() is None
    assert processes.started == [] and retention_runs == [1]  # retention once at the start
    processes.procs["actions"].kill()
    processes.procs["actions"].wait()
    assert supervisor.check() is None
    assert processes.started == ["actions"]
    assert processes.procs["actions"].poll() is None  # running again
    assert processes.procs["escalation"] is untouched
    assert retention_runs == [1]  # not due again for an hour


def test_a_process_that_keeps_dying_stops_everything(processes: Processes) -> None:
    processes.commands["crasher"] = CRASHER
    processes.procs["crasher"] = subprocess.Popen(CRASHER)
    processes.procs["crasher"].wait(timeout=30)
    supervisor = Supervisor(processes.dead, processes.restart, retention=lambda: None)
    reasons = [supervisor.check() for _ in range(RESTART_LIMIT + 1)]
    assert reasons[:RESTART_LIMIT] == [None] * RESTART_LIMIT
    assert reasons[-1] is not None and "crasher exited" in reasons[-1]
    assert processes.started == ["crasher"] * RESTART_LIMIT
    assert supervisor.run(stopping=lambda: False, interval=0) == 1


def test_run_returns_0_when_asked_to_stop(processes: Processes) -> None:
    supervisor = Supervisor(processes.dead, processes.restart, retention=lambda: None)
    assert supervisor.run(stopping=lambda: True) == 0
