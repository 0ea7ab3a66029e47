"""The settings of each area that keeps its own section module, gathered into one base class
for `bot.core.settings.Settings` (so that module stays one idea and under its size limit).
A new section: its module beside this one, and one more base below."""

from __future__ import annotations

from bot.core.api_settings import ApiSettings
from bot.core.metrics_settings import BudgetSettings
from bot.core.status_settings import StatusPageSettings
from bot.core.statuspage_settings import StatuspageSettings
from bot.core.web_settings import WebSettings


class SettingsSections(
    WebSettings, ApiSettings, StatusPageSettings, StatuspageSettings, BudgetSettings
):
    """Every section's fields and validators; environment reading is configured in Settings."""
