"""The bulk export reads its incidents a chunk at a time (so many incidents, so many timeline
entries at most), several chunks at once on their own connections: whatever the chunk sizes
and however many are read ahead, the documents are the same, whole and in id order; `since`
leaves out the earlier ones; and a reader that stops early leaves no read running and no
connection taken."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.learning.bulk_export import export_all
from bot.learning.fast_export import chunked, export_lines
from storage import Database
from tests.conftest import RunningBot
from tests.support.learning_helpers import Past, seed


def _documents(lines: list[str]) -> list[dict]:
    out = []
    for line in lines:
        document = json.loads(line)
        document.pop("exported_at")
        out.append(document)
    return out


async def _seed_seven(bot: RunningBot) -> None:
    start = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    for n in range(1, 8):
        await seed(
            bot,
            Past(
                f"Incident {n}",
                declared_at=start + timedelta(days=n),
                channel_id=f"C90{n}",
                items=[("factor", f"factor of {n}", "technical")] * (n % 3),
                actions=[(f"F1: fix {n}", "open")] if n % 3 else [],
                notes=[f"note {k} of {n}" for k in range(n)],
                updates=[f"update of {n}"] if n % 2 else [],
            ),
        )


async def test_chunks_read_ahead_give_the_same_documents_in_order(bot: RunningBot) -> None:
    await _seed_seven(bot)
    db = bot.rt.db
    whole = _documents([line async for line in export_lines(db, chunk=1000, ahead=1)])
    assert [d["incident"]["id"] for d in whole] == [1, 2, 3, 4, 5, 6, 7]
    assert [len(d["timeline"]) for d in whole] == [
        n + (n % 2) for n in range(1, 8)
    ]  # the notes and the update of each, none of another's
    assert all(
        e["incident_id"] == d["incident"]["id"]
        for d in whole
        for key in ("timeline", "postmortem_items", "action_items")
        for e in d[key]
    )
    for chunk, ahead, entries in ((1, 1, 99), (2, 2, 99), (3, 4, 99), (1, 7, 99), (200, 2, 5)):
        lines = [
            line async for line in export_lines(db, chunk=chunk, ahead=ahead, chunk_entries=entries)
        ]
        assert _documents(lines) == whole, (chunk, ahead, entries)

    since = datetime(2026, 10, 5, tzinfo=UTC)
    later = _documents([line async for line in export_lines(db, since=since, chunk=2)])
    assert later == whole[3:]


async def test_stopping_early_leaves_no_read_running(bot: RunningBot) -> None:
    await _seed_seven(bot)
    # An engine of its own, as `python -m bot export` has: the running bot's loops take and
    # give back connections of theirs meanwhile, which blurred the count (failed once so).
    db = Database(bot.rt.db.url)
    try:
        lines = export_lines(db, chunk=1, ahead=3)
        first = await anext(lines)
        assert json.loads(first)["incident"]["id"] == 1
        await lines.aclose()  # what export_all does on the way out
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        again = [json.loads(line)["incident"]["id"] async for line in export_lines(db, chunk=1)]
        assert again == [1, 2, 3, 4, 5, 6, 7]
    finally:
        await db.dispose()


class FullDisk(io.StringIO):
    """A file that takes one document and then fails, as a full disk does."""

    def write(self, text: str) -> int:
        if self.tell() and text != "\n":
            raise OSError(28, "No space left on device")
        return super().write(text)


async def test_a_failed_write_stops_the_reads_at_once(bot: RunningBot) -> None:
    await _seed_seven(bot)
    # An engine of its own, as `python -m bot export` has: the running bot's loops take and
    # give back connections of theirs meanwhile, which would blur the count.
    db = Database(bot.rt.db.url)
    try:
        out = FullDisk()
        with pytest.raises(OSError, match="No space left"):
            await export_all(db, out, chunk=1)  # chunks of one: reads in flight at the error
        # Not later, when the generator is collected: at once, so no read holds a connection.
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert json.loads(out.getvalue())["incident"]["id"] == 1
    finally:
        await db.dispose()


def test_chunks_hold_so_many_incidents_and_entries_at_most() -> None:
    sizes = [(1, 10), (2, 10), (3, 10), (5, 500), (6, 0), (7, 30), (9, 31)]
    assert chunked(sizes, chunk=200, entries=40) == [[1, 2, 3], [5], [6, 7], [9]]
    assert chunked(sizes, chunk=2, entries=1000) == [[1, 2], [3, 5], [6, 7], [9]]
    assert chunked(sizes, chunk=200, entries=10_000) == [[1, 2, 3, 5, 6, 7, 9]]
    assert chunked([], chunk=2, entries=10) == []
