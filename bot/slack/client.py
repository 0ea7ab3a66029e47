"""The Slack Web API client: configurable base URL and retries for rate limits and 5xx."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.logs import INCIDENT
from bot.core.metrics import SLACK_API_CALLS, SLACK_API_ERRORS
from bot.core.settings import Settings

log = logging.getLogger(__name__)
# Start-up calls whose failures their caller logs with what happens next.
_REPORTED_BY_CALLER = frozenset({"auth.test", "apps.connections.open"})


class CountingWebClient(AsyncWebClient):
    """The real client, counting calls and failures per method for /metrics."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        SLACK_API_CALLS.labels(api_method).inc()
        try:
            return await super().api_call(api_method, **kwargs)
        except Exception as exc:
            SLACK_API_ERRORS.labels(api_method).inc()
            if api_method not in _REPORTED_BY_CALLER:
                incident = INCIDENT.get()
                log.warning(
                    "Slack step failed: %s%s: %s",
                    api_method,
                    f" for incident {incident}" if incident is not None else "",
                    slack_error_text(exc),
                )
            raise


def make_web_client(settings: Settings, *, with_token: bool = True) -> AsyncWebClient:
    return CountingWebClient(
        token=settings.slack_bot_token.get_secret_value() if with_token else None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


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
    if error:
        return f"Slack answered `{error}`"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status:
        return f"Slack answered HTTP {status}"
    return f"could not reach Slack ({type(exc).__name__})"
