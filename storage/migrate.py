"""Apply Alembic migrations from inside the running app (and from `alembic` on the command line)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.search_index import ensure_sqlite_search

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; replicas starting together take turns on it instead of racing.
_PG_MIGRATION_LOCK = 0x5157_5948


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), revision)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await upgrade(engine, "head")
    if engine.dialect.name == "sqlite":
        # A later batch migration may have rebuilt a searched table without its triggers.
        async with engine.begin() as conn:
            await conn.run_sync(ensure_sqlite_search)


async def upgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def migration_status(engine: AsyncEngine) -> tuple[str | None, str]:
    """(the revision the database is at, or None if never migrated; the newest revision)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head() or ""

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(current), head
