"""Every environment variable the project reads is read here, once, typed, with one default.

`load()` returns one frozen `Settings`; each process takes the fields it needs (the
escalation service and the gateway build their own small views from it). No other module reads
`os.environ`; a launcher that changes the environment of the processes it starts does so
through `process_env`, `set_env` and `set_env_default` below.

Why a frozen dataclass with one typed reader and not pydantic's `BaseSettings`: the Rasa side
runs on pydantic 1.10 (Python 3.10), the other services are moving to pydantic 2, where
`BaseSettings` lives in a separate package (`pydantic-settings`) with a different API. One
module has to load in both, so it uses only the standard library; it still gives one typed
object, one default per variable, one way to parse booleans, and a clear error for a bad number.
`.env` is loaded into the environment by `python -m bot` (python-dotenv) before anything reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Rasa reports usage to Rasa's servers unless told otherwise; a service for anonymous young
# people sends nothing anywhere, so every Rasa process the project starts gets this.
NO_TELEMETRY = {"RASA_TELEMETRY_ENABLED": "false"}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def environ() -> Mapping[str, str]:
    """The process environment (read-only use); the one place that touches os.environ."""
    return os.environ


def set_env(**values: str) -> None:
    """Set variables for this process and every process it starts afterwards."""
    os.environ.update(values)


def set_env_default(name: str, value: str) -> None:
    """Set `name` unless it already has a non-blank value."""
    if not os.environ.get(name, "").strip():
        os.environ[name] = value


def process_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a process the project starts: `base` (default: this process's
    environment) and `extra`, telemetry off. Applied last, so neither .env nor a caller can
    switch Rasa's telemetry back on."""
    return {**(os.environ if base is None else base), **extra, **NO_TELEMETRY}


def parse_bool(raw: str | None, default: bool) -> bool:
    """One way to read a boolean: 1/true/yes/on or 0/false/no/off (any case); blank: default."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {raw!r} (use 1/0, true/false, yes/no, on/off)")


class _Reader:
    """Typed reads of one environment mapping; blank values mean "use the default"."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, key: str, default: str) -> str:
        raw = self.env.get(key)
        return raw.strip() if raw is not None and raw.strip() else default

    def number(self, key: str, default: float, kind: type = float) -> float:
        raw = self.text(key, "")
        if not raw:
            return default
        try:
            return kind(raw)
        except ValueError as exc:
            raise ValueError(f"{key} must be {'an integer' if kind is int else 'a number'}, "
                             f"got {raw!r}") from exc

    def flag(self, key: str, default: bool) -> bool:
        try:
            return parse_bool(self.env.get(key), default)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from exc


# field name -> environment variable, for the fields whose name is not the variable's
_RENAMED = {
    "rasa_url_override": "RASA_URL",
    "gateway_url_override": "GATEWAY_URL",
    "escalation_timeout_seconds": "ESCALATION_TIMEOUT",
    "coach_closed_on_holidays": "COACH_CLOSED_ON_HOLIDAYS",
    "escalation_max_body_bytes": "ESCALATION_MAX_BODY_BYTES",
    "gateway_sms_sweep_seconds": "GATEWAY_SMS_SWEEP_SECONDS",
}
# fields left unset (None) when the variable is missing: the reader derives their value
_OPTIONAL_BOOLS = frozenset({"escalation_cookie_secure"})


