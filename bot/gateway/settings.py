"""Gateway settings, read from the environment (.env): nothing secret lives in code."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot import settings as app_settings
from bot.ratelimit import parse_rate as _rate

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


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway needs (its view of bot.settings)."""

    host: str = _D.gateway_host
    port: int = _D.gateway_port
    rasa_url: str = _D().rasa_url
    rasa_timeout_seconds: float = 30.0
    # the escalation service: coach availability for the status line, typing both ways
    # (authenticated with callback_token; the gateway never holds the internal token)
    escalation_url: str = "http://127.0.0.1:8080"
    status_cache_seconds: float = 20.0
    # key for pseudonymous conversation ids (HMAC-SHA256 of a phone number or browser token)
    secret: str = DEV_SECRET
    # Fernet key for the phone numbers replies still need (urlsafe base64 of 32 bytes)
    fernet_key: str = field(default_factory=lambda: base64.urlsafe_b64encode(
        secrets.token_bytes(32)).decode())
    fernet_key_is_ephemeral: bool = True
    # shared secret between the gateway and Rasa's callback channel, both ways (CALLBACK_HEADER):
    # Rasa sends it with every bot message, the gateway with its requests; unset: every
    # callback is refused (behind a proxy on this host every request comes from loopback).
    # The gateway has no RASA_TOKEN.
    callback_token: str = ""
    public_url: str = ""  # external base URL, for Twilio's signature (behind a proxy)
    exit_url: str = _D.gateway_exit_url
    trust_proxy: bool = False  # take the client address from X-Forwarded-For (reverse proxy)
    vault_url: str = _D.gateway_vault_url
    sms_number_ttl_seconds: float = _D.gateway_sms_number_ttl_hours * 3600
    sms_sweep_interval_seconds: float = _D.gateway_sms_sweep_seconds
    sms_max_chars: int = _D.gateway_sms_max_chars
    max_message_chars: int = 2000
    client_max_size: int = 64 * 1024
    rate_conversation: tuple[int, float] = (12, 60.0)
    rate_address: tuple[int, float] = (120, 60.0)
    # rate-limit buckets shared by every gateway instance ("" = this process's buckets only)
    redis_url: str = ""
    redis_prefix: str = _D.redis_prefix
    metrics_token: str = _D.metrics_token  # who may read /metrics (bot/metrics.py)
    twilio: TwilioSettings | None = None
    elks: ElksSettings | None = None
    production: bool = False  # APP_ENV=production: served over TLS, so HSTS on every answer

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
            host=s.gateway_host,
            port=s.gateway_port,
            rasa_url=s.rasa_url,
            escalation_url=s.escalation_url.rstrip("/"),
            secret=s.gateway_secret,
            fernet_key=s.gateway_fernet_key or cls().fernet_key,
            fernet_key_is_ephemeral=not s.gateway_fernet_key,
            callback_token=s.gateway_callback_token,
            public_url=s.gateway_public_url.rstrip("/"),
            exit_url=s.gateway_exit_url,
            trust_proxy=s.gateway_trust_proxy,
            vault_url=s.gateway_vault_url,
            sms_number_ttl_seconds=s.gateway_sms_number_ttl_hours * 3600,
            sms_sweep_interval_seconds=s.gateway_sms_sweep_seconds,
            sms_max_chars=s.gateway_sms_max_chars,
            rate_conversation=_rate(s.gateway_rate_conversation or None, cls.rate_conversation),
            rate_address=_rate(s.gateway_rate_address or None, cls.rate_address),
            redis_url=s.redis_url,
            redis_prefix=s.redis_prefix,
            metrics_token=s.metrics_token,
            twilio=twilio,
            elks=elks,
            production=s.production,
        )

    def status_url(self, path: str) -> str:
        """Where a provider posts delivery reports: GATEWAY_PUBLIC_URL + path ("" without a
        public URL: a provider could not reach this machine's loopback anyway)."""
        return f"{self.public_url}{path}" if self.public_url else ""

    @property
    def exit_url_is_safe(self) -> bool:
        return urlsplit(self.exit_url).scheme in {"http", "https", "about"}
