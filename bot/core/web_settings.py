"""The settings of the web archive's Sign in with Slack (bot/web), a section of Settings.

Kept apart from bot/core/settings.py so that module stays a list of the other settings;
`Settings` inherits these fields, so they are read, checked and documented like the rest.
WEB_BASE_URL (the address people reach the bot at) is older and stays in settings.py.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

DEFAULT_SLACK_OPENID_URL = "https://slack.com/openid/connect/"
MIN_SESSION_SECRET = 32
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class WebSettings(BaseSettings):
    """Sign in with Slack (OpenID Connect): unset SLACK_CLIENT_ID, the web archive is off."""

    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    web_session_secret: SecretStr | None = None
    slack_openid_url: str = DEFAULT_SLACK_OPENID_URL
    web_session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # Sign-in starts and callbacks a minute per client address (the direct peer: behind a
    # proxy, every client shares the proxy's one limit).
    web_auth_rate_per_minute: int = Field(default=30, ge=1, le=100_000)

    @field_validator("slack_client_id")
    @classmethod
    def _client_id(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("slack_client_secret", "web_session_secret")
    @classmethod
    def _empty(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value() else None

    @field_validator("web_session_secret")
    @classmethod
    def _session_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < MIN_SESSION_SECRET:
            raise ValueError(f"must be at least {MIN_SESSION_SECRET} characters (make one up)")
        return v

    @field_validator("slack_openid_url")
    @classmethod
    def _openid_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"


class SignInSettings(Protocol):
    @property
    def slack_client_id(self) -> str | None: ...

    @property
    def slack_client_secret(self) -> SecretStr | None: ...

    @property
    def web_session_secret(self) -> SecretStr | None: ...

    @property
    def web_base_url(self) -> str | None: ...


def web_problems(settings: SignInSettings) -> list[str]:
    """What SLACK_CLIENT_ID still needs, one line per missing or wrong setting."""
    if not settings.slack_client_id:
        return []
    needed = {
        "SLACK_CLIENT_SECRET": settings.slack_client_secret,
        "WEB_SESSION_SECRET": settings.web_session_secret,
        "WEB_BASE_URL": settings.web_base_url,
    }
    problems = [
        f"{name} is required when SLACK_CLIENT_ID is set" for name, v in needed.items() if not v
    ]
    base = settings.web_base_url
    if base and (not base.startswith(("http://", "https://")) or not urlsplit(base).hostname):
        problems.append("WEB_BASE_URL must be an http(s) URL such as https://sisyphus.example.com")
    elif base and base.startswith("http://") and urlsplit(base).hostname not in LOCAL_HOSTS:
        problems.append(
            "WEB_BASE_URL must be https for Sign in with Slack (plain http only on localhost)"
        )
    return problems


def secure_cookies(base_url: str) -> bool:
    """Cookies are `Secure` unless the archive is served over plain http on this machine."""
    parts = urlsplit(base_url)
    return not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)
