"""`python -m bot gateway`: run the web chat and SMS gateway (wired in bot/__main__.py)."""

from __future__ import annotations

import argparse
import logging

from bot.gateway.settings import DEV_SECRET, GatewaySettings


def serve(argv: list[str]) -> int:
    """Run the gateway on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8090)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot gateway",
        description="Kör webbchatten och SMS-gatewayen (Rasas callback-mottagare)")
    parser.add_argument("--host", help="default: GATEWAY_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: GATEWAY_PORT or 8090")
    args = parser.parse_args(argv)
    from aiohttp import web

    from bot.gateway.app import create_app

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = GatewaySettings.from_env()
    from bot.settings import check_production_secrets, is_production

    if is_production():  # refuse placeholder secrets (and an ephemeral phone-number key)
        check_production_secrets(
            {"GATEWAY_SECRET": settings.secret, "GATEWAY_CALLBACK_TOKEN": settings.callback_token,
             "GATEWAY_FERNET_KEY": None if settings.fernet_key_is_ephemeral else "x" * 44},
            component="gateway",
        )
    if settings.secret == DEV_SECRET:
        logging.warning("GATEWAY_SECRET is the development default; set it in .env")
    if not settings.callback_token:
        logging.error("GATEWAY_CALLBACK_TOKEN is not set: every message from Rasa is refused "
                      "(set it in .env; `./dev run` makes one per run)")
    if settings.fernet_key_is_ephemeral:
        logging.warning("GATEWAY_FERNET_KEY is not set: stored phone numbers become "
                        "unreadable at restart (SMS replies to them stop)")
    host, port = args.host or settings.host, args.port or settings.port
    print(f"web chat: http://{host}:{port}/", flush=True)
    web.run_app(create_app(settings), host=host, port=port, access_log=None,
                print=lambda *_: None)
    return 0
