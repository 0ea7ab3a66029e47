"""The async engine, sessions, and the line between 'the database answered' and 'it did not'."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

DATABASE_ERRORS = Counter(
    "sisyphus_database_errors_total", "Database operations that failed because it was unreachable"
)


class StorageUnavailable(Exception):
    """The database could not be reached or did not answer; the caller should say so and retry."""


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, OSError, asyncio.TimeoutError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One engine per process. `session()` gives a unit of work that commits on success."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_timeout=5)
            kwargs["connect_args"] = {"timeout": 5, "command_timeout": 10}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction: committed when the block ends, rolled back if it raises.

        Connection failures surface as StorageUnavailable so callers need not know drivers.
        """
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except StorageUnavailable:
            raise
        except Exception as exc:
            if _is_outage(exc):
                DATABASE_ERRORS.inc()
                log.warning("database unavailable: %s", type(exc).__name__)
                raise StorageUnavailable(str(exc)) from exc
            raise

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False

    async def migrate(self) -> None:
        from storage.migrate import upgrade_to_head

        try:
            await upgrade_to_head(self.engine)
        except Exception as exc:
            if _is_outage(exc):
                raise StorageUnavailable(str(exc)) from exc
            raise

    async def dispose(self) -> None:
        await self.engine.dispose()
