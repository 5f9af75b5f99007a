"""Keep the system's processes running while it runs.

Both launchers (`./dev run`: bot.ops.runner; `./dev run-prod`: bot.ops.production) end in the same
loop: watch the processes, run retention every hour, stop on Ctrl-C. A process that exits is
started again with its own command, as systemd's `Restart=always` would, so an action server,
escalation instance, Rasa server or nginx that crashes comes back without anyone stepping in
(tests/production/test_faults.py kills each and checks that nothing is lost meanwhile). A
process that keeps dying (RESTART_LIMIT exits within RESTART_WINDOW_S) is a fault a restart
will not fix: then everything stops, with the log to read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RESTART_LIMIT = 5
RESTART_WINDOW_S = 300.0
RETENTION_INTERVAL_S = 3600.0


@dataclass
class Supervisor:
    """`dead()` names the exited processes; `restart(name)` starts one again and waits until
    it is ready (returns the seconds it took, raises RuntimeError/OSError if it failed)."""

    dead: Callable[[], list[str]]
    restart: Callable[[str], float]
    retention: Callable[[], None]
    log_hint: str = "var/log/"
    clock: Callable[[], float] = time.monotonic
    restarts: dict[str, list[float]] = field(default_factory=dict)
    next_retention: float = 0.0

    def check(self) -> str | None:
        """One round: restart what exited, run retention when due. A reason to stop, or None."""
        for name in self.dead():
            now = self.clock()
            recent = [t for t in self.restarts.get(name, []) if now - t < RESTART_WINDOW_S]
            if len(recent) >= RESTART_LIMIT:
                return (f"{name} exited {len(recent) + 1} times within "
                        f"{RESTART_WINDOW_S:.0f} s; stopping everything. See {self.log_hint}")
            self.restarts[name] = [*recent, now]
            print(f"{name} exited; restarting it (see {self.log_hint})", file=sys.stderr,
                  flush=True)
            try:
                seconds = self.restart(name)
            except (RuntimeError, OSError) as exc:  # counted; tried again next round
                print(f"{name} did not come back: {exc}", file=sys.stderr, flush=True)
                continue
            print(f"{name} ready again after {seconds:.1f} s", flush=True)
        if self.clock() >= self.next_retention:
            self.retention()
            self.next_retention = self.clock() + RETENTION_INTERVAL_S
        return None

    def run(self, stopping: Callable[[], bool], interval: float = 1.0) -> int:
        """Until `stopping()`: 0 when asked to stop, 1 when a process keeps dying."""
        while not stopping():
            reason = self.check()
            if reason is not None:
                print(reason, file=sys.stderr, flush=True)
                return 1
            time.sleep(interval)
        return 0
