"""SQLite: a write that feeds the full-text index waits for another writer, as any write does.

The index is an FTS5 table filled by triggers. A connection whose first use of it is such a
trigger inside a SAVEPOINT (how an action item is numbered) used to get "database is locked"
at once, not after the busy timeout, whenever another connection was writing: three
follow-through tests failed about half the time that way. `storage/db.py` connects the index
when it opens a connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import date
from pathlib import Path

from bot.postmortem.queries import add_action_item
from storage.db import Database
from storage.models.incidents import Incident


async def test_an_action_item_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "incidents.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        async with db.session() as session:
            incident = Incident(
                title="API down", severity="sev2", declared_by="U1", commander_id="U1"
            )
            session.add(incident)
        await db.engine.dispose()  # the next session opens a new connection

        writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE incident SET title = 'API down (edited)'")
        asyncio.get_running_loop().call_later(1.0, writer.execute, "COMMIT")
        started = time.monotonic()
        async with db.session() as session:
            item = await add_action_item(
                session,
                incident.id or 0,
                priority="P1",
                owner_id="U2",
                due_date=date(2030, 1, 1),
                text="Alert on queue depth",
            )
        waited = time.monotonic() - started
        writer.close()
        assert item.number == 1
        assert waited >= 0.9, f"it did not wait for the writer ({waited:.2f} s)"
    finally:
        await db.dispose()
