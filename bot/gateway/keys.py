"""Typed application keys: all gateway state lives on the aiohttp app, no globals."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.clients.escalation import GatewayCalls
from bot.clients.rasa import RasaClient
from bot.gateway.conversation import CoachFlags
from bot.gateway.hub import WebHub
from bot.gateway.message_ids import MessageIds
from bot.gateway.presence import PresenceReporter
from bot.gateway.settings import GatewaySettings
from bot.gateway.sms import SmsOutbox
from bot.gateway.vault import Vault
from bot.ratelimit import SharedRateLimiter

SETTINGS = web.AppKey("settings", GatewaySettings)
RASA = web.AppKey("rasa", RasaClient)
HUB = web.AppKey("hub", WebHub)
COACH = web.AppKey("coach", CoachFlags)
LIMITER = web.AppKey("limiter", SharedRateLimiter)
VAULT = web.AppKey("vault", Vault)
SMS = web.AppKey("sms", SmsOutbox)
PRESENCE = web.AppKey("presence", PresenceReporter)
ESCALATION = web.AppKey("escalation", GatewayCalls)  # its /internal/gateway API
HTTP = web.AppKey("http", aiohttp.ClientSession)
PAGE = web.AppKey("page", dict)  # rendered page per language, built once
MESSAGE_IDS = web.AppKey("message_ids", MessageIds)  # each web message to Rasa once
# turns read from a web chat socket, handled to their end when the socket closes
WEB_TURNS = web.AppKey("web_turns", set)
