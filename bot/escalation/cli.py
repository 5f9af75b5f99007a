"""`python -m bot coach ...` (accounts) and `python -m bot escalation` (run the service)."""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import sys

from bot.db.engine import make_engine, upgrade_database
from bot.db.models import ROLES
from bot.escalation.settings import Settings

USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{2,64}$")
MIN_PASSWORD_LENGTH = 12


def _store(settings: Settings):  # -> Store (imported lazily: keep `--help` fast)
    from bot.escalation.store import Store

    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    return Store(engine)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Lösenord: ")
    if first != getpass.getpass("Lösenord igen: "):
        print("Lösenorden är inte lika.", file=sys.stderr)
        return None
    return first


def main(argv: list[str]) -> int:
    """Manage coach accounts: create, list, disable, enable, set-password."""
    parser = argparse.ArgumentParser(prog="python -m bot coach", description="Coachkonton")
    sub = parser.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create", help="skapa ett konto")
    create.add_argument("--username", required=True)
    create.add_argument("--role", choices=ROLES, default="coach")
    create.add_argument(
        "--password-stdin", action="store_true", help="läs lösenordet från första raden på stdin"
    )
    sub.add_parser("list", help="lista konton")
    disable = sub.add_parser("disable", help="stäng av ett konto (loggar ut det)")
    disable.add_argument("username")
    enable = sub.add_parser("enable", help="aktivera ett avstängt konto")
    enable.add_argument("username")
    setpw = sub.add_parser("set-password", help="byt lösenord (loggar ut kontot)")
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)

    from bot.escalation.security import hash_password

    store = _store(Settings.from_env())
    if args.cmd == "create":
        if not USERNAME_RE.match(args.username):
            print(
                "Användarnamnet får bara innehålla a–z, 0–9, . _ - (2–64 tecken).", file=sys.stderr
            )
            return 2
        if store.coach_by_username(args.username) is not None:
            print(f"Kontot {args.username!r} finns redan.", file=sys.stderr)
            return 1
        password = _read_password(args.password_stdin)
        if password is None:
            return 1
        if len(password) < MIN_PASSWORD_LENGTH:
            print(f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.", file=sys.stderr)
            return 2
        store.create_coach(args.username, hash_password(password), args.role)
        print(f"Skapade {args.role} {args.username}.")
        return 0
    if args.cmd == "list":
        for c in store.list_coaches():
            state = "aktiv" if c.active else "avstängd"
            print(f"{c.username:<24} {c.role:<6} {state:<9} {c.presence}")
        return 0
    if args.cmd in ("disable", "enable"):
        if not store.set_coach_active(args.username, args.cmd == "enable"):
            print(f"Okänt konto {args.username!r}.", file=sys.stderr)
            return 1
        print(f"{args.username}: {'aktiverat' if args.cmd == 'enable' else 'avstängt'}.")
        return 0
    if args.cmd == "set-password":
        coach = store.coach_by_username(args.username)
        if coach is None:
            print(f"Okänt konto {args.username!r}.", file=sys.stderr)
            return 1
        password = _read_password(args.password_stdin)
        if password is None or len(password) < MIN_PASSWORD_LENGTH:
            print(f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.", file=sys.stderr)
            return 2
        store.set_password_hash(coach.id, hash_password(password))
        print(f"Nytt lösenord för {args.username}; alla inloggningar är avslutade.")
        return 0
    return 2


def serve(argv: list[str]) -> int:
    """Run the escalation service and coach console on ESCALATION_URL's host and port."""
    parser = argparse.ArgumentParser(
        prog="python -m bot escalation", description="Kör eskaleringstjänsten och coachkonsolen"
    )
    parser.add_argument("--host", help="default: host of ESCALATION_URL")
    parser.add_argument("--port", type=int, help="default: port of ESCALATION_URL")
    args = parser.parse_args(argv)
    from aiohttp import web

    from bot.escalation.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    if settings.session_secret == Settings.session_secret:
        logging.warning("SESSION_SECRET is the development default; set it in .env")
    web.run_app(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=None,
    )
    return 0
