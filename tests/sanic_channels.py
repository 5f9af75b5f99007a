"""Rasa's channels on a real Sanic server in the test's event loop, mounted by Rasa's own code.

`rasa.core.channels.channel.register` mounts each channel's blueprint at /webhooks/<name>/
exactly as `rasa run` does; only the agent behind it is a small echo (the channel, its
validation and its limits are what these tests are about, and a loaded model would make
each request cost NLU and dialogue). Tests that need the real assistant use the
`rasa_server` fixture instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

from tests.support.sanic_server import serve_sanic


@dataclass
class EchoAgent:
    """Answers every message with one text; remembers what it was given."""

    received: list[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "svar / answer")


@dataclass
class Served:
    url: str
    agent: EchoAgent
    app: Any


@asynccontextmanager
async def serve_channels(channels: list[InputChannel]) -> AsyncIterator[Served]:
    """The channels on 127.0.0.1:<free port>, stopped on exit."""
    Sanic.test_mode = True  # several apps in one process
    app = Sanic(f"channels_{uuid.uuid4().hex[:8]}", configure_logging=False)
    agent = EchoAgent()
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    async with serve_sanic(app) as url:
        yield Served(url, agent, app)
