"""The Atlassian Statuspage sync's settings (bot/status/statuspage_*.py), a section mixed into
bot.core.settings.Settings so that module stays under its size limit.

All three unset (the default): no sync, nothing is sent. With STATUSPAGE_API_KEY and
STATUSPAGE_PAGE_ID both set, each publication is also sent to Statuspage; one without the
other is a settings problem, said at start-up in one line. The key is a SecretStr: never
printed, and redacted from the log.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings

DEFAULT_STATUSPAGE_API_URL = "https://api.statuspage.io"
_PAGE_ID = re.compile(r"^[a-z0-9]{1,40}$")


class StatuspageSettings(BaseSettings):
    # An API key of a Statuspage user with the Incident Manager role (Authorization: OAuth).
    statuspage_api_key: SecretStr | None = Field(default=None)
    statuspage_page_id: str | None = Field(default=None, validate_default=True)
    statuspage_api_url: str = DEFAULT_STATUSPAGE_API_URL

    @field_validator("statuspage_api_key")
    @classmethod
    def _empty_key_is_unset(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value().strip() else None

    @field_validator("statuspage_page_id")
    @classmethod
    def _page_id(cls, v: str | None, info: ValidationInfo) -> str | None:
        v = (v or "").strip()
        keyed = info.data.get("statuspage_api_key") is not None
        if not v:
            if keyed:
                raise ValueError("is required with STATUSPAGE_API_KEY (or unset both: no sync)")
            return None
        if not keyed:
            raise ValueError("needs STATUSPAGE_API_KEY too (or unset both: no sync)")
        if not _PAGE_ID.match(v):
            raise ValueError(
                "must be the page's id (lower-case letters and digits, as in "
                "https://manage.statuspage.io/pages/<id>)"
            )
        return v

    @field_validator("statuspage_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        v = (v or "").strip() or DEFAULT_STATUSPAGE_API_URL
        if not v.startswith(("http://", "https://")) or any(c in v for c in "?# "):
            raise ValueError(
                "must be an http(s) URL without a query, e.g. https://api.statuspage.io"
            )
        return v.rstrip("/")

    def statuspage_on(self) -> bool:
        """Whether publications are sent to Statuspage."""
        return self.statuspage_api_key is not None and self.statuspage_page_id is not None
