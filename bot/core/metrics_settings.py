"""The settings of the metrics domain's later parts (error budgets), kept apart from
bot/core/settings.py so that module stays under its size; `Settings` inherits them."""

from __future__ import annotations

from pydantic_settings import BaseSettings


class BudgetSettings(BaseSettings):
    # The deploy gate also closes for a service whose error budget is spent (its SLO in
    # CONFIG_FILE `slos`), until it recovers or `/postmortem waive budget` (bot/metrics).
    deploy_gate_error_budget: bool = False
