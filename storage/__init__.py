"""Persistence: SQLModel tables, the async engine, migrations and every query the bot makes."""

from storage.db import Database, StorageUnavailable, explain_unavailable

__all__ = ["Database", "StorageUnavailable", "explain_unavailable"]
