"""Group commit: messages arriving together are stored in one transaction.

Each capture waits until its own message is committed (the ack still comes after the
message is stored), but 32 messages arriving at once cost one transaction and one round
trip instead of 32. On SQLite it also means one writer instead of many waiting for the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from storage import StorageUnavailable

log = logging.getLogger(__name__)

MAX_BATCH = 256
WriteBatch = Callable[[list[dict[str, Any]]], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
Waiting = list[tuple[dict[str, Any], "asyncio.Future[None]"]]


class GroupCommit:
    """Queue rows; one writer task stores what is queued, batch after batch."""

    def __init__(self, write: WriteBatch, spawn: Spawn) -> None:
        self._write = write
        self._spawn = spawn
        self._pending: Waiting = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    async def store(self, row: dict[str, Any]) -> None:
        """Return once `row` is committed; raise what the write raised if it failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = self._spawn(self._run())
        self._wake.set()
        await done

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                # Let requests already being handled reach the queue, so they join this batch
                # instead of waiting for the next one: no timer, just one turn of the loop.
                await asyncio.sleep(0)
                while self._pending:
                    batch = self._pending[:MAX_BATCH]
                    del self._pending[:MAX_BATCH]
                    await _write(batch, self._write)
        finally:
            # Stopped with work queued: those events get an error, and Slack retries them.
            _finish(self._pending, StorageUnavailable("the bot is stopping"))
            self._pending.clear()


async def _write(
    batch: list[tuple[dict[str, Any], asyncio.Future[None]]], write: WriteBatch
) -> None:
    try:
        await write([row for row, _ in batch])
    except StorageUnavailable as exc:
        _finish(batch, exc)
    except Exception as exc:
        if len(batch) == 1:
            _finish(batch, exc)
            return
        # Not an outage: find the row at fault by writing one at a time, so the others
        # are stored and only that event is refused (and retried by Slack).
        log.warning("a batch of %d messages failed (%s); storing them one by one", len(batch), exc)
        for one in batch:
            await _write([one], write)
    else:
        _finish(batch, None)


def _finish(
    batch: list[tuple[dict[str, Any], asyncio.Future[None]]], exc: Exception | None
) -> None:
    for _row, done in batch:
        if done.done():
            continue
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)
