"""`python -m bot`: check settings, then run until SIGINT or SIGTERM.
`python -m bot export|import`: bulk export and import (bot/learning/cli.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.core.logs import configure_logging
from bot.core.settings import Settings, SettingsError, load_settings
from storage import StorageUnavailable

log = logging.getLogger("bot")


async def run(settings: Settings) -> int:
    from bot.app.server import BotServer  # here, so `export` and `import` start quickly

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
    await _cancel_leftovers()
    return 0


async def _cancel_leftovers(timeout: float = 5.0) -> None:
    """Cancel what outlived the stop (work past its grace period) while the loop still runs.

    asyncio.run cancels leftovers once more on its way out; a task caught mid-query needs
    that second cancellation to give up closing its connection gracefully (SQLAlchemy
    shields that close from the first), so between them the process always exits.
    """
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in left:
        task.cancel()
    if left:
        _, stuck = await asyncio.wait(left, timeout=timeout)
        log.warning("cancelled %d task(s) still running after the stop", len(left))
        if stuck:
            log.warning("%d of them had not ended %ss later", len(stuck), timeout)


def main() -> int:
    # Bulk export and import (issue 13); the merger may fold these into bot/app/cli.py.
    if len(sys.argv) > 1 and sys.argv[1] in ("export", "import"):
        from bot.learning.cli import export_main, import_main

        run_subcommand = export_main if sys.argv[1] == "export" else import_main
        return run_subcommand(sys.argv[2:])
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
