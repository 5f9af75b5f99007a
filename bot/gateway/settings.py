"""Gateway settings, read from the environment (.env): nothing secret lives in code."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot import settings as app_settings
from bot.ratelimit import parse_rate as _rate
from bot.settings import from_setting, view_values

_D = app_settings.Settings  # the one default of each variable
DEV_SECRET = _D.gateway_secret


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str = ""  # default: the number the user texted (inbound "To")
    api_url: str = _D.twilio_api_url


@dataclass(frozen=True)
class ElksSettings:
    username: str
    password: str
    webhook_secret: str  # the last path segment of the webhook URL given to 46elks
    from_number: str = ""  # default: the number the user texted (inbound "to")
    api_url: str = _D.elks_api_url


def _no_trailing_slash(url: str) -> str:
    return url.rstrip("/")


def _hours_to_seconds(hours: float) -> float:
    return hours * 3600


def _rate_or(default: tuple[int, float]) -> Callable[[str], tuple[int, float]]:
    """GATEWAY_RATE_*: "count/seconds", blank for the gateway's own default."""
    return lambda value: _rate(value or None, default)


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway needs (its view of bot.settings)."""

    host: str = from_setting("gateway_host")
    port: int = from_setting("gateway_port")
    rasa_url: str = from_setting("rasa_url")
    rasa_timeout_seconds: float = 30.0
    # the escalation service: coach availability for the status line, typing both ways
    # (authenticated with callback_token; the gateway never holds the internal token)
    escalation_url: str = from_setting("escalation_url", _no_trailing_slash)
    status_cache_seconds: float = 20.0
    # key for pseudonymous conversation ids (HMAC-SHA256 of a phone number or browser token)
    secret: str = from_setting("gateway_secret")
    # Fernet key for the phone numbers replies still need (urlsafe base64 of 32 bytes)
    fernet_key: str = field(default_factory=lambda: base64.urlsafe_b64encode(
        secrets.token_bytes(32)).decode())
    fernet_key_is_ephemeral: bool = True
    # shared secret between the gateway and Rasa's callback channel, both ways (CALLBACK_HEADER):
    # Rasa sends it with every bot message, the gateway with its requests; unset: every
    # callback is refused (behind a proxy on this host every request comes from loopback).
    # The gateway has no RASA_TOKEN.
    callback_token: str = from_setting("gateway_callback_token")
    # external base URL, for Twilio's signature (behind a proxy)
    public_url: str = from_setting("gateway_public_url", _no_trailing_slash)
    exit_url: str = from_setting("gateway_exit_url")
    # take the client address from X-Forwarded-For (reverse proxy)
    trust_proxy: bool = from_setting("gateway_trust_proxy")
    vault_url: str = from_setting("gateway_vault_url")
    sms_number_ttl_seconds: float = from_setting("gateway_sms_number_ttl_hours",
                                                 _hours_to_seconds)
    sms_sweep_interval_seconds: float = from_setting("gateway_sms_sweep_seconds")
    sms_max_chars: int = from_setting("gateway_sms_max_chars")
    max_message_chars: int = 2000
    client_max_size: int = 64 * 1024
    rate_conversation: tuple[int, float] = from_setting("gateway_rate_conversation",
                                                        _rate_or((12, 60.0)))
    rate_address: tuple[int, float] = from_setting("gateway_rate_address",
                                                   _rate_or((120, 60.0)))
    # a web chat message's page id is forwarded to Rasa once; a repeat within this time is
    # only acknowledged again (bot/gateway/message_ids.py)
    message_id_ttl_seconds: float = from_setting("gateway_message_id_ttl_hours",
                                                 _hours_to_seconds)
    # several gateway instances (production profile): rate-limit buckets, live fan-out,
    # coach flags, SMS batching and web message ids shared through Redis; "" = one process,
    # all in memory
    redis_url: str = from_setting("redis_url")
    redis_prefix: str = from_setting("redis_prefix")
    metrics_token: str = from_setting("metrics_token")  # who may read /metrics (bot/metrics.py)
    twilio: TwilioSettings | None = None
    elks: ElksSettings | None = None
    # APP_ENV=production: served over TLS, so HSTS on every answer
    production: bool = from_setting("production")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        """The gateway's settings from `env` (default: the process environment)."""
        return cls.from_settings(app_settings.load(env))

    @classmethod
    def from_settings(cls, s: app_settings.Settings) -> GatewaySettings:
        twilio = None
        if s.twilio_account_sid and s.twilio_auth_token:
            twilio = TwilioSettings(s.twilio_account_sid, s.twilio_auth_token, s.twilio_from,
                                    s.twilio_api_url.rstrip("/"))
        elks = None
        if s.elks_api_username and s.elks_webhook_secret:
            elks = ElksSettings(s.elks_api_username, s.elks_api_password,
                                s.elks_webhook_secret, s.elks_from,
                                s.elks_api_url.rstrip("/"))
        return cls(
            **view_values(cls, s),
            fernet_key=s.gateway_fernet_key or cls().fernet_key,
            fernet_key_is_ephemeral=not s.gateway_fernet_key,
            twilio=twilio,
            elks=elks,
        )

    def status_url(self, path: str) -> str:
        """Where a provider posts delivery reports: GATEWAY_PUBLIC_URL + path ("" without a
        public URL: a provider could not reach this machine's loopback anyway)."""
        return f"{self.public_url}{path}" if self.public_url else ""

    @property
    def exit_url_is_safe(self) -> bool:
        return urlsplit(self.exit_url).scheme in {"http", "https", "about"}
