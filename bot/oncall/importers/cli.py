"""`python -m bot oncall import pagerduty|opsgenie <schedule id>...`: the YAML on stdout, what
did not translate on stderr too. Only the vendor's settings are read (not Slack's).

Exit codes: 0 every schedule printed (what did not translate is listed, as comments and on
stderr), 1 a schedule could not be read or nothing of it translated, 2 a setting is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import aiohttp
from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.settings import DEFAULT_OPSGENIE_API_URL, DEFAULT_PAGERDUTY_API_URL
from bot.oncall.importers import opsgenie, pagerduty
from bot.oncall.importers.http import ImportFailed, Vendor, timeout
from bot.oncall.importers.to_yaml import Imported, render

EXIT_FAILED = 1
EXIT_SETTINGS = 2
READERS = {"pagerduty": pagerduty, "opsgenie": opsgenie}


class ImportSettings(BaseSettings):
    """The part of the bot's settings (bot.core.settings) that the import needs."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )
    pagerduty_api_token: SecretStr | None = None
    pagerduty_api_url: str = DEFAULT_PAGERDUTY_API_URL
    opsgenie_api_key: SecretStr | None = None
    opsgenie_api_url: str = DEFAULT_OPSGENIE_API_URL

    @field_validator("pagerduty_api_url", "opsgenie_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot oncall",
        description="Print PagerDuty or Opsgenie schedules as the `oncall` section of "
        "CONFIG_FILE (members by email). Nothing is written: review it, then paste it in.",
    )
    parser.add_argument("action", choices=["import"])
    parser.add_argument("vendor", choices=sorted(READERS))
    parser.add_argument("schedule_ids", nargs="+", metavar="schedule_id")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each answer (30)"
    )
    return parser


def _vendor(name: str, settings: ImportSettings) -> Vendor | None:
    if name == "pagerduty":
        token, setting = settings.pagerduty_api_token, "PAGERDUTY_API_TOKEN"
        url = settings.pagerduty_api_url
    else:
        token, setting = settings.opsgenie_api_key, "OPSGENIE_API_KEY"
        url = settings.opsgenie_api_url
    if token is None or not token.get_secret_value().strip():
        print(f"error: {setting} is required to read {name} schedules", file=sys.stderr)
        return None
    return READERS[name].vendor(url, token.get_secret_value().strip())


async def _read_all(
    name: str, vendor: Vendor, ids: list[str], seconds: float
) -> tuple[list[Imported], list[str]]:
    now = datetime.now(UTC)
    read, failures = [], []
    async with aiohttp.ClientSession(timeout=timeout(seconds)) as session:
        for schedule_id in ids:
            try:
                read.append(await READERS[name].read(session, vendor, schedule_id, now))
            except ImportFailed as exc:
                failures.append(str(exc))
                if exc.fatal:
                    break
            except (ValueError, TypeError, KeyError, AttributeError):
                failures.append(
                    f"{vendor.name}'s answer for schedule {schedule_id} is not shaped as its "
                    "API describes"
                )
    return read, failures


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = ImportSettings()
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            print(f"error: {name} {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return EXIT_SETTINGS
    vendor = _vendor(args.vendor, settings)
    if vendor is None:
        return EXIT_SETTINGS
    schedules, failures = asyncio.run(
        _read_all(args.vendor, vendor, list(args.schedule_ids), args.timeout)
    )
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    for schedule in schedules:
        for problem in schedule.problems():
            print(f"not translated: schedule {schedule.source_id}: {problem}", file=sys.stderr)
    if schedules:
        ids = " ".join(s.source_id for s in schedules)
        when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        header = f"Imported from {vendor.name} (schedule {ids}) on {when}."
        sys.stdout.write(render(schedules, header=header))
    empty = [s for s in schedules if not s.active]
    return EXIT_FAILED if failures or empty or not schedules else 0
