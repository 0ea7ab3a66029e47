"""Migrations reproduce the models exactly, and upgrading keeps existing data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.models
from storage import Database
from storage.migrate import upgrade, upgrade_to_head
from storage.search_index import is_search_object


# Both run the migrations from the first: their database is empty, not the copy at head.
@pytest.mark.empty_database
async def test_migrations_reproduce_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade_to_head(db.engine)
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "compare_type": True,
                            # the full-text index (storage/search_index.py) is not a model
                            "include_name": lambda name, type_, _: (
                                not is_search_object(name, type_)
                            ),
                        },
                    ),
                    SQLModel.metadata,
                )
            )
        assert diff == []
    finally:
        await db.dispose()


@pytest.mark.empty_database
async def test_upgrade_keeps_existing_data(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db.engine, "0001")
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "incident" in tables and "timeline_entry" not in tables
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO incident (title, severity, status, private, declared_by, "
                    "commander_id, declared_at, unanswered_prompts, updated_at) VALUES "
                    "('Old incident', 'sev2', 'resolved', false, 'U1', 'U1', :t, 0, :t)"
                ),
                {"t": datetime(2026, 1, 2, 3, 4, 5)},
            )
        await upgrade_to_head(db.engine)
        await upgrade_to_head(db.engine)  # idempotent: a second start changes nothing
        async with db.session() as session:
            incident = await session.get(storage.models.Incident, 1)
        assert incident is not None
        assert incident.title == "Old incident" and incident.status == "resolved"
        assert incident.declared_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    finally:
        await db.dispose()


async def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        await upgrade_to_head(db.engine)
        async with db.engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        assert mode == "wal"
    finally:
        await db.dispose()