@dataclass(frozen=True)
class Settings:
    """Every setting of every process; the field name upper-cased is the variable's name."""

    app_env: str = "development"
    log_level: str = "INFO"
    # Rasa server and its HTTP API
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_url_override: str = ""  # RASA_URL: set when Rasa is not at rasa_host:rasa_port
    rasa_token: str = "change-me-rasa-token"
    rasa_tracker_db_url: str = "sqlite:///var/rasa_tracker.db"
    rasa_rest_gateway_only: bool = False
    rest_rate_per_conversation: str = ""  # "count/seconds"; "" = the channel's default
    rest_rate_per_address: str = ""
    # action server
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    action_server_token: str = ""
    action_queue_path: str = "var/pending_cases.db"  # case requests waiting for the service
    # escalation service
    escalation_url: str = "http://127.0.0.1:8080"
    escalation_internal_token: str = "change-me-internal-token"
    escalation_timeout_seconds: float = 5.0  # the action server's call to open a case
    database_url: str = "sqlite:///var/app.db"
    session_secret: str = "change-me-session-secret"
    escalation_claim_timeout_seconds: float = 180.0
    coach_hours: str = (
        "mon=09:00-17:00,tue=09:00-17:00,wed=09:00-17:00,thu=09:00-17:00,fri=09:00-17:00,"
        "sat=,sun="
    )
    coach_closed_on_holidays: bool = True
    escalation_max_body_bytes: int = 64 * 1024
    escalation_sweep_interval_seconds: float = 5.0
    # how often each open case is checked against Rasa's tracker for relays that never came
    escalation_reconcile_interval_seconds: float = 5.0
    escalation_presence_ttl_seconds: float = 120.0
    # the console says the young person has gone quiet after this long without a message
    escalation_user_quiet_minutes: float = 10.0
    escalation_ws_recheck_seconds: float = 10.0
    escalation_max_cases_per_conversation: int = 3
    escalation_max_open_cases_per_client: int = 3
    escalation_max_cases_per_client: int = 3  # new cases per client in a rolling 24 h
    escalation_auto_migrate: bool = True
    escalation_cookie_secure: bool | None = None  # None: on in production or behind https
    escalation_rasa_timeout_seconds: float = 10.0
    redis_url: str = ""  # "" = one process: in-process hub, in-memory throttle
    redis_prefix: str = "sluta-skjut"
    # review inbox and statistics
    review_confidence_threshold: float = 0.6
    review_nlu_dir: str = ""  # "" = the project's data/nlu
    review_project_dir: str = ""  # "" = this checkout: where the review pages write
    stats_days: int = 90
    # web chat and SMS gateway
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8090
    gateway_url_override: str = ""  # GATEWAY_URL: set when the gateway is not at host:port
    gateway_secret: str = "change-me-gateway-secret"
    gateway_fernet_key: str = ""
    gateway_callback_token: str = ""
    gateway_public_url: str = ""
    gateway_exit_url: str = "https://www.google.se/"
    gateway_trust_proxy: bool = False
    gateway_vault_url: str = "sqlite:///var/gateway_vault.db"
    gateway_sms_number_ttl_hours: float = 96.0
    gateway_sms_sweep_seconds: float = 300.0
    gateway_sms_max_chars: int = 459  # three concatenated GSM-7 segments per message
    gateway_rate_conversation: str = ""  # "count/seconds"; "" = the gateway's default
    gateway_rate_address: str = ""
    # how long the gateway remembers a web chat message's page id (one forward per id)
    gateway_message_id_ttl_hours: float = 24.0
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    elks_api_username: str = ""
    elks_api_password: str = ""
    elks_webhook_secret: str = ""
    elks_from: str = ""
    elks_api_url: str = "https://api.46elks.com/a1"
    # operations
    retention_days: int = 30
    metrics_token: str = ""  # who may read /metrics; "" = loopback/private peers, no proxy
    modelops_live_file: str = ""  # "" = models/live.json
    database_server_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432"
    prod_database: str = "sluta_skjut"
    prod_redis_url: str = "redis://127.0.0.1:6379/0"  # run-prod's REDIS_URL when unset

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every field from `env` (default: the process environment)."""
        read = _Reader(os.environ if env is None else env)
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "prod_redis_url":
                values[f.name] = read.text("REDIS_URL", f.default)
                continue
            key = _RENAMED.get(f.name, f.name.upper())
            if f.name in _OPTIONAL_BOOLS:
                raw = read.text(key, "")
                values[f.name] = parse_bool(raw, False) if raw else None
            elif isinstance(f.default, bool):
                values[f.name] = read.flag(key, f.default)
            elif isinstance(f.default, int):
                values[f.name] = int(read.number(key, f.default, int))
            elif isinstance(f.default, float):
                values[f.name] = float(read.number(key, f.default))
            else:
                values[f.name] = read.text(key, f.default)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def production(self) -> bool:
        return self.app_env.lower() == "production"

    @property
    def rasa_url(self) -> str:
        """Where Rasa's HTTP API and channels are: RASA_URL, else RASA_HOST:RASA_PORT."""
        return (self.rasa_url_override or f"http://{self.rasa_host}:{self.rasa_port}").rstrip("/")

    @property
    def gateway_url(self) -> str:
        """Where the gateway is: GATEWAY_URL, else GATEWAY_HOST:GATEWAY_PORT."""
        return (self.gateway_url_override
                or f"http://{self.gateway_host}:{self.gateway_port}").rstrip("/")

    @property
    def live_file(self) -> Path:
        return Path(self.modelops_live_file) if self.modelops_live_file else \
            ROOT / "models" / "live.json"

    @property
    def nlu_dir(self) -> Path:
        return Path(self.review_nlu_dir) if self.review_nlu_dir else ROOT / "data" / "nlu"


def load(env: Mapping[str, str] | None = None) -> Settings:
    """The settings now (read again on each call: tests and launchers change the env)."""
    return Settings.from_env(env)


# ---- the processes' own views ---------------------------------------------------------------
# A service's settings view is a frozen dataclass of the fields it needs, under its own names,
# built directly in tests or from one Settings. A field that is one setting says which, once:
# its default is that setting's default, so a view built in a test starts where .env would.


def from_setting(name: str, convert: Callable[[Any], Any] | None = None) -> Any:
    """A view field holding the setting (field or property of Settings) `name`, passed
    through `convert` if given (a unit, a parser, a trailing slash off)."""
    default = getattr(Settings(), name)
    return field(default=default if convert is None else convert(default),
                 metadata={"setting": name, "convert": convert})


def view_values(view: type, s: Settings) -> dict[str, Any]:
    """The values of `view`'s `from_setting` fields, read from `s`."""
    values: dict[str, Any] = {}
    for f in fields(view):
        name = f.metadata.get("setting")
        if name is not None:
            convert = f.metadata["convert"]
            values[f.name] = getattr(s, name) if convert is None else convert(getattr(s, name))
    return values


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
    return (_Reader(os.environ if env is None else env).text("APP_ENV", "").lower()
            == "production")


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

    Call it only when APP_ENV=production (see `is_production`). Each launcher passes the
    secrets it uses: `check_production_secrets({"GATEWAY_SECRET": ...}, "gateway")`.
    """
    problems = secret_problems(secrets)
    if problems:
        raise InsecureSecrets(
            f"APP_ENV=production: {component} refuses to start with unsafe secrets:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nSet long random values in .env, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def service_secrets(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The shared secrets as set in the environment (None when missing), for the policy."""
    env = os.environ if env is None else env
    return {name: env.get(name) for name in SERVICE_SECRETS}
