"""What follows a change of the page, once it is committed: with STATUS_PAGE_CHANNEL set, the
publication (or the maintenance scheduled) is posted there too, in the public words only and
escaped (e.g. a Slack Connect channel shared with customers); with STATUS_EXPORT_DIR set, the
static export is rewritten (export.py). Neither failure undoes the publication: each is
logged, and a refused post is told to the publisher."""

from __future__ import annotations

import logging

from bot.core.runtime import Runtime
from bot.slack.posting import post
from bot.slack.text import escape
from bot.status.config import StatusPageConfig
from bot.status.documents import STATE_WORDS, STATUS_WORDS
from bot.status.export import rewrite_export
from bot.status.queries import Publication

log = logging.getLogger(__name__)


def publication_text(p: Publication, link: str) -> str:
    """The channel's message: the public title, status, text and states, escaped."""
    states = ", ".join(f"{escape(n)}: {STATE_WORDS[s].lower()}" for n, s in p.states.items())
    lines = [f"*{escape(p.title)}*: {STATUS_WORDS[p.status]}", escape(p.body)]
    if states:
        lines.append(f"_Affects: {states}_")
    lines.append(link)
    return "\n".join(lines)


async def announce(rt: Runtime, text: str) -> list[str]:
    """Post `text` to STATUS_PAGE_CHANNEL, if set; what went wrong, for the publisher."""
    channel = rt.settings.status_page_channel
    if not channel:
        return []
    problems: list[str] = []
    await post(rt, channel, text.split("\n", 1)[0], [_section(text)], problems=problems)
    return problems


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


async def after_publication(
    rt: Runtime, config: StatusPageConfig, p: Publication, link: str
) -> list[str]:
    """After a publication is committed: the channel, the export. Problems to tell."""
    problems = await announce(rt, publication_text(p, link))
    await rewrite_export(rt, config)
    return problems
