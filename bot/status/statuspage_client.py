"""Atlassian Statuspage's REST API (v1), the calls the sync and `python -m bot check` make:
create an incident (`POST /v1/pages/{page_id}/incidents`), update one (`PATCH
/v1/pages/{page_id}/incidents/{incident_id}`), both with `{"incident": {name, status, body,
components: {component id: state}, component_ids: [...], metadata}}`, find one we created
(`GET /v1/pages/{page_id}/incidents?q=`), and read the page (`GET /v1/pages/{page_id}`).

Authorization is `OAuth <STATUSPAGE_API_KEY>`; the key is never logged or said. Statuspage
allows about one request a second per key and answers 420 or 429 beyond it (with
Retry-After); errors carry `{"message": ...}` (or `{"error": ...}`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.core.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=20)
RATE_LIMITED = (420, 429)
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Answer:
    """What Statuspage answered; status 0: no answer (unreachable, timed out)."""

    status: int
    body: Any = None
    retry_after: float | None = None
    problem: str = ""  # without an answer: why

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth asking again: no answer, rate limited, or Statuspage's own failure."""
        return self.status == 0 or self.status in RATE_LIMITED or self.status >= 500

    def reason(self) -> str:
        """One line: the status and Statuspage's message (never a header, never the key)."""
        if self.status == 0:
            return self.problem or "no answer"
        said = ""
        if isinstance(self.body, dict):
            found = self.body.get("message") or self.body.get("error") or ""
            if isinstance(found, list):
                found = "; ".join(str(f) for f in found)
            said = str(found)
        said = " ".join(said.split())[:200]
        return f"HTTP {self.status}" + (f": {said}" if said else "")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds (a number, or an HTTP date), at most an hour; None if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _headers(settings: Settings) -> dict[str, str]:
    assert settings.statuspage_api_key is not None
    return {
        "Authorization": f"OAuth {settings.statuspage_api_key.get_secret_value()}",
        "Accept": "application/json",
    }


def _page_url(settings: Settings, rest: str = "") -> str:
    return f"{settings.statuspage_api_url}/v1/pages/{settings.statuspage_page_id}{rest}"


async def call(
    http: aiohttp.ClientSession,
    settings: Settings,
    method: str,
    rest: str = "",
    body: dict[str, Any] | None = None,
) -> Answer:
    """One request to the page's API; every failure is an Answer, never an exception."""
    try:
        async with http.request(
            method, _page_url(settings, rest), headers=_headers(settings), json=body
        ) as resp:
            text = await resp.text()
            try:
                parsed: Any = json.loads(text) if text else None
            except ValueError:
                parsed = None
            return Answer(resp.status, parsed, retry_after(resp.headers.get("Retry-After")))
    except TimeoutError:
        return Answer(0, problem=f"no answer within {TIMEOUT.total:.0f} s")
    except aiohttp.ClientError as exc:
        return Answer(0, problem=f"unreachable ({type(exc).__name__})")


async def create_incident(
    http: aiohttp.ClientSession, settings: Settings, incident: dict[str, Any]
) -> Answer:
    return await call(http, settings, "POST", "/incidents", {"incident": incident})


async def update_incident(
    http: aiohttp.ClientSession, settings: Settings, incident_id: str, incident: dict[str, Any]
) -> Answer:
    return await call(http, settings, "PATCH", f"/incidents/{incident_id}", {"incident": incident})


async def find_incident(
    http: aiohttp.ClientSession, settings: Settings, name: str, public_id: str
) -> Answer:
    """The incident we created for `public_id` (its `metadata.sisyphus.public_id`), searched
    by its name among the newest (`GET /v1/pages/{page_id}/incidents?q=`): the Answer's body is
    the incident, or None when there is none."""
    answer = await call(http, settings, "GET", f"/incidents?{urlencode({'q': name, 'limit': 25})}")
    if not answer.ok:
        return answer
    found = None
    for incident in answer.body if isinstance(answer.body, list) else []:
        ours = ((incident or {}).get("metadata") or {}).get("sisyphus") or {}
        if isinstance(ours, dict) and ours.get("public_id") == public_id:
            found = incident
            break
    return Answer(answer.status, found)


async def check_page(settings: Settings) -> tuple[bool, str]:
    """`python -m bot check`: whether the key reads the page, and one line saying so."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        answer = await call(http, settings, "GET")
    if answer.ok and isinstance(answer.body, dict):
        name = str(answer.body.get("name") or settings.statuspage_page_id)
        return True, f"page {name!r} ({settings.statuspage_page_id}) answers"
    if answer.status in (401, 403):
        return False, (
            f"STATUSPAGE_API_KEY was refused ({answer.reason()}): use the API key of a user "
            "with the Incident Manager role (Statuspage: your avatar → API info)"
        )
    if answer.status == 404:
        return (
            False,
            f"no page {settings.statuspage_page_id} (STATUSPAGE_PAGE_ID; {answer.reason()})",
        )
    return False, f"GET /v1/pages/{settings.statuspage_page_id} failed: {answer.reason()}"
