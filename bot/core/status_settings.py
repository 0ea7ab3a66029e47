"""The public status page's settings (bot/status), a section of Settings kept apart from
bot/core/settings.py so that module stays under its length: Settings inherits them."""

from __future__ import annotations

from pydantic_settings import BaseSettings


class StatusPageSettings(BaseSettings):
    # Each publication to the status page is also posted here (e.g. a Slack Connect channel
    # shared with customers). Unset: nowhere else.
    status_page_channel: str | None = None
    # The folder the page, its JSON and its feed are rewritten into, atomically, at each
    # publication (`python -m bot status export <folder>` writes it once). Unset: none.
    status_export_dir: str | None = None
