"""Process-wide settings for the run command, read from the environment (.env via dotenv).

Only the launcher reads these; every service gets what it needs through its own environment
or command line, so no module depends on a shared global configuration object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Rasa reports usage to Rasa's servers unless told otherwise; a service for anonymous young
# people sends nothing anywhere, so every Rasa process the project starts gets this.
NO_TELEMETRY = {"RASA_TELEMETRY_ENABLED": "false"}


def process_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The environment for a process the project starts: `base` and `extra`, telemetry off.

    Applied last, so neither .env nor a caller can switch Rasa's telemetry back on.
    """
    return {**base, **extra, **NO_TELEMETRY}


@dataclass(frozen=True)
class RunSettings:
    """Where each process listens and the secrets they share."""

    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_token: str = "change-me-rasa-token"
    action_port: int = 5055
    escalation_url: str = "http://127.0.0.1:8080"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8090

    @classmethod
    def from_env(cls) -> RunSettings:
        env = os.environ
        return cls(
            rasa_host=env.get("RASA_HOST", cls.rasa_host),
            rasa_port=int(env.get("RASA_PORT", cls.rasa_port)),
            rasa_token=env.get("RASA_TOKEN", cls.rasa_token),
            action_port=int(env.get("ACTION_PORT", cls.action_port)),
            escalation_url=env.get("ESCALATION_URL", cls.escalation_url),
            gateway_host=env.get("GATEWAY_HOST", cls.gateway_host),
            gateway_port=int(env.get("GATEWAY_PORT", cls.gateway_port)),
        )

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"
