"""Assembling the Bolt app: the runtime is handed to every listener through the context."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

import handlers
from bot.core.logs import bind_incident, bind_request
from bot.core.priority import for_person
from bot.core.runtime import Runtime
from bot.slack.client import make_web_client
from bot.slack.identity import make_authorize


def build_bolt_app(rt: Runtime) -> AsyncApp:
    secret = rt.settings.slack_signing_secret
    app = AsyncApp(
        # Token-less: `authorize` is where Bolt expects the token to come from; a client with
        # one makes Bolt warn that it ignores it. Listeners use rt.client, which has it.
        client=make_web_client(rt.settings, with_token=False),
        signing_secret=secret.get_secret_value() if secret else "socket-mode-has-no-secret",
        # The web layer checks every signature before Bolt sees a request (bot/app/web.py);
        # Socket Mode has none. Checking again here cost each event an HMAC and a parse.
        request_verification_enabled=False,
        process_before_response=False,
        authorize=make_authorize(rt),
    )
    # Bolt logs the whole body of a request that fails its signature check, at INFO. The web
    # layer refuses those before Bolt sees them, in one line without the body; should one still
    # reach Bolt (a timestamp going stale in between), it must not be logged whole either.
    for name in ("slack_bolt.AsyncRequestVerification", "slack_bolt.RequestVerification"):
        logging.getLogger(name).setLevel(logging.WARNING)

    app.use(InjectRuntime(rt))
    handlers.register_all(app)
    return app


class InjectRuntime(AsyncMiddleware):
    """Hands the runtime to every listener through the context, and says who waits for the
    work. A middleware class: Bolt calls it as it is, where a function middleware has its
    arguments worked out from its signature on every request."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        req.context["runtime"] = self.rt
        for_person()  # what Slack hands over is what someone just did: their calls go first
        bind_request(slack_request_id(req.body))
        bind_incident(None)
        return await next()


def slack_request_id(body: dict[str, Any]) -> str | None:
    """Slack's own id for a request: the event id, or the trigger id of a command or action."""
    for key in ("event_id", "trigger_id", "envelope_id"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
