"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database per test.

Running every migration took most of a short test's time, so each test process migrates one
template per backend, once, when its first test needs it (`Templates`), and every test gets a
copy at head: `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a copy of the file on SQLite. The
bot's start-up upgrade then finds the copy current and changes nothing. The migration tests
(marked `empty_database`) get an empty database, as every test did before.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import asyncpg

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")


async def postgres_reachable() -> bool:
    try:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=3
        )
    except Exception:
        return False
    await conn.close()
    return True


def pg_url(name: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


async def create_pg_database(
    *, template: str | None = None, name: str | None = None
) -> tuple[str, str]:
    """A new database: empty, or a copy of `template` (which must have no open connection)."""
    name = name or f"sisyphus_test_{uuid.uuid4().hex[:12]}"
    source = f' TEMPLATE "{template}"' if template else ""
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"{source}')
    finally:
        await conn.close()
    return name, pg_url(name)


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate_to_head(url: str) -> None:
    """Run every migration as the bot's start-up does, then close every connection."""
    from storage.db import Database

    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.dispose()


def _process_tag() -> str:
    """Unique to this test process: xdist's workers each migrate templates of their own."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


class Templates:
    """This process's migrated databases, one per backend, copied for each test."""

    def __init__(self) -> None:
        self.pg_name: str | None = None
        self.sqlite_file: Path | None = None

    async def pg_copy(self) -> tuple[str, str]:
        if self.pg_name is None:
            name, url = await create_pg_database(name=f"sisyphus_template_{_process_tag()}")
            try:
                await migrate_to_head(url)  # disposes its engine: a template must be idle
            except BaseException:
                await drop_pg_database(name)
                raise
            self.pg_name = name
        return await create_pg_database(template=self.pg_name)

    async def sqlite_copy(self, path: Path) -> str:
        if self.sqlite_file is None:
            folder = Path(tempfile.mkdtemp(prefix=f"sisyphus_template_{_process_tag()}_"))
            file = folder / "template.db"
            try:
                await migrate_to_head(f"sqlite+aiosqlite:///{file}")
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            # The last connection closed checkpointed the WAL into the file: it is whole.
            assert not file.with_name(file.name + "-wal").exists()
            self.sqlite_file = file
        shutil.copyfile(self.sqlite_file, path)
        return f"sqlite+aiosqlite:///{path}"

    async def drop(self) -> None:
        if self.sqlite_file is not None:
            shutil.rmtree(self.sqlite_file.parent, ignore_errors=True)
            self.sqlite_file = None
        if self.pg_name is not None:
            await drop_pg_database(self.pg_name)
            self.pg_name = None


class Dropper:
    """Drops databases in a thread of its own, so a test's teardown does not wait for it
    (PostgreSQL's DROP DATABASE waits for a checkpoint). At most `backlog` wait their turn:
    past that, drop_later waits. `wait` returns once every one is dropped."""

    def __init__(self, backlog: int = 4) -> None:
        self._names: queue.Queue[str] = queue.Queue(maxsize=backlog)
        self._thread: threading.Thread | None = None

    def drop_later(self, name: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
            self._thread.start()
        self._names.put(name)

    def _run(self) -> None:
        while True:
            name = self._names.get()
            try:
                asyncio.run(drop_pg_database(name))
            except Exception as exc:  # the run goes on; the leftover is named
                print(f"could not drop test database {name}: {exc!r}", file=sys.stderr)
            finally:
                self._names.task_done()

    def wait(self) -> None:
        self._names.join()
