"""Connecting over Socket Mode at start-up without retrying a refused token forever.

slack_sdk's Socket Mode client retries `apps.connections.open` and the WebSocket connect in a
loop that never gives up and logs a traceback each time. Here the app-level token is asked
for a URL by our own code: a token Slack refuses stops the bot (RefusedSetting, exit 2);
Slack away is retried with a growing wait, one warning line each time. A WebSocket that will
not open is still retried by slack_sdk, logged as one line without a traceback. The whole
connect is a plain coroutine, so a stop signal cancels it at any point.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import RefusedSetting
from bot.slack.client import slack_error_text
from bot.slack.credentials import backoff, refusal

log = logging.getLogger(__name__)


class _OneLine(logging.Filter):
    """slack_sdk logs each failed connect with a traceback: keep the message, drop the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno >= logging.ERROR:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


SDK_LOG = logging.getLogger("bot.app.socket_mode.sdk")
SDK_LOG.addFilter(_OneLine())


def socket_mode_handler(
    bolt: AsyncApp, app_token: str, client: AsyncWebClient
) -> AsyncSocketModeHandler:
    return AsyncSocketModeHandler(bolt, app_token, logger=SDK_LOG, web_client=client)


async def connect_socket_mode(
    handler: AsyncSocketModeHandler,
    first_retry: float,
    refused_later: Callable[[RefusedSetting], None],
) -> None:
    """Open the Socket Mode connection; raise RefusedSetting if Slack refuses SLACK_APP_TOKEN.

    slack_sdk reconnects on its own later (through the same URL request): a refusal then goes
    to `refused_later`, which stops the process, instead of leaving it silently unconnected."""
    sdk = handler.client
    refused: list[RefusedSetting] = []
    connected = False
    delays = backoff(first_retry)

    async def issue_new_wss_url() -> str:
        while True:
            try:
                response = await sdk.web_client.apps_connections_open(app_token=sdk.app_token)
                return str(response["url"])
            except Exception as exc:
                error = refusal(exc, "SLACK_APP_TOKEN")
                if error is not None:
                    sdk.closed = True  # ends slack_sdk's connect loop instead of retrying
                    if connected:
                        refused_later(error)
                    else:
                        refused.append(error)
                    raise
                delay = next(delays)
                log.warning(
                    "Socket Mode: apps.connections.open failed (%s); trying again in %gs",
                    slack_error_text(exc),
                    delay,
                )
                await asyncio.sleep(delay)

    sdk.issue_new_wss_url = issue_new_wss_url  # type: ignore[method-assign]  # our apps.connections.open, to see a refused token
    await handler.connect_async()
    if refused:
        raise refused[0]
    connected = True
