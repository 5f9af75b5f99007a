"""Gateway settings, read from the environment (.env): nothing secret lives in code."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.ratelimit import parse_rate as _rate

DEV_SECRET = "change-me-gateway-secret"
# the header that carries GATEWAY_CALLBACK_TOKEN from Rasa's callback channel to the gateway
CALLBACK_HEADER = "X-Gateway-Callback-Token"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str = ""  # default: the number the user texted (inbound "To")
    api_url: str = "https://api.twilio.com"


@dataclass(frozen=True)
class ElksSettings:
    username: str
    password: str
    webhook_secret: str  # the last path segment of the webhook URL given to 46elks
    from_number: str = ""  # default: the number the user texted (inbound "to")
    api_url: str = "https://api.46elks.com/a1"


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway needs; `from_env` is the only reader of os.environ."""

    host: str = "127.0.0.1"
    port: int = 8090
    rasa_url: str = "http://127.0.0.1:5005"
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
    exit_url: str = "https://www.google.se/"
    trust_proxy: bool = False  # take the client address from X-Forwarded-For (reverse proxy)
    vault_url: str = "sqlite:///var/gateway_vault.db"
    sms_number_ttl_seconds: float = 96 * 3600
    sms_sweep_interval_seconds: float = 300
    sms_max_chars: int = 459  # three concatenated GSM-7 segments per message
    max_message_chars: int = 2000
    client_max_size: int = 64 * 1024
    rate_conversation: tuple[int, float] = (12, 60.0)
    rate_address: tuple[int, float] = (120, 60.0)
    twilio: TwilioSettings | None = None
    elks: ElksSettings | None = None
    production: bool = False  # APP_ENV=production: served over TLS, so HSTS on every answer

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GatewaySettings:
        env = dict(os.environ if env is None else env)
        rasa_url = env.get("RASA_URL") or (
            f"http://{env.get('RASA_HOST', '127.0.0.1')}:{env.get('RASA_PORT', '5005')}"
        )
        twilio = None
        if env.get("TWILIO_ACCOUNT_SID") and env.get("TWILIO_AUTH_TOKEN"):
            twilio = TwilioSettings(
                env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"],
                env.get("TWILIO_FROM", ""),
                env.get("TWILIO_API_URL", TwilioSettings.api_url).rstrip("/"),
            )
        elks = None
        if env.get("ELKS_API_USERNAME") and env.get("ELKS_WEBHOOK_SECRET"):
            elks = ElksSettings(
                env["ELKS_API_USERNAME"], env.get("ELKS_API_PASSWORD", ""),
                env["ELKS_WEBHOOK_SECRET"], env.get("ELKS_FROM", ""),
                env.get("ELKS_API_URL", ElksSettings.api_url).rstrip("/"),
            )
        fernet_key = env.get("GATEWAY_FERNET_KEY", "")
        base = cls()
        return cls(
            host=env.get("GATEWAY_HOST", cls.host),
            port=int(env.get("GATEWAY_PORT", cls.port)),
            rasa_url=rasa_url.rstrip("/"),
            escalation_url=env.get("ESCALATION_URL", cls.escalation_url).rstrip("/"),
            secret=env.get("GATEWAY_SECRET", cls.secret),
            fernet_key=fernet_key or base.fernet_key,
            fernet_key_is_ephemeral=not fernet_key,
            callback_token=env.get("GATEWAY_CALLBACK_TOKEN", ""),
            public_url=env.get("GATEWAY_PUBLIC_URL", "").rstrip("/"),
            exit_url=env.get("GATEWAY_EXIT_URL", cls.exit_url),
            trust_proxy=env.get("GATEWAY_TRUST_PROXY", "0") in {"1", "true", "yes"},
            vault_url=env.get("GATEWAY_VAULT_URL", cls.vault_url),
            sms_number_ttl_seconds=float(env.get("GATEWAY_SMS_NUMBER_TTL_HOURS", 96)) * 3600,
            sms_sweep_interval_seconds=float(
                env.get("GATEWAY_SMS_SWEEP_SECONDS", cls.sms_sweep_interval_seconds)),
            sms_max_chars=int(env.get("GATEWAY_SMS_MAX_CHARS", cls.sms_max_chars)),
            rate_conversation=_rate(env.get("GATEWAY_RATE_CONVERSATION"),
                                    cls.rate_conversation),
            rate_address=_rate(env.get("GATEWAY_RATE_ADDRESS"), cls.rate_address),
            twilio=twilio,
            elks=elks,
            production=env.get("APP_ENV", "").strip().lower() == "production",
        )

    def status_url(self, path: str) -> str:
        """Where a provider posts delivery reports: GATEWAY_PUBLIC_URL + path ("" without a
        public URL: a provider could not reach this machine's loopback anyway)."""
        return f"{self.public_url}{path}" if self.public_url else ""

    @property
    def exit_url_is_safe(self) -> bool:
        return urlsplit(self.exit_url).scheme in {"http", "https", "about"}
