"""Logging: plain or JSON lines, and a filter that keeps Slack secrets out of every line."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

_TOKEN = re.compile(r"\b(xox[abposre]-|xapp-)[A-Za-z0-9-]+")

# Set where known; asyncio tasks inherit them, so a listener's lines carry its request's ids.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
INCIDENT: ContextVar[int | None] = ContextVar("incident", default=None)


def bind_incident(number: int | None) -> None:
    INCIDENT.set(number)


def bind_request(request_id: str | None) -> None:
    REQUEST_ID.set(request_id)


class ContextFields(logging.Filter):
    """Copy the incident number and Slack request id of the current task onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "incident", None) is None:
            record.incident = INCIDENT.get()
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class RedactSecrets(logging.Filter):
    """Replace Slack tokens and any configured secret with a placeholder, and escape line
    breaks: a value taken from a request cannot start a forged log line of its own."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Longest first: a value that contains another (a list of keys) goes whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        text = _TOKEN.sub(lambda m: m.group(1) + "[redacted]", text)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _one_line(self._clean(message))
        if record.exc_info:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("incident", "request_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class DemoteToDebug(logging.Filter):
    """For a library's chatter at INFO: shown at DEBUG only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def configure_logging(level: str, fmt: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFields())
    handler.addFilter(RedactSecrets(secrets))
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic's plugin set-up, and slack_sdk's "A retry handler found" before each retry (the
    # caller logs one line when the call finally fails).
    for name in ("alembic.runtime.plugins", "slack_sdk.web.async_base_client"):
        chatty = logging.getLogger(name)
        if not any(isinstance(f, DemoteToDebug) for f in chatty.filters):
            chatty.addFilter(DemoteToDebug())
    # slack_sdk's DEBUG output is every Web API call's body: message text. Never logged.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, root.level))
