"""Putting people's text into Slack mrkdwn safely."""

from __future__ import annotations

import re

from bot.text import escape

# A mention of one person or one channel, as Slack sends it in command text.
_PERSON_OR_CHANNEL = re.compile(r"<(@[UW][A-Z0-9]+|#C[A-Z0-9]+)(?:\|[^<>]*)?>")


def escape_keeping_mentions(text: str) -> str:
    """Escape `&<>` but keep mentions of one person or channel working.

    `<!channel>`, `<!here>` and group mentions are escaped like everything else, so text
    typed into an update can name the engineer on the database without paging the company.
    """
    out: list[str] = []
    last = 0
    for match in _PERSON_OR_CHANNEL.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<{match.group(1)}>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
