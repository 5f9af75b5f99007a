"""First run: write `.env` from `.env.example` with random secrets in place of placeholders.

`./dev` calls `python -m bot.envfile` when `.env` does not exist yet, so a development
machine never runs on the published `change-me-…` values: every value that contains
`change-me` becomes a fresh `secrets.token_urlsafe(32)`, and the secrets that
`.env.example` leaves empty but the system needs (GATEWAY_CALLBACK_TOKEN, the gateway's
Fernet key) are filled too. An existing `.env` is never touched.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from bot.settings import ROOT

# secrets .env.example leaves empty on purpose, filled on first run
FILL_WHEN_EMPTY = ("GATEWAY_CALLBACK_TOKEN", "ACTION_SERVER_TOKEN")


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def render(example: str) -> str:
    """The example's text with every placeholder secret replaced by a random one."""
    out = []
    for line in example.splitlines():
        key, sep, value = line.partition("=")
        name = key.strip()
        if sep and not name.startswith("#"):
            if "change-me" in value.lower() or (name in FILL_WHEN_EMPTY and not value.strip()):
                line = f"{key}={secrets.token_urlsafe(32)}"
            elif name == "GATEWAY_FERNET_KEY" and not value.strip():
                line = f"{key}={_fernet_key()}"
        out.append(line)
    return "\n".join(out) + "\n"


def write_dev_env(example: Path = ROOT / ".env.example", target: Path = ROOT / ".env") -> bool:
    """Write `target` from `example` unless it exists; True if written. Owner-only."""
    if target.exists():
        return False
    target.write_text(render(example.read_text(encoding="utf-8")), encoding="utf-8")
    target.chmod(0o600)
    return True


if __name__ == "__main__":
    # `./dev` runs this from the checkout it lives in, which need not be the installed one
    if write_dev_env(Path(".env.example"), Path(".env")):
        print(".env written from .env.example with random secrets")
    sys.exit(0)
