"""Run a benchmark on SQLite, then on PostgreSQL: `--skip-sqlite` and `--skip-postgres`, a
throwaway SQLite file, and a throwaway PostgreSQL database (127.0.0.1:5432, user postgres;
override with BENCH_PG_DSN_BASE) dropped afterwards."""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

PG_DSN_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")


async def on_each_database(
    args: argparse.Namespace, run: Callable[[str, str], Awaitable[None]]
) -> None:
    """`run(label, database_url)` on SQLite, then on PostgreSQL (each unless skipped; said and
    skipped when PostgreSQL cannot be reached)."""
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            await run("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
    if args.skip_postgres:
        return
    base = os.environ.get("BENCH_PG_DSN_BASE", PG_DSN_BASE)
    raw = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"sisyphus_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(raw + "/postgres")
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL: not reachable ({exc.__class__.__name__}), skipped", flush=True)
        return
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await run("PostgreSQL", f"{base}/{name}")
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
