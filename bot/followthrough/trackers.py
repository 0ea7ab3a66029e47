"""Filing a ticket with GitHub Issues or Jira Cloud, over aiohttp.

Each answer becomes one of three outcomes: Filed (the ticket exists), Retry (429, 5xx, a
network failure: try again later, honouring Retry-After) or Refused (401, 403, 404, 410, 422,
400: it will not work until someone changes a setting; said in plain words, naming the
setting to check). Tokens go in headers only and are never logged.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core.settings import Settings
from bot.followthrough.content import (
    TICKET_LABEL,
    TicketContent,
    github_body,
    github_title,
    jira_description,
)

log = logging.getLogger(__name__)
GITHUB_API_VERSION = "2022-11-28"
USER_AGENT = "sisyphus-incident-bot"


@dataclass(frozen=True)
class Filed:
    external_id: str
    url: str


@dataclass(frozen=True)
class Retry:
    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Refused:
    reason: str


Outcome = Filed | Retry | Refused

_GITHUB_HINTS = {
    401: "check GITHUB_TOKEN",
    403: "check that GITHUB_TOKEN may create issues in GITHUB_REPO",
    404: "check GITHUB_REPO (and that GITHUB_TOKEN can see it)",
    410: "issues are turned off in GITHUB_REPO",
    422: "check TICKET_USERS and the repository's labels",
}
_JIRA_HINTS = {
    400: "check JIRA_PROJECT_KEY, JIRA_ISSUE_TYPE and TICKET_USERS",
    401: "check JIRA_EMAIL and JIRA_API_TOKEN",
    403: "check that the JIRA_EMAIL account may create issues in JIRA_PROJECT_KEY",
    404: "check JIRA_URL",
}
_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            410: "Gone", 422: "Unprocessable Entity"}  # fmt: skip


def provider_name(provider: str) -> str:
    return {"github": "GitHub", "jira": "Jira"}.get(provider, provider)


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def _detail(body: Any, provider: str) -> str:
    """A short, safe summary of the vendor's error body (messages only, cut to 200 chars)."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    if provider == "github":
        if isinstance(body.get("message"), str):
            parts.append(body["message"])
        for err in body.get("errors") or []:
            if isinstance(err, dict):
                field = err.get("field") or err.get("resource") or ""
                parts.append(f"{field} {err.get('code') or err.get('message') or ''}".strip())
    else:
        parts += [m for m in body.get("errorMessages") or [] if isinstance(m, str)]
        errors = body.get("errors") or {}
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items() if isinstance(v, str)]
    text = "; ".join(p for p in parts if p)
    return text[:200]


def _outcome(provider: str, status: int, headers: Any, body: Any) -> Outcome | None:
    """Retry or Refused for a failed answer; None if the status means success."""
    name = provider_name(provider)
    if status in (200, 201):
        return None
    retry_after = _retry_after(headers)
    rate_limited = status == 403 and (
        retry_after is not None or headers.get("x-ratelimit-remaining") == "0"
    )
    if status == 429 or status >= 500 or rate_limited:
        return Retry(f"{name} answered {status}", retry_after)
    hints = _GITHUB_HINTS if provider == "github" else _JIRA_HINTS
    reason = f"{name} said {status} {_REASONS.get(status, 'error')}"
    detail = _detail(body, provider)
    if detail:
        reason += f" ({detail})"
    hint = hints.get(status)
    return Refused(reason + (f": {hint}" if hint else ""))


async def _post(
    session: aiohttp.ClientSession,
    provider: str,
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str],
) -> tuple[int, Any, Any] | Retry:
    try:
        async with session.post(url, json=payload, headers=headers) as resp:
            raw = await resp.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            return resp.status, resp.headers, body
    except (aiohttp.ClientError, OSError) as exc:
        return Retry(f"could not reach {provider_name(provider)} ({type(exc).__name__})")


async def file_github(
    session: aiohttp.ClientSession, settings: Settings, ticket: TicketContent
) -> Outcome:
    token = settings.github_token.get_secret_value() if settings.github_token else ""
    payload: dict[str, Any] = {
        "title": github_title(ticket),
        "body": github_body(ticket),
        "labels": ticket.labels,
    }
    if ticket.assignee:
        payload["assignees"] = [ticket.assignee]
    url = f"{settings.github_api_url}/repos/{settings.github_repo}/issues"
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": GITHUB_API_VERSION,
        "User-Agent": USER_AGENT,
    }
    answer = await _post(session, "github", url, payload, headers)
    if isinstance(answer, Retry):
        return answer
    status, resp_headers, body = answer
    failed = _outcome("github", status, resp_headers, body)
    if failed is not None:
        return failed
    if not isinstance(body, dict) or "number" not in body:
        return Retry("GitHub answered without an issue number")
    return Filed(str(body["number"]), str(body.get("html_url") or ""))


