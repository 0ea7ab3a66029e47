"""`python -m bot`: check settings, then run until SIGINT or SIGTERM (or `check`: bot/app/check.py).

Every wait of the start-up (the database, Slack's auth.test, the Socket Mode connection) runs
inside one task that a stop signal cancels, so the process always ends when asked.
`python -m bot export|import`: bulk export and import (bot/learning/cli.py).
`python -m bot demo`: the playground, the bot with a local stand-in for Slack (bot/app/demo.py).
`python -m bot oncall import pagerduty|opsgenie <id>...`: schedules as YAML (bot/oncall/importers).
`python -m bot status export <folder>`: the status page as static files (bot/status/cli.py).
`python -m bot mcp`: the MCP tools over stdio (bot/api/stdio.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from bot.app.cli import parse_args
from bot.core.config_file import Config, ConfigFileError
from bot.core.errors import RefusedSetting
from bot.core.logs import configure_logging
from bot.core.settings import Settings, SettingsError, load_settings, secret_values
from storage import StorageUnavailable, explain_unavailable

if TYPE_CHECKING:  # imported where it runs: `--help` and `check` start quickly
    from bot.app.server import BotServer

log = logging.getLogger("bot")

EXIT_STORAGE = 1
EXIT_SETTINGS = 2


async def run(settings: Settings, config: Config) -> int:
    from bot.app.server import BotServer  # here: `--help`, `check`, `export` start quickly

    server = BotServer(settings, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    code = await _serve(server, stop)
    if code == 0:
        log.info("stopping: finishing work in flight")
    await server.stop()
    await _cancel_leftovers()
    return code


async def _serve(server: BotServer, stop: asyncio.Event) -> int:
    """Start, then serve until a stop signal (0) or a refused setting (2)."""
    starting = asyncio.create_task(server.start(), name="start-up")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    failing = asyncio.create_task(server.runtime.wait_failed(), name="refused-setting")
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            log.info("stop signal during start-up: stopping")
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return 0
        try:
            starting.result()
        except StorageUnavailable as exc:
            reason = explain_unavailable(settings_url(server), exc)
            log.error("the database at DATABASE_URL could not be used: %s; not starting", reason)
            return EXIT_STORAGE
        except RefusedSetting as exc:
            log.error("%s", exc)
            return EXIT_SETTINGS
        freeze_startup_heap()
        await asyncio.wait({stopping, failing}, return_when=asyncio.FIRST_COMPLETED)
        if failing.done():
            log.error("%s", failing.result())
            return EXIT_SETTINGS
        return 0
    finally:
        for task in (stopping, failing):
            task.cancel()
        await asyncio.gather(stopping, failing, return_exceptions=True)


def freeze_startup_heap() -> None:
    """Take what start-up built (modules, the app, its settings: some 200,000 objects, there
    for the life of the process) out of the garbage collector's way, so that a full collection
    walks only what was made since. Without it, one full collection under load stopped the
    event loop, and every ack waiting on it, for 70-130 ms (bench.timeline_ack, issue 29).
    Collected first, so start-up's own garbage is freed rather than kept."""
    gc.collect()
    gc.freeze()


def settings_url(server: BotServer) -> str:
    return server.settings.database_url


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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("export", "import"):  # bulk export and import (issue 13)
        from bot.learning.cli import export_main, import_main

        return (export_main if argv[0] == "export" else import_main)(argv[1:])
    if argv and argv[0] == "demo":  # the playground: no Slack workspace needed (issue 30)
        from bot.app.demo import main as demo_main

        return demo_main(argv[1:])
    if argv and argv[0] == "oncall":  # `oncall import`: schedules from PagerDuty or Opsgenie
        from bot.oncall.importers.cli import main as oncall_main

        return oncall_main(argv[1:])
    if argv and argv[0] == "status":  # `status export <folder>`: the page as static files
        from bot.status.cli import main as status_main
        from handlers.config_sections import load_configuration as load

        return status_main(argv[1:], load)
    args = parse_args(argv)
    if args.command == "check":
        from bot.app.check import main as check_main

        return check_main()
    try:
        settings = load_settings()
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    # From here on the secrets live in `settings` only: Bolt would read SLACK_BOT_TOKEN again
    # (and warn that the client's token wins), and child processes need not inherit them.
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        os.environ.pop(name, None)
    from handlers.config_sections import load_configuration

    try:
        config = load_configuration(settings)
    except ConfigFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_SETTINGS
    secrets = secret_values(settings)  # every SecretStr setting, derived: none forgotten
    configure_logging(settings.log_level, settings.log_format, secrets)
    if args.command == "mcp":  # the MCP tools over stdio: stdout is the protocol's
        from bot.api.stdio import serve_stdio

        return asyncio.run(serve_stdio(settings, config))
    return asyncio.run(run(settings, config))


if __name__ == "__main__":
    sys.exit(main())
