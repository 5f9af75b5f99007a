"""`.env` without published placeholders: written from `.env.example` on the first run, and
any placeholder secret left in an existing `.env` replaced on every `./dev` run.

`./dev` calls `python -m bot.envfile` before every command. Without `.env` it writes one
from `.env.example`; with one (perhaps copied from the example by hand, or by an older
`./dev`) it rewrites only the lines whose secret is a placeholder, keeping every other line
and comment as it is. A placeholder is a value containing `change-me`/`changeme`, or, for a
secret (a name ending in TOKEN, SECRET, PASSWORD or _KEY), `dev-` as well: the markers
APP_ENV=production refuses. Each becomes a fresh `secrets.token_urlsafe(32)`; the secrets the
example leaves empty on purpose (GATEWAY_CALLBACK_TOKEN, ACTION_SERVER_TOKEN, the gateway's
Fernet key) are filled when empty. The file is written owner-only (0600), and the command
names the keys it replaced, never their values.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

from bot.escalation.settings import PLACEHOLDER_MARKERS
from bot.settings import ROOT

# secrets .env.example leaves empty on purpose, filled when empty
FILL_WHEN_EMPTY = ("GATEWAY_CALLBACK_TOKEN", "ACTION_SERVER_TOKEN")
FERNET_KEY = "GATEWAY_FERNET_KEY"
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|_KEY)$")


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _fresh_value(name: str, value: str) -> str | None:
    """A random value if `value` is a placeholder (or an empty required secret), else None."""
    bare = value.strip().strip("\"'").lower()
    secret = bool(_SECRET_NAME.search(name))
    if "change-me" in bare or "changeme" in bare or (
            secret and any(marker in bare for marker in PLACEHOLDER_MARKERS)):
        return _fernet_key() if name == FERNET_KEY else secrets.token_urlsafe(32)
    if not bare and name == FERNET_KEY:
        return _fernet_key()
    if not bare and name in FILL_WHEN_EMPTY:
        return secrets.token_urlsafe(32)
    return None


def replace_placeholders(text: str) -> tuple[str, list[str]]:
    """`text` with every placeholder secret replaced, and the names replaced (in order).
    Every other line, comment and line ending stays exactly as it was."""
    out: list[str] = []
    replaced: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        key, sep, value = body.partition("=")
        name = key.strip().removeprefix("export ").strip()
        fresh = None if not sep or name.startswith("#") else _fresh_value(name, value)
        if fresh is not None:
            replaced.append(name)
            line = f"{key}={fresh}{line[len(body):]}"
        out.append(line)
    return "".join(out), replaced


def _write_owner_only(target: Path, text: str) -> None:
    """Write through a 0600 temporary file and rename it over `target`, so the secrets are
    never readable by others, not even for a moment."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, target)
    target.chmod(0o600)


def write_dev_env(example: Path = ROOT / ".env.example", target: Path = ROOT / ".env") -> bool:
    """Write `target` from `example` unless it exists; True if written. Owner-only."""
    if target.exists():
        return False
    text, _ = replace_placeholders(example.read_text(encoding="utf-8"))
    _write_owner_only(target, text if text.endswith("\n") else text + "\n")
    return True


def refresh_dev_env(target: Path = ROOT / ".env") -> list[str]:
    """Replace the placeholder secrets of an existing `target`; the names replaced."""
    with target.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    fresh, replaced = replace_placeholders(text)
    if replaced:
        _write_owner_only(target, fresh)
    return replaced


def main(example: Path, target: Path) -> int:
    if write_dev_env(example, target):
        print(f"{target.name} written from {example.name} with random secrets")
        return 0
    replaced = refresh_dev_env(target)
    if replaced:
        print(f"{target.name}: replaced placeholder secrets with random ones: "
              + ", ".join(replaced))
    return 0


if __name__ == "__main__":
    # `./dev` runs this from the checkout it lives in, which need not be the installed one
    sys.exit(main(Path(".env.example"), Path(".env")))
