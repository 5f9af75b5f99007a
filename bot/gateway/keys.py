"""Typed application keys: all gateway state lives on the aiohttp app, no globals."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.clients.rasa import RasaClient
from bot.gateway.conversation import CoachTracker
from bot.gateway.hub import WebHub
from bot.gateway.presence import PresenceReporter
from bot.gateway.settings import GatewaySettings
from bot.gateway.sms import SmsOutbox
from bot.gateway.vault import Vault
from bot.ratelimit import SharedRateLimiter

SETTINGS = web.AppKey("settings", GatewaySettings)
RASA = web.AppKey("rasa", RasaClient)
HUB = web.AppKey("hub", WebHub)
COACH = web.AppKey("coach", CoachTracker)
LIMITER = web.AppKey("limiter", SharedRateLimiter)
VAULT = web.AppKey("vault", Vault)
SMS = web.AppKey("sms", SmsOutbox)
PRESENCE = web.AppKey("presence", PresenceReporter)
HTTP = web.AppKey("http", aiohttp.ClientSession)
PAGE = web.AppKey("page", dict)  # rendered page per language, built once
