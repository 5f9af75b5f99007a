"""Stand-ins on loopback for the gateway's neighbours: Rasa's callback channel and HTTP API,
and the SMS providers' APIs (Twilio Messages.json, 46elks /a1/sms), which check basic auth
and record every outbound message."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.protocol import CALLBACK_HEADER, WEB_MESSAGE_ID_KEY

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-auth-token"
ELKS_USER = "u0123456789"
ELKS_PASSWORD = "elks-test-password"
ELKS_SECRET = "elks-webhook-secret-1234"
OUR_NUMBER = "+46766861234"
LONG_REPLY = ("Det här är ett långt svar som måste delas upp i flera SMS. " * 6).strip() + \
    "\n\n" + ("Andra stycket har också en hel del text i sig, mening efter mening. " * 6).strip()


@dataclass
class FakeRasa:
    """Rasa's callback channel and tracker API: every message gets scripted replies, POSTed
    to the gateway's callback URL before the webhook answers (as Rasa does)."""

    callback_url: str = ""
    callback_headers: dict[str, str] = field(default_factory=dict)  # as Rasa's channel sends
    received: list[tuple[str, str]] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)  # one per received message
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delay: float = 0.0
    fail: bool = False

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/callback/webhook", self._webhook)
        app.router.add_get("/webhooks/callback/transcript", self._transcript)
        return app

    @staticmethod
    def replies(text: str) -> list[dict[str, Any]]:
        if text == "knappar":
            return [{"text": "Vad vill du veta?", "buttons": [
                {"title": "Hur man hoppar av", "payload": "/ask_how_to_leave"},
                {"title": "Är jag anonym?", "payload": "/ask_anonymity"},
                {"title": "Vilken hjälp finns", "payload": "/ask_help_options"}]}]
        if text == "lång":
            return [{"text": p} for p in LONG_REPLY.split("\n\n")]
        return [{"text": f"Svar: {text}"}]

    async def _webhook(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.Response(status=500)
        if self.callback_headers and request.headers.get(CALLBACK_HEADER) != \
                self.callback_headers.get(CALLBACK_HEADER):
            return web.json_response({"error": "forbidden"}, status=403)  # as Rasa's channel
        data = await request.json()
        sender, text = data["sender"], data["message"]
        self.received.append((sender, text))
        metadata = data.get("metadata") or {}
        self.metadata.append(metadata)
        events = self.events.setdefault(sender, [])
        # what the real channel keeps with the message: the page's id of it
        kept = {k: metadata[k] for k in (WEB_MESSAGE_ID_KEY,) if k in metadata}
        events.append({"event": "user", "text": text, "timestamp": time.time(),
                       "metadata": kept})
        if self.delay:
            await asyncio.sleep(self.delay)
        async with aiohttp.ClientSession() as http:
            for reply in self.replies(text):
                events.append({"event": "bot", "text": reply["text"],
                               "data": {"buttons": reply.get("buttons")}, "metadata": {}})
                async with http.post(self.callback_url, headers=self.callback_headers,
                                     json={"recipient_id": sender, **reply}) as resp:
                    assert resp.status == 200, await resp.text()
        return web.Response(text="success")

    async def _transcript(self, request: web.Request) -> web.Response:
        if self.callback_headers and request.headers.get(CALLBACK_HEADER) != \
                self.callback_headers.get(CALLBACK_HEADER):
            return web.json_response({"error": "forbidden"}, status=403)
        cid = request.query.get("sender", "")
        return web.json_response({"sender_id": cid, "events": self.events.get(cid, [])})

    async def push(self, sender: str, text: str, coach: bool = False,
                   metadata: dict[str, Any] | None = None) -> None:
        """A message appended later (coach, notice), delivered like Rasa's HTTP API and
        callback channel do: metadata in the tracker, its protocol keys in the post."""
        metadata = {"coach": coach, **(metadata or {})}
        body: dict[str, Any] = {"recipient_id": sender, "text": text,
                                **{k: v for k, v in metadata.items() if v}}
        self.events.setdefault(sender, []).append(
            {"event": "bot", "text": text, "metadata": metadata})
        async with aiohttp.ClientSession() as http, http.post(
                self.callback_url, json=body, headers=self.callback_headers) as resp:
            assert resp.status == 200


@dataclass
class FakeProviders:
    """Twilio and 46elks outbound APIs; checks credentials, records messages."""

    sent: list[dict[str, str]] = field(default_factory=list)
    rejected: int = 0
    arrived: asyncio.Event | None = None

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        app.router.add_post("/a1/sms", self._elks)
        return app

    @staticmethod
    def _auth_ok(request: web.Request, user: str, password: str) -> bool:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return request.headers.get("Authorization") == expected

    async def _twilio(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.match_info["sid"] != TWILIO_SID or not self._auth_ok(
                request, TWILIO_SID, TWILIO_TOKEN):
            self.rejected += 1
            return web.json_response({"code": 20003}, status=401)
        sid = "SM" + uuid.uuid4().hex
        self.sent.append({"provider": "twilio", "to": str(form["To"]),
                          "from": str(form["From"]), "body": str(form["Body"]),
                          "at": str(time.perf_counter()), "id": sid,
                          "report_url": str(form.get("StatusCallback", ""))})
        return web.json_response({"sid": sid, "status": "queued"}, status=201)

    async def _elks(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._auth_ok(request, ELKS_USER, ELKS_PASSWORD):
            self.rejected += 1
            return web.Response(status=401, text="Unauthorized")
        sms_id = "s" + uuid.uuid4().hex
        self.sent.append({"provider": "46elks", "to": str(form["to"]),
                          "from": str(form["from"]), "body": str(form["message"]),
                          "at": str(time.perf_counter()), "id": sms_id,
                          "report_url": str(form.get("whendelivered", ""))})
        return web.json_response({"id": sms_id, "status": "created"})

    @staticmethod
    async def report(sent: dict[str, str], status: str, error_code: str = "",
                     token: str = TWILIO_TOKEN, url: str | None = None) -> int:
        """What the provider posts later about an SMS it accepted (Twilio's signed status
        callback, 46elks' delivery report) to the URL given with it; the HTTP status."""
        target = url or sent["report_url"]
        if sent["provider"] == "twilio":
            params = {"AccountSid": TWILIO_SID, "MessageSid": sent["id"], "SmsSid": sent["id"],
                      "MessageStatus": status, "To": sent["to"], "From": sent["from"],
                      **({"ErrorCode": error_code} if error_code else {})}
            headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(
                target, params)}
        else:
            params = {"id": sent["id"], "status": status, "delivered": "2025-01-01T12:00:01"}
            headers = {}
        async with aiohttp.ClientSession() as http, http.post(
                target, data=params, headers=headers) as resp:
            return resp.status

    def bodies(self, to: str | None = None) -> list[str]:
        return [m["body"] for m in self.sent if to is None or m["to"] == to]


def twilio_post(url: str, number: str, body: str, token: str = TWILIO_TOKEN,
                extra: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
    """A Twilio-style webhook request signed with the twilio package's RequestValidator."""
    # a fresh MessageSid per message, as Twilio sends (the gateway drops repeated ones)
    params = {"AccountSid": TWILIO_SID, "MessageSid": "SM" + uuid.uuid4().hex, "From": number,
              "To": OUR_NUMBER, "Body": body, "NumMedia": "0", **(extra or {})}
    signature = RequestValidator(token).compute_signature(url, params)
    return urlencode(params).encode(), {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def elks_post(number: str, body: str) -> tuple[bytes, dict[str, str]]:
    params = {"id": "s" + "3" * 20, "direction": "incoming", "from": number,
              "to": OUR_NUMBER, "message": body, "created": "2025-01-01 12:00:00.000"}
    return urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


async def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")
