"""Parsing and checking the follow-through settings (tickets, working hours). Pure.

Kept apart from bot/core/settings.py so that module stays a list of settings; every function
raises ValueError with the reason pydantic reports as "<NAME> <reason>".
"""

from __future__ import annotations

import re
from typing import Protocol

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(value: str) -> tuple[int, int]:
    """`09-18` -> (9, 18): from 09:00 up to (not including) 18:00 local; `00-24` is all day."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", value or "")
    if not match:
        raise ValueError("must be two hours such as 09-18 (00-24 means any hour)")
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start < end <= 24):
        raise ValueError("must be a start hour before an end hour, within 00-24")
    return start, end


def parse_days(value: str) -> frozenset[int]:
    """`mon-fri` -> {0..4} (Python weekdays); also lists such as `mon,wed,fri` and `sun-tue`."""
    days: set[int] = set()
    for part in (value or "").lower().split(","):
        part = part.strip()
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError("must be days such as mon-fri, mon-sun or mon,wed,fri")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        day = a
        while True:
            days.add(day)
            if day == b:
                break
            day = (day + 1) % 7
    return frozenset(days)


def parse_ticket_users(value: str) -> dict[str, str]:
    """`U123=octocat,U456=5b10ac8d82e05b22cc7d4ef5` -> {Slack user ID: login or account ID}."""
    mapping: dict[str, str] = {}
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        user, sep, login = part.partition("=")
        user, login = user.strip(), login.strip()
        if not sep or not re.fullmatch(r"[UW][A-Z0-9]+", user) or not login:
            raise ValueError(
                "must be Slack user IDs mapped to logins, e.g. U0123ABCD=octocat,U0456EFGH=hubot"
            )
        mapping[user] = login
    return mapping


class TicketSettings(Protocol):
    """The settings `ticket_problems` reads (bot.core.settings.Settings has them all)."""

    @property
    def tickets(self) -> str: ...

    @property
    def github_token(self) -> object: ...

    @property
    def github_repo(self) -> str | None: ...

    @property
    def jira_url(self) -> str | None: ...

    @property
    def jira_email(self) -> str | None: ...

    @property
    def jira_api_token(self) -> object: ...

    @property
    def jira_project_key(self) -> str | None: ...


def ticket_problems(settings: TicketSettings) -> list[str]:
    """What TICKETS=github|jira still needs, one line per missing setting."""
    if settings.tickets == "github":
        needed = {"GITHUB_TOKEN": settings.github_token, "GITHUB_REPO": settings.github_repo}
    elif settings.tickets == "jira":
        needed = {
            "JIRA_URL": settings.jira_url,
            "JIRA_EMAIL": settings.jira_email,
            "JIRA_API_TOKEN": settings.jira_api_token,
            "JIRA_PROJECT_KEY": settings.jira_project_key,
        }
    else:
        return []
    return [
        f"{name} is required when TICKETS={settings.tickets}"
        for name, value in needed.items()
        if not value
    ]
