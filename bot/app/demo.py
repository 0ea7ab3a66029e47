"""`python -m bot demo` (`make demo`): the real bot and the playground, with no Slack workspace.

The playground (bot/playground) serves the Web API stand-in the bot calls and the page people
use, on one port; the bot runs as `make run` would, with its Slack API pointed at the stand-in,
a signing secret and a token made up for this process, and its data in ./demo.db. Both listen
on 127.0.0.1 only, whatever HOST says. The environment's settings and .env are not read (the
demo is the same on every machine), and any Slack token in the environment stops it: a
playground must never be one typo away from a real workspace.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.config_file import Config
from bot.core.logs import configure_logging
from bot.core.settings import Settings, load_settings
from bot.playground.client import PlaygroundClient
from bot.playground.page import build_page
from bot.playground.people import INCIDENTS, PEOPLE, seed
from bot.playground.sender import BotSender
from bot.playground.standin.api import FakeSlack

log = logging.getLogger("bot.demo")

TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-")
DEFAULT_DATABASE = "demo.db"
EXIT_REFUSED = 2


def slack_tokens_in(environ: dict[str, str]) -> list[str]:
    """The names of variables holding something that looks like a Slack token."""
    return sorted(
        name for name, value in environ.items() if value.strip().startswith(TOKEN_PREFIXES)
    )


def demo_settings(database: Path, standin: FakeSlack, alert_token: str) -> Settings:
    """The bot's settings for the demo: made up here, never read from .env."""
    return load_settings(
        _env_file=None,
        slack_bot_token="xoxb-playground-" + secrets.token_hex(8),
        slack_signing_secret=secrets.token_hex(16),
        slack_api_url=standin.base_url,
        database_url=f"sqlite+aiosqlite:///{database.resolve()}",
        incident_broadcast_channel=INCIDENTS,
        alert_webhook_token=alert_token,
        host="127.0.0.1",
        port=0,
        log_level="WARNING",
    )


@dataclass
class Demo:
    """The stand-in with its page, and the bot, started together and stopped together."""

    standin: FakeSlack
    sender: BotSender
    server: object
    url: str

    async def stop(self) -> None:
        from bot.app.server import BotServer

        await self.sender.close()
        if isinstance(self.server, BotServer):
            await self.server.stop()
        await self.standin.stop()


async def start_demo(database: Path, port: int = 0) -> Demo:
    """Start the playground on 127.0.0.1:`port` (0: any free one) and the bot beside it."""
    from bot.app.server import BotServer  # here: the --help of `python -m bot` stays quick

    standin = FakeSlack()
    standin.init_tiers(enforced=True)
    seed(standin)
    alert_token = secrets.token_urlsafe(24)
    sender = BotSender("http://127.0.0.1:0", "")
    client = PlaygroundClient(standin, sender, "", alert_token)
    await standin.start(build_page(client), port)
    settings = demo_settings(database, standin, alert_token)
    server = BotServer(settings, Config())
    await server.start()
    bot_url = f"http://127.0.0.1:{server.port}"
    sender.url = bot_url + "/slack/events"
    assert settings.slack_signing_secret is not None  # demo_settings sets it
    sender.secret = settings.slack_signing_secret.get_secret_value()
    client.bot_url = bot_url
    client.ready = True
    return Demo(standin, sender, server, f"http://127.0.0.1:{standin.port}/")


def _banner(url: str, seconds: float) -> str:
    people = ", ".join(f"{p.name} ({p.role})" for p in PEOPLE)
    return (
        "\n  Sisyphus PLAYGROUND: a local stand-in for Slack, no workspace involved.\n"
        f"  Open {url}  (ready in {seconds:.1f} s)\n"
        f"  People: {people}\n"
        "  Try: /incident declare sev2 Checkout is down\n"
        "  Ctrl-C stops it; `make demo-reset` wipes its data (demo.db).\n"
    )


async def run(database: Path, port: int, began: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    demo = await start_demo(database, port)
    print(_banner(demo.url, time.monotonic() - began), flush=True)
    try:
        await stop.wait()
    finally:
        print("  playground: stopping", flush=True)
        await demo.stop()
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot demo",
        description="The playground: the real bot and a local stand-in for Slack, on "
        "127.0.0.1, with its data in demo.db. Reads no .env; refuses to start with a Slack "
        "token in the environment.",
    )
    parser.add_argument("--port", type=int, default=8765, help="the page's port (0: any free)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="the SQLite file")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    began = time.monotonic()
    args = parse(argv)
    found = slack_tokens_in(dict(os.environ))
    if found:
        print(
            "error: the playground does not start with a Slack token in the environment "
            f"({', '.join(found)}): unset it, or use `make run` for a real workspace",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    for name in Settings.model_fields:  # the demo's settings are its own (demo_settings)
        os.environ.pop(name.upper(), None)
    configure_logging("WARNING", "text", [])
    try:
        return asyncio.run(run(Path(args.database), args.port, began))
    except OSError as exc:
        print(f"error: the playground could not listen: {exc}", file=sys.stderr)
        return 1
