"""What an action item's ticket says: its title and body (Markdown for GitHub, Atlassian
Document Format for Jira). Pure functions; the rules of the item's own text (criteria, the
prevention class) are in bot/postmortem/item_text.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.postmortem.markdown import slack_to_plain

TICKET_LABEL = "incident-action"
MAX_TITLE = 240  # GitHub's web form and Jira's summary (255) both cut long titles


@dataclass(frozen=True)
class Factor:
    number: int
    category: str | None
    text: str


@dataclass(frozen=True)
class TicketContent:
    """Everything a ticket carries, provider-neutral; `github_body`/`jira_description` render it."""

    item_id: int
    number: int
    priority: str
    text: str
    criteria: str | None
    owner_name: str
    owner_id: str
    assignee: str | None
    due: date
    incident_id: int
    incident_title: str
    severity: str
    war_room: str | None
    factors: tuple[Factor, ...]

    @property
    def title(self) -> str:
        one_line = " ".join(self.text.split())
        title = f"[{self.priority}] {one_line}"
        return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"

    @property
    def labels(self) -> list[str]:
        return [TICKET_LABEL, self.priority]

    @property
    def marker(self) -> str:
        return f"sisyphus-action-item:{self.item_id}"


def plain(text: str, names: Mapping[str, str]) -> str:
    return slack_to_plain(text, names)


_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")
_IMAGE = re.compile(r"!\[")
_HTML_IMAGE = re.compile(r"<(?=(?:img|picture|source|video)\b)", re.IGNORECASE)


def inert_markdown(text: str) -> str:
    """People's text as it goes into a GitHub issue, unable to reach anyone or load anything:
    `@octocat` and `@acme/everyone` stop being mentions (a zero-width joiner after the `@`:
    a team mention would notify the whole team), `![x](url)` images become plain links, and
    an HTML image (`<img src=...>`) reads as typed."""
    text = _MENTION.sub("@\u200d", text)
    text = _IMAGE.sub("[", text)
    return _HTML_IMAGE.sub("&lt;", text)


def github_title(t: TicketContent) -> str:
    return inert_markdown(t.title)


def github_body(t: TicketContent) -> str:
    t = replace(
        t,
        text=inert_markdown(t.text),
        criteria=inert_markdown(t.criteria) if t.criteria else None,
        owner_name=inert_markdown(t.owner_name),
        incident_title=inert_markdown(t.incident_title),
        factors=tuple(replace(f, text=inert_markdown(f.text)) for f in t.factors),
    )
    criteria = t.criteria or "_None given yet._ Say how anyone can tell this is done."
    lines = [
        f"Action item #{t.number} of incident #{t.incident_id}: {t.incident_title} "
        f"({t.severity.upper()})",
        "",
        f"- **Priority:** {t.priority}"
        + (" (must be done before the next deploy)" if t.priority == "P0" else ""),
        f"- **Owner:** {t.owner_name} (Slack {t.owner_id})",
        f"- **Due:** {t.due.isoformat()}",
        "",
        "### Description",
        "",
        t.text,
        "",
        "### Acceptance criteria",
        "",
        criteria,
    ]
    if t.factors:
        lines += ["", "### Contributing factors addressed", ""]
        lines += [f"- F{f.number} ({f.category or 'factor'}): {f.text}" for f in t.factors]
    lines += ["", "### Links", ""]
    lines.append(f"- War room: {t.war_room}" if t.war_room else "- War room: (no link known)")
    lines += ["", f"<!-- {t.marker} -->"]
    return "\n".join(lines)


def _para(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(parts)}


def _text(value: str, *, strong: bool = False, link: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    marks: list[dict[str, Any]] = []
    if strong:
        marks.append({"type": "strong"})
    if link:
        marks.append({"type": "link", "attrs": {"href": link}})
    if marks:
        node["marks"] = marks
    return node


def _heading(value: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_text(value)]}


def _bullets(items: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_para(*item)]} for item in items],
    }


def jira_description(t: TicketContent) -> dict[str, Any]:
    """The ticket body as an Atlassian Document Format document (REST v3 `description`)."""
    content: list[dict[str, Any]] = [
        _para(
            _text(
                f"Action item #{t.number} of incident #{t.incident_id}: {t.incident_title} "
                f"({t.severity.upper()})"
            )
        ),
        _bullets(
            [
                [_text("Priority: ", strong=True), _text(t.priority)],
                [_text("Owner: ", strong=True), _text(f"{t.owner_name} (Slack {t.owner_id})")],
                [_text("Due: ", strong=True), _text(t.due.isoformat())],
            ]
        ),
        _heading("Description"),
        _para(_text(t.text)),
        _heading("Acceptance criteria"),
        _para(_text(t.criteria or "None given yet. Say how anyone can tell this is done.")),
    ]
    if t.factors:
        content.append(_heading("Contributing factors addressed"))
        content.append(
            _bullets(
                [[_text(f"F{f.number} ({f.category or 'factor'}): {f.text}")] for f in t.factors]
            )
        )
    content.append(_heading("Links"))
    war_room = (
        [_text("War room: "), _text(t.war_room, link=t.war_room)]
        if t.war_room
        else [_text("War room: (no link known)")]
    )
    content.append(_bullets([war_room]))
    content.append(_para(_text(t.marker)))
    return {"type": "doc", "version": 1, "content": content}
