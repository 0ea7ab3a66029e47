"""`python -m bot export` and `python -m bot import`: every incident out of the configured
database, and an export into it (SQLite to PostgreSQL: export, then import with the other
DATABASE_URL). Only DATABASE_URL is needed; Slack settings are not read.

A progress bar (tqdm) goes to stderr when it is a terminal; none when it is not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from tqdm import tqdm

from bot.learning.bulk_export import count_incidents, export_all
from bot.learning.bulk_import import (
    ImportProblem,
    ImportResult,
    check_file,
    import_records,
    read_documents,
)
from storage import Database, StorageUnavailable


class StorageSettings(BaseSettings):
    """The part of the bot's settings (bot.core.settings) that export and import need."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )
    database_url: str = "sqlite+aiosqlite:///./incidents.db"
    update_interval_seconds: int = Field(default=900, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "DATABASE_URL must be an async SQLAlchemy URL: sqlite+aiosqlite:///path.db "
                "or postgresql+asyncpg://user@host/db"
            )
        return v


def _settings() -> StorageSettings | None:
    try:
        return StorageSettings()
    except ValidationError as exc:
        for err in exc.errors():
            print(f"error: {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return None


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _bar(total: int, what: str) -> tqdm:
    size = shutil.get_terminal_size((80, 24))
    return tqdm(
        total=total,
        unit=" incidents",
        desc=what,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        # A terminal that reports no size (0 x 0) would hide the bar: tqdm fits it to that.
        ncols=size.columns,
        nrows=size.lines,
    )


def export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot export",
        description="Write every incident in DATABASE_URL: JSON Lines, one whole record per line "
        "(the document of /postmortem export json), or CSV, one row per incident with its "
        "metrics.",
    )
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument(
        "--since", type=_day, help="only incidents declared on or after this day (YYYY-MM-DD, UTC)"
    )
    parser.add_argument("--out", type=Path, help="write here instead of to standard output")
    return parser


def import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot import",
        description="Load an export into DATABASE_URL. Every record is checked first; a file "
        "with any problem changes nothing (each problem is named). Incidents already there get "
        "only the rows they lack.",
    )
    parser.add_argument("file", type=Path, help="a file written by `python -m bot export`")
    return parser


async def _export(args: argparse.Namespace, settings: StorageSettings, out: TextIO) -> int:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        total = await count_incidents(db, args.since)
        with _bar(total, "export") as bar:
            result = await export_all(
                db,
                out,
                fmt=args.format,
                since=args.since,
                default_cadence=settings.update_interval_seconds,
                progress=bar.update,
            )
    finally:
        await db.dispose()
    return result.incidents


def _streamed(path: Path) -> bool:
    """Whether `path` is a device, a pipe or a terminal: written as the export goes (and left
    incomplete by a failure), never replaced by a renamed file."""
    target = path.resolve()
    return target.exists() and not target.is_file() and not target.is_dir()


def _write_to(path: Path, write: Callable[[TextIO], int]) -> int:
    """Run `write` into `path`. A regular file (or a new one) is written beside the target and
    renamed at the end: never a half-written file, and a failed export leaves the old one."""
    target = path.resolve()
    if _streamed(target) or target.is_dir():  # a folder fails here, before any work
        with target.open("w", encoding="utf-8", newline="") as out:
            return write(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = write(out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def export_main(argv: Sequence[str]) -> int:
    args = export_parser().parse_args(list(argv))
    settings = _settings()
    if settings is None:
        return 2

    def write(out: TextIO) -> int:
        return asyncio.run(_export(args, settings, out))

    where = str(args.out) if args.out is not None else "standard output"
    try:
        if args.out is None:
            count = write(sys.stdout)
            sys.stdout.flush()
        else:
            count = _write_to(args.out, write)
    except StorageUnavailable:
        print("error: the database at DATABASE_URL could not be reached", file=sys.stderr)
        return 1
    except OSError as exc:  # a missing folder, a full disk, a reader that went away
        if isinstance(exc, BrokenPipeError) and args.out is None:
            # Nothing more can reach the reader; keep Python's exit from writing there again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        streamed = args.out is None or _streamed(args.out)
        kept = "What was written is incomplete." if streamed else "Nothing was written."
        reason = exc.strerror or str(exc)
        print(f"error: could not write {where}: {reason}. {kept}", file=sys.stderr)
        return 1
    print(f"exported {count} incident{'s' if count != 1 else ''}"
          f"{' to ' + where if args.out is not None else ''}", file=sys.stderr)  # fmt: skip
    return 0


async def _import(path: Path, settings: StorageSettings) -> ImportResult:
    with path.open(encoding="utf-8") as stream:
        records = check_file(read_documents(stream))
    db = Database(settings.database_url)
    try:
        await db.migrate()
        with _bar(len(records), "import") as bar:
            result = await import_records(db, records, bar.update)
    finally:
        await db.dispose()
    return result


def _plural(n: int, what: str) -> str:
    if n == 1:
        return f"1 {what}"
    return f"{n} {what[:-1]}ies" if what.endswith("y") else f"{n} {what}s"


def import_main(argv: Sequence[str]) -> int:
    args = import_parser().parse_args(list(argv))
    settings = _settings()
    if settings is None:
        return 2
    try:
        result = asyncio.run(_import(args.file, settings))
    except FileNotFoundError:
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"error: {args.file}: not a text file (UTF-8)", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder, a file it may not read
        print(f"error: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ImportProblem as exc:
        for problem in exc.problems:
            print(f"error: {args.file}: {problem}", file=sys.stderr)
        found = _plural(len(exc.problems), "problem") if len(exc.problems) > 1 else "a problem"
        print(f"error: {args.file}: {found}. Nothing was imported.", file=sys.stderr)
        return 1
    except StorageUnavailable:
        print("error: the database at DATABASE_URL could not be reached", file=sys.stderr)
        return 1
    there = f"{result.skipped} already there"
    if result.added:
        rows = ", ".join(_plural(n, what) for what, n in result.added.items())
        there += f", given the rows they lacked ({rows})"
    else:
        there += ", left as they were"
    print(f"imported {_plural(result.imported, 'incident')}; {there}", file=sys.stderr)
    return 0
