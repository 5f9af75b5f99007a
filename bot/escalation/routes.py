"""Every route of the service, in one place."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.escalation import console, internal_api, metrics
from bot.escalation.review import web as review_web

STATIC_DIR = Path(__file__).resolve().parent / "static"


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            # internal API for the Rasa side (Bearer token, see middleware)
            web.post("/internal/cases", internal_api.open_case),
            web.post(
                "/internal/conversations/{conversation_id}/messages", internal_api.user_message
            ),
            web.get("/internal/conversations/{conversation_id}/case", internal_api.get_case),
            web.post(  # the gateway: an SMS did not reach the phone
                "/internal/gateway/conversations/{conversation_id}/delivery-failures",
                internal_api.delivery_failures,
            ),
            # for the web gateway (GATEWAY_CALLBACK_TOKEN): the chat page's status line and
            # the young person's typing dots
            web.get("/internal/gateway/availability", internal_api.availability),
            web.post("/internal/gateway/conversations/{conversation_id}/typing",
                     internal_api.user_typing),
            web.post("/internal/gateway/conversations/{conversation_id}/presence",
                     internal_api.user_presence),
            # console pages
            web.get("/", console.index),
            web.get("/login", console.login_page),
            web.post("/login", console.login),
            web.post("/logout", console.logout),
            web.get("/queue", console.queue_page),
            web.get("/cases/{case_id}", console.case_page),
            web.get("/desk", console.desk_page),
            web.get("/admin/canned", console.canned_page),
            web.post("/admin/canned", console.canned_save),
            web.post("/admin/canned/{reply_id:\\d+}", console.canned_save),
            web.post("/admin/canned/{reply_id:\\d+}/delete", console.canned_delete),
            # coach JSON API (session cookie + X-CSRF-Token)
            web.get("/api/queue", console.api_queue),
            web.get("/api/canned", console.api_canned),
            web.post("/api/presence", console.api_presence),
            web.get("/api/cases/{case_id}", console.api_case),
            web.get("/api/cases/{case_id}/transcript", console.api_transcript),
            web.post("/api/cases/{case_id}/claim", console.api_claim),
            web.post("/api/cases/{case_id}/messages", console.api_message),
            web.post("/api/cases/{case_id}/handback", console.api_handback),
            web.post("/api/cases/{case_id}/close", console.api_close),
            web.post("/api/cases/{case_id}/notes", console.api_note),
            web.post("/api/cases/{case_id}/transfer", console.api_transfer),
            web.post("/api/cases/{case_id}/export", console.api_export),
            web.get("/api/colleagues", console.api_colleagues),
            # live
            web.get("/ws/queue", console.ws_queue),
            web.get("/ws/cases/{case_id}", console.ws_case),
            web.get("/healthz", console.healthz),
            web.get("/metrics", metrics.scrape),  # Prometheus (loopback or METRICS_TOKEN)
            web.get("/favicon.ico", console.favicon),
            web.static("/static", STATIC_DIR, append_version=True),
        ]
    )
    review_web.setup_routes(app)  # review inbox, maintainer pages, statistics
