"""The escalation service's view of the settings (read once, in bot/settings.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot import settings as app_settings
from bot.hours import OpeningHours, hours_text, parse_coach_hours
from bot.settings import check_production_secrets

DEFAULT_COACH_HOURS = app_settings.Settings.coach_hours
_D = app_settings.Settings  # the one default of each variable


@dataclass(frozen=True)
class Settings:
    """Everything the service needs; build with `Settings.from_env()` or directly in tests."""

    escalation_url: str = _D.escalation_url
    internal_token: str = _D.escalation_internal_token
    rasa_url: str = _D().rasa_url
    rasa_token: str = _D.rasa_token
    # the web gateway, told when a coach is typing (GATEWAY_CALLBACK_TOKEN authenticates both
    # ways: the gateway calls /internal/gateway/* with it)
    gateway_url: str = _D().gateway_url
    gateway_token: str = _D.gateway_callback_token
    database_url: str = _D.database_url
    session_secret: str = _D.session_secret
    claim_timeout_seconds: float = _D.escalation_claim_timeout_seconds
    coach_hours: OpeningHours = field(
        default_factory=lambda: parse_coach_hours(DEFAULT_COACH_HOURS)
    )
    # closed on Swedish public holidays (and midsummer/christmas/new year's eve)
    close_on_holidays: bool = _D.coach_closed_on_holidays
    timezone: str = "Europe/Stockholm"
    client_max_size: int = _D.escalation_max_body_bytes
    max_message_chars: int = 4000
    sweep_interval_seconds: float = _D.escalation_sweep_interval_seconds
    reconcile_interval_seconds: float = _D.escalation_reconcile_interval_seconds
    presence_ttl_seconds: float = _D.escalation_presence_ttl_seconds
    # after this long without a message from the young person the console says they have
    # gone quiet and asks before the coach writes (10 min: a hard message can take a few
    # minutes to write; after ten the coach should not assume anyone is reading)
    user_quiet_seconds: float = _D.escalation_user_quiet_minutes * 60
    session_max_age_seconds: int = 12 * 3600
    average_handling_seconds: int = 120
    rasa_timeout_seconds: float = _D.escalation_rasa_timeout_seconds
    auto_migrate: bool = _D.escalation_auto_migrate
    cookie_secure: bool = False
    # limits against filling the queue: new cases per conversation in 24 hours, open cases
    # per client (a daily pseudonym of the client's address that Rasa's channel adds)
    max_cases_per_conversation: int = _D.escalation_max_cases_per_conversation
    max_open_cases_per_client: int = _D.escalation_max_open_cases_per_client
    # new cases per client in 24 hours (counted in Redis, bot/client_window.py)
    max_cases_per_client: int = _D.escalation_max_cases_per_client
    # an open console socket re-checks its session and case this often (and on every event)
    ws_recheck_seconds: float = _D.escalation_ws_recheck_seconds
    # review inbox and statistics
    # the project whose domain.yml and data/ the review pages write ("" = this checkout)
    project_dir: str = _D.review_project_dir
    nlu_dir: str = ""  # "" = the project's data/nlu
    tracker_db_url: str = _D.rasa_tracker_db_url
    stats_days: int = _D.stats_days
    # several instances: Redis carries live fan-out and login throttling
    redis_url: str = ""  # "" = one process: in-process hub, in-memory throttle
    metrics_token: str = _D.metrics_token  # who may read /metrics (bot/metrics.py)
    redis_prefix: str = _D.redis_prefix
    app_env: str = _D.app_env

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
        return cls(
            escalation_url=s.escalation_url,
            internal_token=s.escalation_internal_token,
            rasa_url=s.rasa_url,
            rasa_token=s.rasa_token,
            gateway_url=s.gateway_url,
            gateway_token=s.gateway_callback_token,
            database_url=s.database_url,
            session_secret=s.session_secret,
            claim_timeout_seconds=s.escalation_claim_timeout_seconds,
            coach_hours=parse_coach_hours(s.coach_hours),
            close_on_holidays=s.coach_closed_on_holidays,
            client_max_size=s.escalation_max_body_bytes,
            sweep_interval_seconds=s.escalation_sweep_interval_seconds,
            reconcile_interval_seconds=s.escalation_reconcile_interval_seconds,
            presence_ttl_seconds=s.escalation_presence_ttl_seconds,
            user_quiet_seconds=s.escalation_user_quiet_minutes * 60,
            ws_recheck_seconds=s.escalation_ws_recheck_seconds,
            max_cases_per_conversation=s.escalation_max_cases_per_conversation,
            max_open_cases_per_client=s.escalation_max_open_cases_per_client,
            max_cases_per_client=s.escalation_max_cases_per_client,
            auto_migrate=s.escalation_auto_migrate,
            cookie_secure=cookie_secure,
            project_dir=s.review_project_dir,
            nlu_dir=s.review_nlu_dir,
            tracker_db_url=s.rasa_tracker_db_url,
            stats_days=s.stats_days,
            rasa_timeout_seconds=s.escalation_rasa_timeout_seconds,
            redis_url=s.redis_url,
            metrics_token=s.metrics_token,
            redis_prefix=s.redis_prefix,
            app_env=s.app_env.lower(),
        )

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
