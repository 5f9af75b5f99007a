"""Print how many fuzz inputs each target got (the issue asks for the count to be printed)."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.fuzz.test_fuzz_public_endpoints import ANSWERS, TRIED

    if TRIED:
        line = ", ".join(f"{k}: {v}" for k, v in sorted(TRIED.items()))
        terminalreporter.write_line(f"fuzz inputs tried, none answered with a 5xx: {line}")
    for target, counts in sorted(ANSWERS.items()):
        spread = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"  answers of {target}: {spread}")
