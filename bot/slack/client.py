"""The Slack Web API client: configurable base URL and retries for rate limits and 5xx."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.logs import INCIDENT
from bot.core.metrics import (
    SLACK_API_CALLS,
    SLACK_API_ERRORS,
    SLACK_PACED_SECONDS,
    SLACK_RATE_LIMITED,
)
from bot.core.settings import Settings
from bot.slack.access import AUTH_ERRORS, CHANNEL_ERRORS, access_of, channel_of_call
from bot.slack.tiers import Pacer

log = logging.getLogger(__name__)
# Start-up calls whose failures their caller logs with what happens next.
_REPORTED_BY_CALLER = frozenset({"auth.test", "apps.connections.open"})
# Slack errors the caller expects and handles (see `expecting`): not a failed step.
_EXPECTED: ContextVar[frozenset[str]] = ContextVar("expected_slack_errors", default=frozenset())


@contextmanager
def expecting(*errors: str) -> Iterator[None]:
    """Within this block, these Slack error codes are part of the plan (the caller handles
    them: `not_in_channel` before joining a public channel): logged at INFO, not as a
    failed step. They are still counted as errors in /metrics."""
    token = _EXPECTED.set(_EXPECTED.get() | frozenset(errors))
    try:
        yield
    finally:
        _EXPECTED.reset(token)


class CountingWebClient(AsyncWebClient):
    """The real client, counting calls and failures per method for /metrics, and telling
    the access state (bot/slack/access.py) what Slack's answers say about the token and the
    channels."""

    pacer: Pacer

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        access = access_of(self)
        if access.suspended is not None and api_method != "auth.test":
            raise access.refuse(api_method)
        waited = self.pacer.waited_seconds
        await self.pacer.wait(api_method, channel_of_call(kwargs))
        if self.pacer.waited_seconds > waited:
            SLACK_PACED_SECONDS.labels(api_method).inc(self.pacer.waited_seconds - waited)
        SLACK_API_CALLS.labels(api_method).inc()
        try:
            return await super().api_call(api_method, **kwargs)
        except Exception as exc:
            SLACK_API_ERRORS.labels(api_method).inc()
            error = slack_error_code(exc)
            if error in _EXPECTED.get():
                log.info("Slack answered %s to %s: handled by the caller", error, api_method)
            elif api_method not in _REPORTED_BY_CALLER:
                incident = INCIDENT.get()
                log.warning(
                    "Slack step failed: %s%s: %s",
                    api_method,
                    f" for incident {incident}" if incident is not None else "",
                    slack_error_text(exc),
                )
            # apps.connections.open is the app token; auth.test is checked by its callers (at
            # start-up a refusal stops the bot: bot/slack/identity.py).
            if error in AUTH_ERRORS and api_method not in ("apps.connections.open", "auth.test"):
                access.suspend(error or "invalid_auth")
            elif error in CHANNEL_ERRORS:
                channel = channel_of_call(kwargs)
                if channel:
                    access.channel_trouble(channel, error or "")
            raise


class PacedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits Retry-After, then retries), also counting the 429 and
    holding the method in the pacer, so concurrent calls wait too instead of meeting 429s."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = str(getattr(request, "url", "")).rstrip("/").rsplit("/", 1)[-1]
            SLACK_RATE_LIMITED.labels(method).inc()
            headers = {k.lower(): v for k, v in (response.headers or {}).items()}
            value = headers.get("retry-after")
            retry_after = value[0] if isinstance(value, list) and value else value
            try:
                self.pacer.hold(method, None, float(retry_after or 1))
            except ValueError:
                self.pacer.hold(method, None, 1.0)
        return await super().can_retry_async(
            state=state, request=request, response=response, error=error
        )


def make_web_client(settings: Settings, *, with_token: bool = True) -> AsyncWebClient:
    pacer = Pacer()
    client = CountingWebClient(
        token=settings.slack_bot_token.get_secret_value() if with_token else None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            PacedRateLimitRetryHandler(pacer, max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    client.pacer = pacer
    return client


def slack_error_code(exc: BaseException) -> str | None:
    """Slack's `error` code of a failed call (`name_taken`, ...), or None (e.g. an HTTP 500)."""
    response = getattr(exc, "response", None)
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        error = data.get("error")
        return str(error) if error else None
    return None


def slack_error_text(exc: BaseException) -> str:
    """A short, plain description of a failed Web API call, safe to show a person."""
    error = slack_error_code(exc)
    if error in AUTH_ERRORS or error in ("tokens_revoked", "app_uninstalled"):
        return f"Slack refused the bot's token, `{error}`; a workspace admin must reinstall the app"
    if error:
        return f"Slack answered `{error}`"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status:
        return f"Slack answered HTTP {status}"
    return f"could not reach Slack ({type(exc).__name__})"
