"""Persistence: the tables (SQLModel), the async engine, and the migrations (Alembic).

Queries live with the domain that asks them (bot/<domain>/queries.py); this package imports
nothing from bot/.
"""

from storage.db import Database, StorageUnavailable, explain_unavailable

__all__ = ["Database", "StorageUnavailable", "explain_unavailable"]
