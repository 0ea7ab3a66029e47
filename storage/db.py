"""The async engine, sessions, and the line between 'the database answered' and 'it did not'."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.search_index import FTS_NAME

log = logging.getLogger(__name__)

DATABASE_ERRORS = Counter(
    "sisyphus_database_errors_total", "Database operations that failed because it was unreachable"
)


class StorageUnavailable(Exception):
    """The database could not be reached or did not answer; the caller should say so and retry."""


# PostgreSQL errors that mean "the database is not there right now", besides class 08
# (connection exceptions): database missing, server shutting down or starting, too many clients.
_OUTAGE_SQLSTATES = {"3D000", "57P01", "57P02", "57P03", "53300"}


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, OSError, asyncio.TimeoutError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
    if sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES:
        return True
    name = type(exc).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
    }


def _login_refused(exc: BaseException) -> bool:
    """The server refused the user or the password (SQLSTATE class 28): at start-up, a
    database that cannot be used, like one that cannot be reached."""
    return any(str(getattr(e, "sqlstate", "") or "").startswith("28") for e in _chain(exc))


def _unavailable(exc: Exception) -> StorageUnavailable:
    """The StorageUnavailable to raise for an outage (counted and logged)."""
    DATABASE_ERRORS.inc()
    log.warning("database unavailable: %s", type(exc).__name__)
    return StorageUnavailable(str(exc))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Connect the full-text index (bot/learning) now, outside any transaction. A connection
    # whose first use of the FTS5 table is an insert's trigger inside a SAVEPOINT, while
    # another connection holds the write lock, gets SQLITE_BUSY at once instead of waiting:
    # the virtual table reads its config before the write lock is asked for, and SQLite
    # skips the busy handler for a reader that wants to write (it could deadlock).
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_NAME,))
    if cursor.fetchone():
        cursor.execute(f"SELECT 1 FROM {FTS_NAME} WHERE 0")
        cursor.fetchall()
    cursor.close()


class Database:
    """One engine per process. `session()` gives a unit of work that commits on success."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: errors must not carry message text (people paste secrets) into logs.
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True, "hide_parameters": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_timeout=5)
            kwargs["connect_args"] = {"timeout": 5, "command_timeout": 10}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
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
                raise _unavailable(exc) from exc
            raise

    @asynccontextmanager
    async def connection(self, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection for hot paths (message capture), where an ORM session costs
        more CPU than the query. A transaction committed at the end; or with `autocommit`,
        each statement its own transaction (for one statement: the same guarantee, two round
        trips fewer). Outages surface as StorageUnavailable, as with session()."""
        try:
            if autocommit:
                async with self._autocommit.connect() as conn:
                    yield conn
            else:
                async with self.engine.begin() as conn:
                    yield conn
        except StorageUnavailable:
            raise
        except Exception as exc:
            if _is_outage(exc):
                raise _unavailable(exc) from exc
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

        if self.is_sqlite:
            _sqlite_folder_exists(self.url)
        try:
            await upgrade_to_head(self.engine)
        except Exception as exc:
            if _is_outage(exc) or _login_refused(exc):
                raise StorageUnavailable(str(exc)) from exc
            raise
        if self.is_sqlite:
            await self.engine.dispose()  # later connections are opened with the index there

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_folder_exists(url: str) -> None:
    """A SQLite file's folder that does not exist is said before any connection is opened: a
    failed open leaves aiosqlite's thread to answer a loop that may be gone by then (a
    traceback at exit, seen under load)."""
    from sqlalchemy.engine import make_url

    path = make_url(url).database or ""
    if path and path != ":memory:" and not path.startswith("file:"):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise StorageUnavailable(f"unable to open database file: no directory {folder}")


def explain_unavailable(url: str, exc: BaseException) -> str:
    """Why the database at `url` could not be used, in a few plain words (never the URL's
    password): a missing directory, permission denied, connection refused, authentication
    failed, no such database, unknown host, or a timeout."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:":
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                return f"the directory {folder} does not exist"
            if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
                return f"permission denied on {os.path.abspath(path)}"
            if not os.path.exists(path) and not os.access(folder, os.W_OK | os.X_OK):
                return f"permission denied: cannot create a file in {folder}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    for error in _chain(exc):
        text = str(error).lower()
        name = type(error).__name__
        sqlstate = str(getattr(error, "sqlstate", "") or "")
        refused = getattr(error, "errno", None) == errno.ECONNREFUSED
        if refused or isinstance(error, ConnectionRefusedError) or "connection refused" in text:
            return f"connection refused by {where} (is the server running there?)"
        if sqlstate == "28P01" or name == "InvalidPasswordError" or "password auth" in text:
            return f"authentication failed for user {parsed.username!r} (check the password)"
        if sqlstate == "28000" or name == "InvalidAuthorizationSpecificationError":
            return f"the server refused user {parsed.username!r} (pg_hba.conf or the role)"
        if sqlstate == "3D000" or name == "InvalidCatalogNameError":
            return f"the database {parsed.database!r} does not exist on {where}"
        if "connect call failed" in text:
            return f"connection refused by {where} (is the server running there?)"
        if isinstance(error, socket.gaierror) or "name or service not known" in text:
            return f"the host {parsed.host!r} is unknown (a typo, or DNS)"
        if isinstance(error, PermissionError) or "permission denied" in text:
            return "permission denied"
        if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
            return f"no answer from {where} in time (a firewall, or the wrong host)"
        if "unable to open database file" in text:
            return "SQLite cannot open the file (check the path and its permissions)"
        if "readonly database" in text or "read-only" in text:
            return "the database file is read-only"
    return type(exc).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, the driver error it wraps, and their causes, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop(0)
        if error is None or any(error is s for s in seen):
            continue
        seen.append(error)
        todo += [getattr(error, "orig", None), error.__cause__, error.__context__]
    return seen
