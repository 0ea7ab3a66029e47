"""`python -m bot status export <folder>`: the status page, its JSON and its feed as static
files (export.py), byte for byte what the server serves. Reads DATABASE_URL, CONFIG_FILE (its
`status_page` section) and WEB_BASE_URL; Slack settings are not read."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.config_file import Config, ConfigFileError, ConfigPaths
from bot.status.config import STATUS_PAGE
from bot.status.export import export_to
from storage import Database, StorageUnavailable


class ExportSettings(BaseSettings):
    """The part of the bot's settings (bot.core.settings) the export needs."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )
    database_url: str = "sqlite+aiosqlite:///./incidents.db"
    config_file: str | None = None
    checklists_file: str | None = None
    web_base_url: str | None = None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot status",
        description="The public status page as static files, to serve from elsewhere at "
        "/status (object storage, GitHub Pages): index.html, incidents/<id>/index.html, "
        "api/v2/*.json and feed.atom, exactly what the bot serves.",
    )
    commands = p.add_subparsers(dest="command", metavar="command", required=True)
    export = commands.add_parser("export", help="write the page into <folder>, replacing it")
    export.add_argument("folder", type=Path)
    return p


async def _export(settings: ExportSettings, config: Config, folder: Path) -> int:
    page = config.get(STATUS_PAGE)
    assert page is not None
    db = Database(settings.database_url)
    try:
        await db.migrate()
        return await export_to(db, page, (settings.web_base_url or "").rstrip("/"), folder)
    finally:
        await db.dispose()


def main(argv: Sequence[str], load_configuration: Callable[[ConfigPaths], Config]) -> int:
    args = parser().parse_args(list(argv))
    try:
        settings = ExportSettings()
    except ValidationError as exc:
        for err in exc.errors():
            print(f"error: {err['loc'][0]}: {err['msg']}", file=sys.stderr)
        return 2
    try:
        config = load_configuration(settings)
    except ConfigFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if config.get(STATUS_PAGE) is None:
        print("error: the configuration file has no status_page section", file=sys.stderr)
        return 2
    try:
        count = asyncio.run(_export(settings, config, args.folder))
    except StorageUnavailable:
        print("error: the database at DATABASE_URL could not be reached", file=sys.stderr)
        return 1
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"error: could not write {args.folder}: {reason}. It was left as it was.")
        return 1
    print(f"exported {count} files to {args.folder}", file=sys.stderr)
    return 0
