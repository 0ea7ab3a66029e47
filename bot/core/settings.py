"""Settings from the environment (and `.env`). Problems are reported one clear line each."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.followthrough_settings import (
    parse_days,
    parse_hours,
    parse_ticket_users,
    ticket_problems,
)
from bot.core.settings_sections import SettingsSections
from bot.core.token_checks import token_problem
from bot.core.web_settings import web_problems

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SEVERITY_NAMES = ("sev1", "sev2", "sev3", "sev4")
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_PAGERDUTY_API_URL = "https://api.pagerduty.com"
DEFAULT_OPSGENIE_API_URL = "https://api.opsgenie.com"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
_TWILIO_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Secrets the team makes up itself (the vendors' own are generated long): at least this long.
MIN_CHOSEN_SECRET = 16
CHOSEN_SECRETS = (
    "alert_webhook_token",
    "deploy_gate_token",
    "github_webhook_secret",
    "jira_webhook_secret",
    "oncall_calendar_secret",
)


class Settings(SettingsSections, BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr = Field(description="Bot token, xoxb-...")
    slack_signing_secret: SecretStr | None = Field(default=None)
    slack_app_token: SecretStr | None = Field(default=None)
    database_url: str = "sqlite+aiosqlite:///./incidents.db"
    slack_api_url: str = DEFAULT_SLACK_API_URL
    incident_broadcast_channel: str | None = None
    postmortem_channel: str | None = None  # where /postmortem publish posts (else the above)
    update_interval_seconds: int = Field(default=900, ge=1)
    # A claimed prompt falls due again after this if its claimer never posts it (it died).
    prompt_claim_lease_seconds: int = Field(default=120, ge=2, le=3600)
    port: int = Field(default=3000, ge=0, le=65535)
    host: str = "0.0.0.0"
    default_severity: str = "sev3"
    key_event_emoji: str = "pushpin"
    log_level: str = "INFO"
    # A client that has not sent a whole request (headers and body) within this is disconnected.
    http_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Per person, counted in the database across replicas; 0 turns a limit off.
    rate_limit_declares_per_minute: int = Field(default=10, ge=0)
    rate_limit_changes_per_minute: int = Field(default=60, ge=0)
    log_format: str = "text"
    # Alert intake and paging (bot/alerts). Unset tokens/secrets switch their endpoint off (404).
    alert_webhook_token: SecretStr | None = Field(default=None)
    alert_auto_declare: str = "critical"
    # Incidents declared from alerts per minute, across replicas; more go on one storm card.
    alert_declares_per_minute: int = Field(default=10, ge=0)
    alert_severity_map: str = "critical=sev1,error=sev2,warning=sev3,info=sev4"
    alert_channel: str | None = None
    # The service an alert without a `service` label is about (its escalation policy is paged).
    alert_default_service: str | None = None
    # Alerts stored per group; more (a flood of fingerprints) are counted, not stored.
    alert_max_per_group: int = Field(default=300, ge=1, le=10_000)
    pagerduty_webhook_secret: SecretStr | None = Field(default=None)
    pagerduty_services: SecretStr | None = Field(default=None)
    pagerduty_routing_key: SecretStr | None = Field(default=None)
    pagerduty_events_url: str = DEFAULT_PAGERDUTY_EVENTS_URL
    # `python -m bot oncall import` reads schedules with these (bot/oncall/importers/cli.py).
    pagerduty_api_token: SecretStr | None = Field(default=None)
    pagerduty_api_url: str = DEFAULT_PAGERDUTY_API_URL
    opsgenie_api_key: SecretStr | None = Field(default=None)
    opsgenie_api_url: str = DEFAULT_OPSGENIE_API_URL
    # The metric beside the incident (bot/metrics): every query goes here, never to the host an
    # alert's generatorURL names. Unset: no metrics.
    prometheus_url: str | None = None
    prometheus_bearer_token: SecretStr | None = None
    prometheus_username: str | None = None
    prometheus_password: SecretStr | None = None
    prometheus_query_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # `/incident verify --watch`: how often the watched expression is looked at.
    prometheus_watch_step_seconds: float = Field(default=60, ge=1, le=3600)
    # Follow-through (issue 12): tickets, webhooks, the deploy gate, nudges and the digest.
    tickets: str = "none"
    ticket_priorities: str = "P0,P1"
    ticket_users: str = ""
    ticket_claim_lease_seconds: int = Field(default=60, ge=2, le=3600)
    # Tracker deliveries are remembered this long (replays refused); older events are ignored.
    webhook_delivery_retention_days: int = Field(default=30, ge=1, le=3650)
    github_token: SecretStr | None = None
    github_repo: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_webhook_secret: SecretStr | None = None
    jira_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_project_key: str | None = None
    jira_issue_type: str = "Task"
    jira_webhook_secret: SecretStr | None = None
    deploy_gate_token: SecretStr | None = None
    nudge_hours: str = "09-18"
    nudge_days: str = "mon-fri"
    nudge_check_seconds: float = Field(default=300, gt=0, le=86400)
    action_digest_channel: str | None = None
    # First wait before trying Slack again at start-up (auth.test, Socket Mode); it doubles
    # after each failure, up to a minute.
    startup_retry_seconds: float = Field(default=2.0, gt=0, le=60)
    # The structured configuration (bot/core/config_file.py); unset: sisyphus.yml, if present.
    config_file: str | None = None
    # At 3am, less to remember (issue 11): checklists and fatigue nudges.
    checklists_file: str | None = None
    fatigue_hours: float = Field(default=4, gt=0, le=72)
    fatigue_break_minutes: float = Field(default=60, gt=0, le=1440)
    fatigue_check_seconds: float = Field(default=300, gt=0, le=3600)
    # On call (bot/oncall): the address people reach the bot at (the calendar feeds' URLs),
    # and the key the feeds' secrets are derived from (unset: no feeds, their routes 404).
    web_base_url: str | None = None
    oncall_calendar_secret: SecretStr | None = None
    # Paging by SMS and voice call (bot/paging/twilio.py): the account, its Auth Token (also
    # the key of the callbacks' X-Twilio-Signature), the number pages come from, the API.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_url: str = DEFAULT_TWILIO_API_URL

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr) -> SecretStr:
        problem = token_problem(
            v.get_secret_value(),
            "xoxb-",
            "copy the Bot User OAuth Token from your app's OAuth & Permissions page",
        )
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None
        if v is None:
            return None
        problem = token_problem(
            v.get_secret_value(),
            "xapp-",
            "create an app-level token with connections:write under Basic Information",
        )
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("slack_signing_secret")
    @classmethod
    def _empty_secret(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value() else None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError(
                "must be an async SQLAlchemy URL: sqlite+aiosqlite:///path.db "
                "or postgresql+asyncpg://user@host/db"
            )
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator(
        "alert_webhook_token",
        "pagerduty_webhook_secret",
        "pagerduty_services",
        "pagerduty_routing_key",
        "pagerduty_api_token",
        "opsgenie_api_key",
        "prometheus_bearer_token",
        "prometheus_password",
        "github_token",
        "github_webhook_secret",
        "jira_api_token",
        "jira_webhook_secret",
        "deploy_gate_token",
        "oncall_calendar_secret",
        "twilio_auth_token",
    )
    @classmethod
    def _empty_is_unset(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value().strip() else None

    @field_validator(*CHOSEN_SECRETS)
    @classmethod
    def _long_enough(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value().strip()) < MIN_CHOSEN_SECRET:
            raise ValueError(
                f"must be at least {MIN_CHOSEN_SECRET} characters "
                "(generate one: openssl rand -hex 32)"
            )
        return v

    @field_validator("alert_auto_declare")
    @classmethod
    def _auto_declare(cls, v: str) -> str:
        return ",".join(w.strip().lower() for w in v.split(",") if w.strip())

    @field_validator("alert_severity_map")
    @classmethod
    def _severity_map(cls, v: str) -> str:
        for pair in (p.strip() for p in v.split(",") if p.strip()):
            label, eq, sev = pair.partition("=")
            if not eq or not label.strip() or sev.strip().lower() not in SEVERITY_NAMES:
                raise ValueError("must be label=sevN pairs, e.g. critical=sev1,warning=sev3")
        return v

    @field_validator("pagerduty_services")
    @classmethod
    def _services(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        for pair in (p.strip() for p in v.get_secret_value().split(",") if p.strip()):
            name, eq, key = pair.partition("=")
            if not eq or not name.strip() or not key.strip() or " " in name.strip():
                raise ValueError("must be name=routingkey pairs, e.g. checkout=R0123,db=R0456")
        return v

    @field_validator("pagerduty_events_url")
    @classmethod
    def _events_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("prometheus_url")
    @classmethod
    def _prometheus_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not v.startswith(("http://", "https://")) or any(c in v for c in "?# "):
            raise ValueError("must be an http(s) URL without a query, e.g. http://prometheus:9090")
        return v.rstrip("/")

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not v.startswith(("http://", "https://")) or any(c in v for c in "?# "):
            raise ValueError(
                "must be an http(s) URL without a query, e.g. https://sisyphus.example.com"
            )
        return v.rstrip("/")

    @field_validator("incident_broadcast_channel", "action_digest_channel", "alert_channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if not v:
            return None
        if v[0] not in "CG" or not v.isalnum() or not v.isupper():
            raise ValueError("must be a channel ID such as C0123ABCD (not a #name)")
        return v

    @field_validator("default_severity")
    @classmethod
    def _severity(cls, v: str) -> str:
        if v.lower() not in SEVERITY_NAMES:
            raise ValueError("must be one of sev1, sev2, sev3, sev4")
        return v.lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        if v.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return v.upper()

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, v: str) -> str:
        if v.lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return v.lower()

    @field_validator("tickets")
    @classmethod
    def _tickets(cls, v: str) -> str:
        if v.strip().lower() not in ("github", "jira", "none", ""):
            raise ValueError("must be github, jira or none")
        return v.strip().lower() or "none"

    @field_validator("ticket_priorities")
    @classmethod
    def _ticket_priorities(cls, v: str) -> str:
        wanted = [p.strip().upper() for p in v.split(",") if p.strip()]
        if any(p not in ("P0", "P1", "P2", "P3") for p in wanted):
            raise ValueError("must be a comma-separated list of P0, P1, P2, P3 (or empty)")
        return ",".join(wanted)

    @field_validator("ticket_users")
    @classmethod
    def _ticket_users(cls, v: str) -> str:
        parse_ticket_users(v)
        return v

    @field_validator("github_repo")
    @classmethod
    def _github_repo(cls, v: str | None) -> str | None:
        if not v:
            return None
        owner, _, name = v.partition("/")
        if not owner or not name or "/" in name or " " in v:
            raise ValueError("must be owner/name")
        return v

    @field_validator("twilio_account_sid")
    @classmethod
    def _twilio_sid(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        if not _TWILIO_SID.match(v.strip()):
            raise ValueError("must be a Twilio Account SID: AC and 32 hexadecimal digits")
        return v.strip()

    @field_validator("twilio_from")
    @classmethod
    def _twilio_from(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        if not _E164.match(v.replace(" ", "")):  # the number itself is never repeated
            raise ValueError("must be a phone number in E.164 form: + and 7 to 15 digits")
        return v.replace(" ", "")

    @field_validator(
        "github_api_url", "jira_url", "pagerduty_api_url", "opsgenie_api_url", "twilio_api_url"
    )
    @classmethod
    def _vendor_url(cls, v: str | None) -> str | None:
        if not v:
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/")

    @field_validator("nudge_hours")
    @classmethod
    def _nudge_hours(cls, v: str) -> str:
        parse_hours(v)
        return v

    @field_validator("nudge_days")
    @classmethod
    def _nudge_days(cls, v: str) -> str:
        parse_days(v)
        return v

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def twilio_unset(self) -> list[str]:
        """The Twilio settings SMS and calls need that are not set (none: Twilio is ready)."""
        given = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "TWILIO_FROM": self.twilio_from,
        }
        return [name for name, value in given.items() if value is None]


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value, for the log's redaction list: each SecretStr field (a
    setting holding a token, secret or key must be one: tests/core/test_settings.py checks the
    names), and each value of one listing `name=secret` pairs (PAGERDUTY_SERVICES, API_TOKENS)."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if not isinstance(value, SecretStr):
            continue
        text = value.get_secret_value()
        values.append(text)
        for pair in text.split(","):
            _, eq, part = pair.partition("=")
            if eq and part.strip():  # API_TOKENS' `token@U0123ABCD`: the token alone
                values.append(part.strip().partition("@")[0].strip())
    return [v for v in values if v]


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(**overrides: Any) -> Settings:
    """Read and check settings; raise SettingsError with one line per problem (never a value)."""
    problems: list[str] = []
    try:
        settings: Settings | None = Settings(**overrides)
    except ValidationError as exc:
        settings = None
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            reason = "is required" if err["type"] == "missing" else _reason(err["msg"])
            problems.append(f"{name} {reason}")
    # Read on its own so that this is reported together with every other problem.
    modes = _Modes(
        **{k: v for k, v in overrides.items() if k in _Modes.model_fields or k[0] == "_"}
    )
    if not modes.slack_app_token and not modes.slack_signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if settings is not None:
        problems += ticket_problems(settings) + web_problems(settings)
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


class _Modes(BaseSettings):
    """The two settings that choose HTTP mode or Socket Mode, read as plain text."""

    model_config = Settings.model_config
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None


def _reason(msg: str) -> str:
    return msg.removeprefix("Value error, ")
