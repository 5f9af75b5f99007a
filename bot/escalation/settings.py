"""The escalation service's view of the settings (read once, in bot/settings.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot import settings as app_settings
from bot.hours import OpeningHours, hours_text, parse_coach_hours
from bot.settings import check_production_secrets, from_setting, view_values


def _minutes_to_seconds(minutes: float) -> float:
    return minutes * 60


@dataclass(frozen=True)
class Settings:
    """Everything the service needs; build with `Settings.from_env()` or directly in tests."""

    escalation_url: str = from_setting("escalation_url")
    internal_token: str = from_setting("escalation_internal_token")
    rasa_url: str = from_setting("rasa_url")
    rasa_token: str = from_setting("rasa_token")
    # the web gateway, told when a coach is typing (GATEWAY_CALLBACK_TOKEN authenticates both
    # ways: the gateway calls /internal/gateway/* with it)
    gateway_url: str = from_setting("gateway_url")
    gateway_token: str = from_setting("gateway_callback_token")
    database_url: str = from_setting("database_url")
    session_secret: str = from_setting("session_secret")
    claim_timeout_seconds: float = from_setting("escalation_claim_timeout_seconds")
    coach_hours: OpeningHours = from_setting("coach_hours", parse_coach_hours)
    # closed on Swedish public holidays (and midsummer/christmas/new year's eve)
    close_on_holidays: bool = from_setting("coach_closed_on_holidays")
    timezone: str = "Europe/Stockholm"
    client_max_size: int = from_setting("escalation_max_body_bytes")
    max_message_chars: int = 4000
    sweep_interval_seconds: float = from_setting("escalation_sweep_interval_seconds")
    reconcile_interval_seconds: float = from_setting("escalation_reconcile_interval_seconds")
    presence_ttl_seconds: float = from_setting("escalation_presence_ttl_seconds")
    # after this long without a message from the young person the console says they have
    # gone quiet and asks before the coach writes (10 min: a hard message can take a few
    # minutes to write; after ten the coach should not assume anyone is reading)
    user_quiet_seconds: float = from_setting("escalation_user_quiet_minutes", _minutes_to_seconds)
    session_max_age_seconds: int = 12 * 3600
    average_handling_seconds: int = 120
    rasa_timeout_seconds: float = from_setting("escalation_rasa_timeout_seconds")
    auto_migrate: bool = from_setting("escalation_auto_migrate")
    cookie_secure: bool = False
    # limits against filling the queue: new cases per conversation in 24 hours, open cases
    # per client (a daily pseudonym of the client's address that Rasa's channel adds)
    max_cases_per_conversation: int = from_setting("escalation_max_cases_per_conversation")
    max_open_cases_per_client: int = from_setting("escalation_max_open_cases_per_client")
    # new cases per client in 24 hours (counted in Redis, bot/client_window.py)
    max_cases_per_client: int = from_setting("escalation_max_cases_per_client")
    # an open console socket re-checks its session and case this often (and on every event)
    ws_recheck_seconds: float = from_setting("escalation_ws_recheck_seconds")
    # review inbox and statistics
    # the project whose domain.yml and data/ the review pages write ("" = this checkout)
    project_dir: str = from_setting("review_project_dir")
    nlu_dir: str = from_setting("review_nlu_dir")  # "" = the project's data/nlu
    tracker_db_url: str = from_setting("rasa_tracker_db_url")
    stats_days: int = from_setting("stats_days")
    # several instances: Redis carries live fan-out and login throttling
    # ("" = one process: in-process hub, in-memory throttle)
    redis_url: str = from_setting("redis_url")
    metrics_token: str = from_setting("metrics_token")  # who may read /metrics (bot/metrics.py)
    redis_prefix: str = from_setting("redis_prefix")
    app_env: str = from_setting("app_env", str.lower)

    @property
    def host(self) -> str:
        return urlsplit(self.escalation_url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.escalation_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def hours_text(self, lang: str) -> str:
        """The coach hours as users read them (bot.hours.hours_text)."""
        return hours_text(self.coach_hours, lang, self.close_on_holidays)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The service's settings from `env` (default: the process environment)."""
        return cls.from_settings(app_settings.load(env))

    @classmethod
    def from_settings(cls, s: app_settings.Settings) -> Settings:
        cookie_secure = s.escalation_cookie_secure
        if cookie_secure is None:
            # production sits behind TLS (nginx or a load balancer): Secure cookies by default
            cookie_secure = s.production or s.escalation_url.startswith("https://")
        return cls(**view_values(cls, s), cookie_secure=cookie_secure)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def check_production_secrets(self) -> None:
        """In production, refuse default or placeholder secrets (InsecureSecrets)."""
        if self.production:
            check_production_secrets(
                {
                    "SESSION_SECRET": self.session_secret,
                    "ESCALATION_INTERNAL_TOKEN": self.internal_token,
                    "RASA_TOKEN": self.rasa_token,
                },
                component="escalation service",
            )