async def file_jira(
    session: aiohttp.ClientSession, settings: Settings, ticket: TicketContent
) -> Outcome:
    token = settings.jira_api_token.get_secret_value() if settings.jira_api_token else ""
    fields: dict[str, Any] = {
        "project": {"key": settings.jira_project_key},
        "issuetype": {"name": settings.jira_issue_type},
        "summary": ticket.title,
        "description": jira_description(ticket),
        "labels": ticket.labels,
        "duedate": ticket.due.isoformat(),
    }
    if ticket.assignee:
        fields["assignee"] = {"accountId": ticket.assignee}
    url = f"{settings.jira_url}/rest/api/3/issue"
    basic = base64.b64encode(f"{settings.jira_email or ''}:{token}".encode()).decode()
    headers = {
        "Accept": "application/json",
        "Authorization": f"Basic {basic}",
        "User-Agent": USER_AGENT,
    }
    answer = await _post(session, "jira", url, {"fields": fields}, headers)
    if isinstance(answer, Retry):
        return answer
    status, resp_headers, body = answer
    failed = _outcome("jira", status, resp_headers, body)
    if failed is not None:
        return failed
    if not isinstance(body, dict) or not body.get("key"):
        return Retry("Jira answered without an issue key")
    return Filed(str(body["key"]), f"{settings.jira_url}/browse/{body['key']}")


async def find_github_issue(
    session: aiohttp.ClientSession, settings: Settings, ticket: TicketContent
) -> Outcome | None:
    """The issue an earlier attempt may have created before its answer was lost (a timeout,
    a 5xx after the fact, a claimer killed mid-request): found by the marker in its body
    among the repository's newest `incident-action` issues. None if there is none.

    GitHub's list endpoint (issues/list-for-repo) reads the repository directly, unlike its
    search, so an issue created a moment ago is in it.
    """
    token = settings.github_token.get_secret_value() if settings.github_token else ""
    url = f"{settings.github_api_url}/repos/{settings.github_repo}/issues"
    params = {"labels": TICKET_LABEL, "state": "all", "sort": "created", "direction": "desc",
              "per_page": "100"}  # fmt: skip
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": GITHUB_API_VERSION,
        "User-Agent": USER_AGENT,
    }
    try:
        async with session.get(url, params=params, headers=headers) as resp:
            raw = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except (aiohttp.ClientError, OSError) as exc:
        return Retry(f"could not reach GitHub ({type(exc).__name__})")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    failed = _outcome("github", status, resp_headers, body)
    if failed is not None:
        return failed
    marker = f"<!-- {ticket.marker} -->"
    for issue in body if isinstance(body, list) else []:
        if isinstance(issue, dict) and marker in str(issue.get("body") or ""):
            return Filed(str(issue["number"]), str(issue.get("html_url") or ""))
    return None


async def find_jira_issue(
    session: aiohttp.ClientSession, settings: Settings, ticket: TicketContent
) -> Outcome | None:
    """Like `find_github_issue`, through Jira's JQL search (GET /rest/api/3/search/jql):
    the project's `incident-action` issues of the last week, by the marker in their
    description. Jira's search index can lag a just-created issue by a moment, so this is a
    best effort: by the time a claim's lease has run out it has usually caught up."""
    token = settings.jira_api_token.get_secret_value() if settings.jira_api_token else ""
    basic = base64.b64encode(f"{settings.jira_email or ''}:{token}".encode()).decode()
    jql = (
        f'project = "{settings.jira_project_key}" AND labels = "{TICKET_LABEL}" '
        "AND created >= -7d ORDER BY created DESC"
    )
    params = {"jql": jql, "fields": "description", "maxResults": "100"}
    headers = {"Accept": "application/json", "Authorization": f"Basic {basic}",
               "User-Agent": USER_AGENT}  # fmt: skip
    url = f"{settings.jira_url}/rest/api/3/search/jql"
    try:
        async with session.get(url, params=params, headers=headers) as resp:
            raw = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except (aiohttp.ClientError, OSError) as exc:
        return Retry(f"could not reach Jira ({type(exc).__name__})")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    failed = _outcome("jira", status, resp_headers, body)
    if failed is not None:
        return failed
    issues = body.get("issues") if isinstance(body, dict) else None
    for issue in issues if isinstance(issues, list) else []:
        description = json.dumps((issue.get("fields") or {}).get("description"))
        if isinstance(issue, dict) and issue.get("key") and ticket.marker in description:
            return Filed(str(issue["key"]), f"{settings.jira_url}/browse/{issue['key']}")
    return None


async def file_ticket(
    session: aiohttp.ClientSession,
    settings: Settings,
    provider: str,
    ticket: TicketContent,
    *,
    retrying: bool = False,
) -> Outcome:
    """File the ticket; `retrying` (an earlier attempt's outcome is not known to have failed
    cleanly) first looks for the ticket that attempt may have made."""
    if provider == "github":
        if retrying:
            found = await find_github_issue(session, settings, ticket)
            if found is not None:
                return found
        return await file_github(session, settings, ticket)
    if provider == "jira":
        if retrying:
            found = await find_jira_issue(session, settings, ticket)
            if found is not None:
                return found
        return await file_jira(session, settings, ticket)
    return Refused(f"ticket provider {provider!r} is not configured: check TICKETS")
