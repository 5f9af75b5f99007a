"""Which model is live, and which were live before: models/live.json.

The file is the deploy history (newest last). `ship` appends, `rollback` appends the previous
model again (so the history also shows the rollback); model files are never deleted here, so
every model in the history can be put back.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.settings import load


def live_file() -> Path:
    return load().live_file


@dataclass(frozen=True)
class Entry:
    model: str
    shipped_at: str
    action: str  # "ship" or "rollback"
    note: str = ""


def history(path: Path | None = None) -> list[Entry]:
    path = path or live_file()
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Entry(**e) for e in data.get("history", [])]


def current(path: Path | None = None) -> Path | None:
    entries = history(path)
    return Path(entries[-1].model) if entries else None


def previous(path: Path | None = None) -> Path | None:
    """The model that was live before the current one (skipping repeats of the current)."""
    entries = history(path)
    if not entries:
        return None
    now = entries[-1].model
    for entry in reversed(entries[:-1]):
        if entry.model != now:
            return Path(entry.model)
    return None


def record(model: Path, action: str, note: str = "", path: Path | None = None) -> Entry:
    path = path or live_file()
    entries = history(path)
    entry = Entry(str(model.resolve()), datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  action, note)
    entries.append(entry)
    data: dict[str, Any] = {"live": entry.model,
                            "history": [e.__dict__ for e in entries]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)
    return entry
