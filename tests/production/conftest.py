"""Print the fault-injection table (the issue asks for what was injected and what was lost)."""

from __future__ import annotations

from typing import Any

COLUMNS = ("fault", "injected", "sent", "answered", "honest error", "lost", "crisis answered",
           "coach→user", "cases (lost)", "transcript gaps (extra)", "shown twice", "recovery s")


def fault_table() -> list[str]:
    from tests.production.test_faults import RESULTS

    if not RESULTS:
        return []
    rows = [[r.fault, r.injected, str(r.sent), str(r.answered), str(r.honest), str(r.lost),
             r.crisis, r.coach_messages, f"{r.cases} ({r.cases_lost})",
             f"{r.transcript_gaps} ({r.transcript_extra})",
             "-" if r.shown_twice is None else str(r.shown_twice), f"{r.recovery_seconds:.1f}"]
            for r in RESULTS]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines += [f"  {r.fault}: {'; '.join(r.notes)}" for r in RESULTS if r.notes]
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    import sys

    if "tests.production.test_faults" not in sys.modules:
        return
    lines = fault_table()
    if lines:
        terminalreporter.section("fault injection (production profile)")
        for line in lines:
            terminalreporter.write_line(line)
