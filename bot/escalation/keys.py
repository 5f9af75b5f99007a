"""Typed application keys shared by the service's modules (no globals: all state is on the app)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from jinja2 import Environment

from bot.client_window import ClientCaseWindow
from bot.clients.gateway import GatewayLink
from bot.clients.rasa import RasaClient
from bot.escalation.hub import Hub
from bot.escalation.settings import Settings
from bot.escalation.store import Store

if TYPE_CHECKING:
    from bot.escalation.login import LoginThrottle  # it imports security, which reads keys
    from bot.escalation.service import CaseService

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
RASA = web.AppKey("rasa", RasaClient)
HUB = web.AppKey("hub", Hub)
GATEWAY = web.AppKey("gateway", GatewayLink)
TEMPLATES = web.AppKey("templates", Environment)
CLOCK = web.AppKey("clock", Callable[[], datetime])
SWEEP_WAKE = web.AppKey("sweep_wake", asyncio.Event)
THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
CASES: web.AppKey[CaseService] = web.AppKey("cases")  # set once the store is open
CASE_WINDOW = web.AppKey("case_window", ClientCaseWindow)
