"""Settings from the environment (and `.env`). Problems are reported one clear line each."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
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
    log_format: str = "text"

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
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

    @field_validator("incident_broadcast_channel")
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
        if v.lower() not in ("sev1", "sev2", "sev3", "sev4"):
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

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(**overrides: object) -> Settings:
    """Read and check settings; raise SettingsError with one line per problem (never a value)."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            reason = "is required" if err["type"] == "missing" else _reason(err["msg"])
            problems.append(f"{name} {reason}")
        raise SettingsError(problems) from None
    if not settings.socket_mode and settings.slack_signing_secret is None:
        raise SettingsError(
            [
                "SLACK_SIGNING_SECRET is required in HTTP mode "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            ]
        )
    return settings


def _reason(msg: str) -> str:
    return msg.removeprefix("Value error, ")
