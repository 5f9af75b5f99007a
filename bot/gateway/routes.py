"""Every route of the gateway, in one place."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot import metrics
from bot.gateway import callback, coach_link, elks46, keys, twilio, webchat

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def scrape(request: web.Request) -> web.Response:
    """Prometheus: this instance's counters (bot/metrics.py), loopback or METRICS_TOKEN."""
    if not metrics.allowed(request.remote, request.headers,
                           request.app[keys.SETTINGS].metrics_token):
        return web.json_response({"error": "forbidden"}, status=403)
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})


def setup_routes(app: web.Application) -> None:
    app.router.add_routes([
        # web chat
        web.get("/", webchat.page),
        web.get("/ws", webchat.websocket),
        web.get("/status", coach_link.status),
        web.static("/static", STATIC_DIR, append_version=True),
        # Rasa's callback channel posts every bot/coach message here
        web.post("/rasa/callback", callback.receive),
        # the escalation service: "the coach is typing"
        web.post("/escalation/typing", coach_link.coach_typing),
        # SMS providers
        web.post("/sms/twilio", twilio.webhook),
        web.post(twilio.STATUS_PATH, twilio.status),  # delivery reports
        web.post("/sms/46elks/{secret}", elks46.webhook),
        web.post(elks46.delivery_path("{secret}"), elks46.delivery),
        web.get("/healthz", healthz),
        web.get("/metrics", scrape),
    ])
