"""The capture statement and group commit, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.incidents.queries import create_incident, update_incident
from bot.timeline.capture_queries import capture_messages
from bot.timeline.group_commit import GroupCommit
from bot.timeline.queries import add_entry, entries_page, latest_entries
from storage import Database, StorageUnavailable


def row(ts: str, channel: str = "C1", text: str = "hello") -> dict[str, Any]:
    return {
        "kind": "message", "channel_id": channel, "ts": ts, "thread_ts": None,
        "author_id": "U1", "author_name": None, "text": text, "files": None,
        "occurred_at": datetime.fromtimestamp(float(ts), UTC), "event_id": None,
        "edited_at": None, "deleted_at": None,
    }  # fmt: skip


async def test_capture_stores_each_message_once_in_open_war_rooms_only(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            old = await create_incident(
                session, title="old", severity="sev3", declared_by="U1",
                channel_id="C1",
            )  # fmt: skip
            await update_incident(session, old.id or 0, status="resolved")
            new = await create_incident(
                session, title="new", severity="sev3", declared_by="U1",
                channel_id="C1",
            )  # fmt: skip
            done = await create_incident(
                session, title="done", severity="sev3", declared_by="U1",
                channel_id="C2",
            )  # fmt: skip
            await update_incident(session, done.id or 0, status="resolved")
        batch = [row("1700000001.000001"), row("1700000002.000001"), row("1700000001.000001")]
        batch += [row("1700000003.000001", channel="C2"), row("1700000004.000001", "CNONE")]
        async with db.connection() as conn:
            await capture_messages(conn, batch)
        async with db.connection() as conn:
            await capture_messages(conn, batch[:2])  # again: nothing new
        async with db.session() as session:
            stored = await latest_entries(session, new.id or 0, 10)
            assert await latest_entries(session, old.id or 0, 10) == []
            assert await latest_entries(session, done.id or 0, 10) == []
        assert [e.ts for e in stored] == ["1700000001.000001", "1700000002.000001"]
    finally:
        await db.dispose()


async def test_keyset_pages_walk_the_timeline_in_order(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            incident = await create_incident(
                session, title="t", severity="sev3", declared_by="U1",
                channel_id="C1",
            )  # fmt: skip
        same_second = [row(f"1700000001.{i:06d}") for i in range(7)]
        async with db.connection() as conn:
            await capture_messages(conn, [row("1700000009.000000"), *reversed(same_second)])
        tie = datetime.fromtimestamp(1700000005, UTC)
        async with db.session() as session:
            for text in ("note a", "note b", "note c"):  # same instant: ordered by id
                await add_entry(session, incident.id or 0, kind="note", text=text,
                                author_id="U1", occurred_at=tie)  # fmt: skip
        seen: list[str] = []
        after = None
        async with db.session() as session:
            while page := await entries_page(session, incident.id or 0, after=after, limit=3):
                seen += [e.ts or e.text for e in page]
                after = (page[-1].occurred_at, page[-1].id or 0)
        expected = [r["ts"] for r in same_second] + ["note a", "note b", "note c"]
        assert seen == [*expected, "1700000009.000000"]
    finally:
        await db.dispose()


async def test_group_commit_batches_what_arrives_together() -> None:
    batches: list[list[str]] = []

    async def write(rows: list[dict[str, Any]]) -> None:
        batches.append([r["ts"] for r in rows])
        await asyncio.sleep(0.01)

    group = GroupCommit(write, asyncio.create_task)
    await asyncio.gather(*(group.store({"ts": str(i)}) for i in range(40)))
    assert sorted(ts for b in batches for ts in b) == sorted(str(i) for i in range(40))
    assert len(batches) <= 3  # the first alone, the rest together


async def test_group_commit_refuses_only_the_row_at_fault() -> None:
    async def write(rows: list[dict[str, Any]]) -> None:
        if any(r["ts"] == "bad" for r in rows):
            raise ValueError("bad row")

    group = GroupCommit(write, asyncio.create_task)
    results = await asyncio.gather(
        *(group.store({"ts": ts}) for ts in ("1", "bad", "2", "3")), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["NoneType", "ValueError", "NoneType", "NoneType"]


async def test_group_commit_passes_an_outage_to_every_waiting_message() -> None:
    async def write(rows: list[dict[str, Any]]) -> None:
        raise StorageUnavailable("down")

    group = GroupCommit(write, asyncio.create_task)
    results = await asyncio.gather(*(group.store({"ts": str(i)}) for i in range(5)),
                                   return_exceptions=True)  # fmt: skip
    assert all(isinstance(r, StorageUnavailable) for r in results)
    with pytest.raises(StorageUnavailable):
        await group.store({"ts": "later"})
