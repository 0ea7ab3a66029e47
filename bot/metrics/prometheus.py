"""Asking Prometheus (its HTTP API, /api/v1): instant queries, range queries and its build
information. Every request goes to PROMETHEUS_URL, with its credentials, and no redirect is
followed (an answer cannot send the bot elsewhere). Whatever goes wrong is a
PrometheusError whose message is one line for the war room (no credentials, no URL query)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.core.settings import Settings

MAX_ERROR = 200  # characters of Prometheus's own error message


class PrometheusError(Exception):
    """One line: what went wrong asking Prometheus."""


class QueryRefused(PrometheusError):
    """Prometheus answered, refusing the query (a parse error, say): the expression's fault."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (unix seconds, value)


def configured(settings: Settings) -> bool:
    return settings.prometheus_url is not None


def where(settings: Settings) -> str:
    """The host Prometheus is asked at, for messages (no path, no credentials)."""
    parts = urlsplit(settings.prometheus_url or "")
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "?"


def _auth(settings: Settings) -> tuple[dict[str, str], aiohttp.BasicAuth | None]:
    if settings.prometheus_bearer_token is not None:
        token = settings.prometheus_bearer_token.get_secret_value()
        return {"Authorization": f"Bearer {token}"}, None
    if settings.prometheus_username:
        password = settings.prometheus_password
        secret = password.get_secret_value() if password is not None else ""
        return {}, aiohttp.BasicAuth(settings.prometheus_username, secret)
    return {}, None


def _float(value: Any) -> float:
    try:
        return float(value)  # "NaN", "+Inf" and "-Inf" included
    except (TypeError, ValueError):
        return math.nan


class Prometheus:
    """`async with Prometheus(settings) as prom:` one HTTP session for a check's queries."""

    def __init__(self, settings: Settings) -> None:
        if settings.prometheus_url is None:
            raise PrometheusError("PROMETHEUS_URL is not set")
        self.settings = settings
        self.base = settings.prometheus_url
        self.timeout = settings.prometheus_query_timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Prometheus:
        headers, auth = _auth(self.settings)
        self._session = aiohttp.ClientSession(
            headers={"Accept": "application/json", **headers},
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        assert self._session is not None, "use `async with Prometheus(...)`"
        try:
            async with self._session.get(
                self.base + path, params=params, allow_redirects=False
            ) as resp:
                status = resp.status
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except TimeoutError:
            raise PrometheusError(
                f"Prometheus at {where(self.settings)} did not answer within {self.timeout:g} s"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            raise PrometheusError(
                f"Prometheus at {where(self.settings)} is unreachable "
                f"({'connection refused' if refused else 'cannot connect'})"
            ) from None
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
            raise PrometheusError(
                f"Prometheus at {where(self.settings)} failed to answer ({type(exc).__name__})"
            ) from None
        if status in (401, 403):
            raise PrometheusError(
                f"Prometheus at {where(self.settings)} refused the credentials (HTTP {status}): "
                "check PROMETHEUS_BEARER_TOKEN or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD"
            )
        if isinstance(body, dict) and body.get("status") == "error":
            kind = str(body.get("errorType") or "error")
            message = " ".join(str(body.get("error") or "").split())[:MAX_ERROR]
            raise QueryRefused(f"Prometheus answered an error ({kind}): {message}")
        if status != 200 or not isinstance(body, dict) or "data" not in body:
            raise PrometheusError(
                f"Prometheus at {where(self.settings)} answered HTTP {status}, not its API"
            )
        return body["data"]

    async def buildinfo(self) -> dict[str, Any]:
        data = await self._get("/api/v1/status/buildinfo")
        return data if isinstance(data, dict) else {}

    async def instant(self, expr: str, at: datetime | None = None) -> list[Sample]:
        """The expression now (or `at`): one sample per series (a scalar: one, no labels)."""
        params = {"query": expr, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        data = await self._get("/api/v1/query", params)
        kind, result = data.get("resultType"), data.get("result")
        if kind in ("scalar", "string") and isinstance(result, list) and len(result) == 2:
            return [Sample({}, _float(result[1]))]
        if not isinstance(result, list):
            return []
        return [
            Sample(dict(r.get("metric") or {}), _float((r.get("value") or [0, "NaN"])[1]))
            for r in result
            if isinstance(r, dict)
        ]

    async def range(
        self, expr: str, start: datetime, end: datetime, step_seconds: float
    ) -> list[Series]:
        params = {
            "query": expr,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step_seconds:g}",
            "timeout": f"{self.timeout:g}s",
        }
        data = await self._get("/api/v1/query_range", params)
        result = data.get("result")
        if not isinstance(result, list):
            return []
        return [
            Series(
                dict(r.get("metric") or {}),
                [(float(t), _float(v)) for t, v in r.get("values") or []],
            )
            for r in result
            if isinstance(r, dict)
        ]
