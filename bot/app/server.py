"""Running the bot: HTTP mode or Socket Mode, start-up and a graceful stop."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

import handlers
from bot.app.bolt import build_bolt_app
from bot.app.socket_mode import connect_socket_mode, socket_mode_handler
from bot.app.web import build_web_app
from bot.core.config_file import Config
from bot.core.runtime import Runtime
from bot.core.settings import Settings
from bot.slack.client import make_web_client
from handlers.config_sections import load_configuration
from storage import Database

log = logging.getLogger(__name__)

LINGERING_SECONDS = 2.0


class BotServer:
    """One bot instance. `start()` returns once it serves; `stop()` finishes and cleans up."""

    def __init__(self, settings: Settings, config: Config | None = None) -> None:
        self.settings = settings
        # Read here unless given: a bad file stops the start (ConfigFileError).
        self.runtime = Runtime(
            settings=settings,
            db=Database(settings.database_url),
            client=make_web_client(settings),
            config=load_configuration(settings) if config is None else config,
        )
        handlers.install_all(self.runtime)
        self.bolt = build_bolt_app(self.runtime)
        self.web = build_web_app(
            self.runtime,
            self.bolt,
            serve_slack=not settings.socket_mode,
            read_timeout=settings.http_read_timeout_seconds,
        )
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.port: int | None = None
        self._stopped = False

    async def start(self) -> None:
        await self.runtime.start()
        # The keep-alive timeout also closes a connection whose request headers never finish
        # (aiohttp starts it on connect): slow clients cannot hold connections open for long.
        self._runner = web.AppRunner(
            self.web,
            handle_signals=False,
            shutdown_timeout=10,
            keepalive_timeout=self.settings.http_read_timeout_seconds,
            # aiohttp's access log writes query strings (a ?secret=) and header values;
            # bot/app/request_log.py writes one short line per request instead.
            access_log=None,
            # After a refusal (408, 413) the unread rest of a body is drained before closing
            # (so the client sees the answer), but for 2 s, not aiohttp's 10: a client that
            # never sends it does not keep the connection, and its file descriptor, for long.
            lingering_time=LINGERING_SECONDS,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        routes = ", ".join(
            f"{r.method} {r.resource.canonical}"
            for r in self.web.router.routes()
            if r.resource is not None and r.method != "HEAD"
        )
        if self.settings.socket_mode:
            token = self.settings.slack_app_token
            assert token is not None
            self.runtime.socket_connected = False
            self._socket = socket_mode_handler(
                self.bolt, token.get_secret_value(), self.runtime.client
            )
            await connect_socket_mode(
                self._socket, self.settings.startup_retry_seconds, self.runtime.fail
            )
            self.runtime.socket_connected = True
            log.info("connected over Socket Mode; serving %s on port %s", routes, self.port)
        else:
            log.info("serving %s on port %s", routes, self.port)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.runtime.stop()
