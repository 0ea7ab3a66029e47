"""`python -m bot check`: what a new user runs after filling in `.env`.

Every check runs (a failed one does not hide the next), and each prints one line: `ok` with
what was found, or what is wrong and what to do. The exit code is 0 only when all pass; a
`warn` line (an on-call schedule's gaps in the next 4 weeks) is a warning, not a failure. It
changes nothing: no migration is applied and nothing is posted (so "can post" means the bot
is a member of an unarchived channel; a channel where only admins may post is not detected).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic_settings import BaseSettings
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from bot.core.config_file import Config, ConfigFileError, ConfigPaths, config_path
from bot.core.settings import Settings, SettingsError, load_settings
from bot.metrics.prometheus import Prometheus, PrometheusError, configured, where
from bot.oncall.config import ONCALL
from bot.oncall.gaps import schedule_gaps
from bot.slack.client import slack_error_code, slack_error_text
from bot.slack.credentials import refusal
from bot.status.statuspage_client import check_page
from bot.web.oidc import SignInRefused, fetch_keys
from handlers.config_sections import SECTIONS, load_configuration
from storage import Database, explain_unavailable
from storage.migrate import migration_status
from storage.types import utcnow

OK, FAIL, SKIP, WARN = "ok", "FAIL", "skip", "warn"  # a warning does not fail the check
SLACK_TIMEOUT_SECONDS = 10


@dataclass
class Result:
    name: str
    status: str  # OK, FAIL, SKIP or WARN
    detail: str = ""

    def line(self) -> str:
        return f"[{self.status}] {self.name}" + (f": {self.detail}" if self.detail else "")


def manifest_scopes(text: str) -> list[str]:
    """The bot scopes in manifest.yml's oauth_config.scopes.bot (a plain YAML list)."""
    block = re.search(r"^\s*scopes:\s*\n\s*bot:\s*\n((?:\s*-\s*\S+\s*\n?)+)", text, re.M)
    return re.findall(r"-\s*(\S+)", block.group(1)) if block else []


def find_manifest() -> Path | None:
    for folder in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (folder / "manifest.yml").is_file():
            return folder / "manifest.yml"
    return None


def _new_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL that does not exist yet (a check must not create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database).absolute()
    return None if path.exists() else path


class Checker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = AsyncWebClient(  # no retries: a check answers now, or says why not
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=SLACK_TIMEOUT_SECONDS,
        )
        self.granted: list[str] | None = None  # from auth.test's x-oauth-scopes header
        self.token_ok = False

    async def database(self) -> Result:
        url = self.settings.database_url
        new_file = _new_sqlite_file(url)
        if new_file is not None:
            folder_ok = os.access(new_file.parent, os.W_OK | os.X_OK)
            if new_file.parent.is_dir() and folder_ok:
                return Result("database", OK, f"{new_file} will be created at start-up")
            return Result(
                "database",
                FAIL,
                "DATABASE_URL could not be used: "
                + explain_unavailable(url, FileNotFoundError(str(new_file))),
            )
        db = Database(url)
        try:
            current, head = await migration_status(db.engine)
        except Exception as exc:
            reason = explain_unavailable(self.settings.database_url, exc)
            return Result("database", FAIL, f"DATABASE_URL could not be used: {reason}")
        finally:
            await db.dispose()
        if current == head:
            return Result("database", OK, f"reachable; migrations current ({head})")
        at = f"at {current}" if current else "empty"
        return Result(
            "database", OK, f"reachable, {at}; migrations up to {head} run when the bot starts"
        )

    async def token(self) -> Result:
        try:
            who = await self.client.auth_test()
        except Exception as exc:
            refused = refusal(exc, "SLACK_BOT_TOKEN")
            if refused is not None:
                return Result("slack token", FAIL, str(refused))
            return Result(
                "slack token", FAIL, f"auth.test failed: {slack_error_text(exc)} (SLACK_API_URL)"
            )
        self.token_ok = True
        header = who.headers.get("x-oauth-scopes") or who.headers.get("X-OAuth-Scopes")
        if header is not None:
            self.granted = [s.strip() for s in str(header).split(",") if s.strip()]
        return Result(
            "slack token",
            OK,
            f"bot user {who.get('user_id')} ({who.get('user')}) in team {who.get('team')} "
            f"({who.get('team_id')})",
        )

    async def scopes(self) -> Result:
        if not self.token_ok:
            return Result("scopes", SKIP, "needs a working SLACK_BOT_TOKEN")
        manifest = find_manifest()
        if manifest is None:
            return Result("scopes", SKIP, "manifest.yml not found in this directory")
        if self.granted is None:
            return Result("scopes", SKIP, "Slack did not say which scopes are granted")
        wanted = manifest_scopes(manifest.read_text())
        missing = [s for s in wanted if s not in self.granted]
        if missing:
            return Result(
                "scopes",
                FAIL,
                f"the token lacks {', '.join(missing)}: add them under OAuth & Permissions → "
                "Bot Token Scopes (or create the app from manifest.yml), then reinstall the app",
            )
        return Result("scopes", OK, f"all {len(wanted)} scopes of manifest.yml granted")

    async def socket_mode(self) -> Result:
        token = self.settings.slack_app_token
        if token is None:
            return Result("socket mode", SKIP, "SLACK_APP_TOKEN is not set (HTTP mode)")
        try:
            await self.client.apps_connections_open(app_token=token.get_secret_value())
        except Exception as exc:
            refused = refusal(exc, "SLACK_APP_TOKEN")
            detail = str(refused) if refused else "apps.connections.open failed: "
            if refused is None:
                detail += slack_error_text(exc)
            return Result("socket mode", FAIL, detail)
        return Result("socket mode", OK, "Slack offers a connection (none was opened)")

    async def broadcast_channel(self) -> Result:
        name = "broadcast channel"
        channel = self.settings.incident_broadcast_channel
        if channel is None:
            return Result(name, SKIP, "INCIDENT_BROADCAST_CHANNEL is not set (no announcements)")
        if not self.token_ok:
            return Result(name, SKIP, "needs a working SLACK_BOT_TOKEN")
        try:
            info = (await self.client.conversations_info(channel=channel))["channel"]
        except Exception as exc:
            if slack_error_code(exc) == "channel_not_found":
                return Result(
                    name,
                    FAIL,
                    f"INCIDENT_BROADCAST_CHANNEL {channel} was not found: copy the channel ID "
                    "from the channel's details (a private channel: /invite @sisyphus first)",
                )
            return Result(name, FAIL, f"conversations.info failed: {slack_error_text(exc)}")
        label = f"#{info.get('name', channel)}"
        if info.get("is_archived"):
            return Result(name, FAIL, f"{label} is archived: unarchive it or choose another")
        if not info.get("is_member") and info.get("is_private"):
            return Result(
                name, FAIL, f"the bot is not a member of {label}: /invite @sisyphus there"
            )
        if not info.get("is_member"):
            return Result(
                name, OK, f"{label}: the bot joins it (channels:join) at its first announcement"
            )
        return Result(name, OK, f"{label}: the bot is a member and can post")

    async def prometheus(self) -> Result:
        name = "prometheus"
        if not configured(self.settings):
            return Result(name, SKIP, "PROMETHEUS_URL is not set (no metrics on the card)")
        try:
            async with Prometheus(self.settings) as prom:
                info = await prom.buildinfo()
        except PrometheusError as exc:
            return Result(name, FAIL, f"{exc} (GET /api/v1/status/buildinfo)")
        version = info.get("version") or "an unknown version"
        return Result(name, OK, f"{where(self.settings)} answers: Prometheus {version}")

    async def statuspage(self) -> Result:
        name = "statuspage"
        if not self.settings.statuspage_on():
            return Result(name, SKIP, "STATUSPAGE_API_KEY is not set (no Statuspage sync)")
        ok, detail = await check_page(self.settings)
        return Result(name, OK if ok else FAIL, detail)

    async def sign_in(self) -> Result:
        name = "sign in with slack"
        if not self.settings.slack_client_id:
            return Result(name, SKIP, "SLACK_CLIENT_ID is not set (no web archive)")
        try:
            keys = await fetch_keys(self.settings.slack_openid_url)
        except SignInRefused as exc:
            return Result(name, FAIL, f"{exc} ({self.settings.slack_openid_url}keys)")
        if not keys:
            return Result(
                name, FAIL, f"{self.settings.slack_openid_url}keys publishes no RS256 key"
            )
        base = (self.settings.web_base_url or "").rstrip("/")
        return Result(
            name, OK, f"Slack's signing keys read; redirect URL to register: {base}/auth/callback"
        )


