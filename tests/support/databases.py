"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid

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


async def create_pg_database() -> tuple[str, str]:
    name = f"sisyphus_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
