"""`python -m bot`: check settings, then run until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.logs import configure_logging
from bot.server import BotServer
from bot.settings import Settings, SettingsError, load_settings
from storage import StorageUnavailable

log = logging.getLogger("bot")


async def run(settings: Settings) -> int:
    server = BotServer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except StorageUnavailable:
        log.error("the database at DATABASE_URL could not be reached; not starting")
        await server.stop()
        return 1
    await stop.wait()
    log.info("stopping: finishing work in flight")
    await server.stop()
    return 0


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    secrets = [
        s.get_secret_value()
        for s in (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token)
        if s is not None
    ]
    configure_logging(settings.log_level, settings.log_format, secrets)
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