def config_file(settings: ConfigPaths) -> list[Result]:
    """CONFIG_FILE (and CHECKLISTS_FILE): `ok` with what is in it, or one line per problem."""
    name = "config file"
    try:
        config = load_configuration(settings)
    except ConfigFileError as exc:
        return [Result(name, FAIL, problem) for problem in exc.problems]
    if not config.sources:
        path, _ = config_path(settings)
        sections = ", ".join(s.name for s in SECTIONS)
        return [Result(name, SKIP, f"no {path} in this directory (optional: {sections})")]
    counts = ", ".join(s.count(config.get(s)) for s in SECTIONS)
    return [Result(name, OK, f"{' and '.join(config.sources)}: {counts}"), *oncall_gaps(config)]


def oncall_gaps(config: Config) -> list[Result]:
    """A line per on-call schedule: the gaps of the next 4 weeks (a warning, not a failure)."""
    return [
        Result(f"oncall {found.schedule}", WARN if found.count else OK, found.text)
        for found in schedule_gaps(config.get(ONCALL), utcnow())
    ]


CHECKS: list[Callable[[Checker], Awaitable[Result]]] = [
    Checker.database,
    Checker.token,
    Checker.scopes,
    Checker.socket_mode,
    Checker.broadcast_channel,
    Checker.prometheus,
    Checker.statuspage,
    Checker.sign_in,
]
NAMES = [
    "database",
    "slack token",
    "scopes",
    "socket mode",
    "broadcast channel",
    "prometheus",
    "statuspage",
    "sign in with slack",
]


async def run_checks(settings: Settings) -> list[Result]:
    checker = Checker(settings)
    results = [Result("settings", OK), *config_file(settings)]
    for check in CHECKS:
        results.append(await check(checker))
    return results


class _ConfigSettings(BaseSettings):
    """The settings that name configuration files, read when the others are broken."""

    model_config = Settings.model_config
    config_file: str | None = None
    checklists_file: str | None = None


def main(out: TextIO = sys.stdout) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        results = [Result("settings", FAIL, problem) for problem in exc.problems]
        results += config_file(_ConfigSettings())  # its problems too, all at once
        results += [Result(name, SKIP, "fix the settings first") for name in NAMES]
    else:
        results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line(), file=out)
    failed = len({r.name for r in results if r.status == FAIL})  # a check may print several
    warned = sum(1 for r in results if r.status == WARN)
    warnings = f" ({warned} warning{'' if warned == 1 else 's'})" if warned else ""
    print(f"{failed} check(s) failed" if failed else f"all checks passed{warnings}", file=out)
    return 1 if failed else 0
