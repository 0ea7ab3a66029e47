"""Transactions for alert work, and group commit for the webhooks that write them.

One writer at a time per process on SQLite, webhooks first. SQLite takes one writer at a time.
Webhooks in a storm all write (the group, its alerts, the claim), and a transaction that yields
to the event loop between its statements keeps the lock while the others wait in SQLite's busy
handler, which sleeps in steps of up to 100 ms: answers to Alertmanager then take seconds.
Queuing writers on an asyncio lock instead costs a few milliseconds each, and the webhook's own
transaction goes before the worker's (`urgent`), so Alertmanager's answer waits for at most one
of those. Reads need no lock (WAL: readers do not block the writer). PostgreSQL needs none of
this (row locks).

Group commit (`IntakeWriter`): in a storm (Alertmanager resending every group after a partition
heals) a transaction per webhook queues the webhooks one behind the other; storing those that
arrived together in one transaction costs about what one costs. Each webhook is still answered
only once its own alert is committed. PostgreSQL takes them concurrently instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.alerts.intake import ParsedGroup
from bot.alerts.queries import store_group
from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

# ---- one writer at a time (SQLite), webhooks first --------------------------------------


class WriterLock:
    """An asyncio lock where `urgent` holders go before the others who are waiting."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._urgent = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()

    @contextlib.asynccontextmanager
    async def hold(self, *, urgent: bool) -> AsyncIterator[None]:
        if urgent:
            self._urgent += 1
            self._no_urgent.clear()
            try:
                await self._lock.acquire()
            finally:
                self._urgent -= 1
                if self._urgent == 0:
                    self._no_urgent.set()
        else:
            while True:
                await self._no_urgent.wait()
                await self._lock.acquire()
                if self._urgent == 0:
                    break
                self._lock.release()  # an urgent writer came meanwhile: after it
        try:
            yield
        finally:
            self._lock.release()


_LOCKS: dict[int, WriterLock] = {}


def _lock(rt: Runtime) -> WriterLock:
    return _LOCKS.setdefault(id(rt.db), WriterLock())


@contextlib.asynccontextmanager
async def alert_session(rt: Runtime, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
    """An ORM transaction that may write."""
    if not rt.db.is_sqlite:
        async with rt.db.session() as session:
            yield session
        return
    async with _lock(rt).hold(urgent=urgent), rt.db.session() as session:
        yield session


@contextlib.asynccontextmanager
async def alert_connection(rt: Runtime, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
    """A Core transaction that may write (the intake's hot path)."""
    if not rt.db.is_sqlite:
        async with rt.db.connection() as conn:
            yield conn
        return
    async with _lock(rt).hold(urgent=urgent), rt.db.connection() as conn:
        yield conn


# ---- group commit of alert webhooks (SQLite) ----------------------------------------

MAX_BATCH = 64
Waiting = list[tuple[ParsedGroup, "asyncio.Future[int]"]]


class IntakeWriter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._cap = rt.settings.alert_max_per_group
        self._pending: Waiting = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, parsed: ParsedGroup) -> int:
        """The group's id once this webhook is committed; raises what storing raised."""
        if not self.rt.db.is_sqlite:
            async with alert_connection(self.rt, urgent=True) as conn:
                return await store_group(conn, parsed, self._cap)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((parsed, done))
        if self._writer is None or self._writer.done():
            self._writer = self.rt.spawn(self._run(), name="alert-intake-writer")
        return await done

    async def _run(self) -> None:
        try:
            await asyncio.sleep(0)  # let webhooks being read join this batch
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._write(batch)
        finally:
            for _, done in self._pending:
                if not done.done():
                    done.set_exception(StorageUnavailable("the bot is stopping"))
            self._pending.clear()

    async def _write(self, batch: Waiting) -> None:
        try:
            async with alert_connection(self.rt, urgent=True) as conn:
                ids = [await store_group(conn, parsed, self._cap) for parsed, _ in batch]
        except StorageUnavailable as exc:
            _finish(batch, exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                _finish(batch, exc)
                return
            log.warning(
                "a batch of %d alerts failed (%s); storing them one by one",
                len(batch),
                type(exc).__name__,
            )
            for one in batch:
                await self._write([one])
            return
        for (_, done), group_id in zip(batch, ids, strict=True):
            if not done.done():
                done.set_result(group_id)


def _finish(batch: Waiting, exc: Exception) -> None:
    for _, done in batch:
        if not done.done():
            done.set_exception(exc)
