"""Service settings, read from the environment (``.env`` is loaded by ``python -m bot``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.escalation.hours import OpeningHours, describe, parse_coach_hours

DEFAULT_COACH_HOURS = (
    "mon=09:00-17:00,tue=09:00-17:00,wed=09:00-17:00,thu=09:00-17:00,fri=09:00-17:00,sat=,sun="
)


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{key} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    return float(raw) if raw else default


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _rasa_url(env: Mapping[str, str]) -> str:
    """RASA_URL (the contract); else built from RASA_HOST/RASA_PORT as in .env.example."""
    if env.get("RASA_URL"):
        return env["RASA_URL"].rstrip("/")
    host, port = env.get("RASA_HOST", "127.0.0.1"), env.get("RASA_PORT", "5005")
    return f"http://{host}:{port}"


@dataclass(frozen=True)
class Settings:
    """Everything the service needs; build with `Settings.from_env()` or directly in tests."""

    escalation_url: str = "http://127.0.0.1:8080"
    internal_token: str = "dev-internal-token"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = "dev-rasa-token"
    # the web gateway, told when a coach is typing (GATEWAY_CALLBACK_TOKEN authenticates both
    # ways: the gateway calls /internal/gateway/* with it)
    gateway_url: str = "http://127.0.0.1:8090"
    gateway_token: str = ""
    database_url: str = "sqlite:///var/app.db"
    session_secret: str = "dev-session-secret-change-me"
    claim_timeout_seconds: float = 180.0
    coach_hours: OpeningHours = field(
        default_factory=lambda: parse_coach_hours(DEFAULT_COACH_HOURS)
    )
    # closed on Swedish public holidays (and midsummer/christmas/new year's eve)
    close_on_holidays: bool = True
    timezone: str = "Europe/Stockholm"
    client_max_size: int = 64 * 1024
    max_message_chars: int = 4000
    sweep_interval_seconds: float = 5.0
    presence_ttl_seconds: float = 120.0
    # after this long without a message from the young person the console says they have
    # gone quiet and asks before the coach writes (10 min: a hard message can take a few
    # minutes to write; after ten the coach should not assume anyone is reading)
    user_quiet_seconds: float = 600.0
    session_max_age_seconds: int = 12 * 3600
    average_handling_seconds: int = 120
    rasa_timeout_seconds: float = 10.0
    auto_migrate: bool = True
    cookie_secure: bool = False
    # limits against filling the queue: new cases per conversation in 24 hours, open cases
    # per client (a daily pseudonym of the client that Rasa's channel adds) and new cases per
    # client in 24 hours (counted in Redis, bot/client_window.py)
    max_cases_per_conversation: int = 3
    max_open_cases_per_client: int = 3
    max_cases_per_client: int = 3
    # an open console socket re-checks its session and case this often (and on every event)
    ws_recheck_seconds: float = 10.0
    # review inbox and statistics (issue 5)
    # the project whose domain.yml and data/ the review pages write ("" = this checkout)
    project_dir: str = ""
    nlu_dir: str = ""  # "" = the project's data/nlu
    tracker_db_url: str = "sqlite:///var/rasa_tracker.db"
    stats_days: int = 90
    # several instances (issue 6): Redis carries live fan-out and login throttling
    redis_url: str = ""  # "" = one process: in-process hub, in-memory throttle
    redis_prefix: str = "sluta-skjut"
    app_env: str = "development"

    @property
    def host(self) -> str:
        return urlsplit(self.escalation_url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.escalation_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def hours_text(self, lang: str) -> str:
        """The coach hours as users read them, from COACH_HOURS itself (never a copy that can
        drift); the content file's placeholder when no day has hours."""
        from bot import content

        return (describe(self.coach_hours, lang, self.close_on_holidays)
                or content.load().fact("coach_hours", lang))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (default: os.environ); missing keys get dev defaults."""
        env = os.environ if env is None else env
        url = env.get("ESCALATION_URL", cls.escalation_url)
        production = is_production(env)
        return cls(
            escalation_url=url,
            internal_token=env.get("ESCALATION_INTERNAL_TOKEN", cls.internal_token),
            rasa_url=_rasa_url(env),
            rasa_token=env.get("RASA_TOKEN", cls.rasa_token),
            gateway_url=env.get("GATEWAY_URL") or (
                f"http://{env.get('GATEWAY_HOST', '127.0.0.1')}:{env.get('GATEWAY_PORT', '8090')}"),
            gateway_token=env.get("GATEWAY_CALLBACK_TOKEN", ""),
            database_url=env.get("DATABASE_URL", cls.database_url),
            session_secret=env.get("SESSION_SECRET", cls.session_secret),
            claim_timeout_seconds=_float(env, "ESCALATION_CLAIM_TIMEOUT_SECONDS", 180.0),
            coach_hours=parse_coach_hours(env.get("COACH_HOURS", DEFAULT_COACH_HOURS)),
            close_on_holidays=_bool(env, "COACH_CLOSED_ON_HOLIDAYS", True),
            client_max_size=_int(env, "ESCALATION_MAX_BODY_BYTES", 64 * 1024),
            sweep_interval_seconds=_float(env, "ESCALATION_SWEEP_INTERVAL_SECONDS", 5.0),
            presence_ttl_seconds=_float(env, "ESCALATION_PRESENCE_TTL_SECONDS", 120.0),
            user_quiet_seconds=_float(env, "ESCALATION_USER_QUIET_MINUTES", 10.0) * 60,
            ws_recheck_seconds=_float(env, "ESCALATION_WS_RECHECK_SECONDS", 10.0),
            max_cases_per_conversation=_int(env, "ESCALATION_MAX_CASES_PER_CONVERSATION", 3),
            max_open_cases_per_client=_int(env, "ESCALATION_MAX_OPEN_CASES_PER_CLIENT", 3),
            max_cases_per_client=_int(env, "ESCALATION_MAX_CASES_PER_CLIENT", 3),
            auto_migrate=_bool(env, "ESCALATION_AUTO_MIGRATE", True),
            # production sits behind TLS (nginx or a load balancer): Secure cookies by default
            cookie_secure=_bool(env, "ESCALATION_COOKIE_SECURE",
                                production or url.startswith("https://")),
            project_dir=env.get("REVIEW_PROJECT_DIR", ""),
            nlu_dir=env.get("REVIEW_NLU_DIR", ""),
            tracker_db_url=env.get("RASA_TRACKER_DB_URL", cls.tracker_db_url),
            stats_days=_int(env, "STATS_DAYS", 90),
            rasa_timeout_seconds=_float(env, "ESCALATION_RASA_TIMEOUT_SECONDS", 10.0),
            redis_url=env.get("REDIS_URL", "").strip(),
            redis_prefix=env.get("REDIS_PREFIX", "").strip() or cls.redis_prefix,
            app_env=env.get("APP_ENV", "").strip().lower() or cls.app_env,
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


# ---- production mode: no default secrets ----------------------------------------------------

MIN_SECRET_LENGTH = 24
PLACEHOLDER_MARKERS = ("change-me", "changeme", "dev-")
# every secret the production profile shares between its processes; the action server's token
# is checked there and by `python -m bot actions` itself, the callback token (Rasa → gateway)
# there and by the gateway
SERVICE_SECRETS = ("SESSION_SECRET", "ESCALATION_INTERNAL_TOKEN", "RASA_TOKEN",
                   "ACTION_SERVER_TOKEN", "GATEWAY_CALLBACK_TOKEN")


class InsecureSecrets(SystemExit):
    """Production mode with a default, placeholder or short secret.

    A SystemExit: uncaught, Python prints only the message and exits with status 1.
    """


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("APP_ENV", "").strip().lower() == "production"


def secret_problems(secrets: Mapping[str, str | None]) -> list[str]:
    """What is wrong with each secret (missing, placeholder, shorter than 24 characters)."""
    problems = []
    for name, value in secrets.items():
        value = (value or "").strip()
        if not value:
            problems.append(f"{name} is not set")
        elif any(marker in value.lower() for marker in PLACEHOLDER_MARKERS):
            problems.append(
                f"{name} is a default or placeholder (contains 'change-me' or 'dev-')"
            )
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters")
    return problems


def check_production_secrets(
    secrets: Mapping[str, str | None], component: str = "this service"
) -> None:
    """Raise InsecureSecrets with a clear message if any secret is unfit for production.

    Call it only when APP_ENV=production (see `is_production`). Other launchers (the gateway)
    pass their own secrets: `check_production_secrets({"GATEWAY_SECRET": ...}, "gateway")`.
    """
    problems = secret_problems(secrets)
    if problems:
        raise InsecureSecrets(
            f"APP_ENV=production: {component} refuses to start with unsafe secrets:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nSet long random values in .env, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
