"""The read API's settings (bot/api): its tokens and their rate. A section of the settings,
kept out of bot/core/settings.py (which `Settings` inherits this from) so that module stays
a list of the others.

API_TOKENS is `name=token,name=token@U0123ABCD`: each token at least 32 characters, names
unique, tokens unique; a token marked `@<Slack user ID>` acts for that user (sees what they
see), any other sees public incidents only. Problems name the token by its name, never its
value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

MIN_API_TOKEN = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class ApiToken:
    name: str
    secret: str  # never shown: see __repr__
    user_id: str | None = None  # the Slack user it acts for; None: public incidents only

    def __repr__(self) -> str:
        return f"ApiToken(name={self.name!r}, user_id={self.user_id!r})"


def parse_api_tokens(value: str) -> tuple[ApiToken, ...]:
    """`name=token,name=token@U0123ABCD` -> the tokens; ValueError naming what is wrong."""
    tokens: list[ApiToken] = []
    for n, part in enumerate((p.strip() for p in (value or "").split(",")), start=1):
        if not part:
            continue
        name, eq, rest = part.partition("=")
        name = name.strip()
        if not eq or not _NAME.match(name):
            raise ValueError(
                f"entry {n} must be name=token (a name of letters, digits, `.`, `_` or `-`), "
                "e.g. dashboard=<32+ characters>,alice=<32+ characters>@U0123ABCD"
            )
        secret, at, user = rest.strip().rpartition("@") if "@" in rest else (rest.strip(), "", "")
        secret, user = secret.strip(), user.strip()
        if at and not _USER.match(user):
            raise ValueError(f"token {name}: after @ must come a Slack user ID such as U0123ABCD")
        if len(secret) < MIN_API_TOKEN or any(c.isspace() for c in secret):
            raise ValueError(
                f"token {name} must be at least {MIN_API_TOKEN} characters without spaces "
                "(generate one: openssl rand -hex 32)"
            )
        if any(t.name == name for t in tokens):
            raise ValueError(f"token {name} is named twice")
        if any(t.secret == secret for t in tokens):
            raise ValueError(f"token {name} is the same as another token")
        tokens.append(ApiToken(name, secret, user or None))
    return tuple(tokens)


class ApiSettings(BaseSettings):
    """Mixed into bot.core.settings.Settings."""

    api_tokens: SecretStr | None = Field(default=None)
    api_rate_per_minute: int = Field(default=120, ge=1, le=100_000)

    @field_validator("api_tokens")
    @classmethod
    def _tokens(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        parse_api_tokens(v.get_secret_value())
        return v

    def api_token_list(self) -> tuple[ApiToken, ...]:
        """The tokens (none: the API and /mcp answer 404)."""
        return parse_api_tokens(self.api_tokens.get_secret_value()) if self.api_tokens else ()
