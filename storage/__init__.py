"""Persistence: SQLModel tables, the async engine, migrations and every query the bot makes."""

from storage.db import Database, StorageUnavailable

__all__ = ["Database", "StorageUnavailable"]
