"""Transactions for alert work: one writer at a time per process on SQLite, webhooks first.

SQLite takes one writer at a time. Webhooks in a storm all write (the group, its alerts, the
claim), and a transaction that yields to the event loop between its statements keeps the
lock while the others wait in SQLite's busy handler, which sleeps in steps of up to 100 ms:
answers to Alertmanager then take seconds. Queuing writers on an asyncio lock instead costs
a few milliseconds each, and the webhook's own transaction goes before the worker's
(`urgent`), so Alertmanager's answer waits for at most one of those. Reads need no lock
(WAL: readers do not block the writer). PostgreSQL needs none of this (row locks).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime


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
