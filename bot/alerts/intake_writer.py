"""Group commit for alert webhooks on SQLite: webhooks arriving together share a transaction.

SQLite has one writer. In a storm (Alertmanager resending every group after a partition
heals) a transaction per webhook queues the webhooks one behind the other; storing those
that arrived together in one transaction costs about what one costs. Each webhook is still
answered only once its own alert is committed. PostgreSQL takes them concurrently instead.
"""

from __future__ import annotations

import asyncio
import logging

from bot.alerts.intake import ParsedGroup
from bot.alerts.queries import store_group
from bot.alerts.sessions import alert_connection
from bot.core.runtime import Runtime
from storage import StorageUnavailable

log = logging.getLogger(__name__)

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
