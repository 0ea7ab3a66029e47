"""Block Kit builders every domain uses: a mrkdwn section, a context line, text cut to fit.

Slack refuses a message whose section text is over 3000 characters (`invalid_blocks`); text
that may be long is either cut with `fit` (a card, an alert) or split with `sections` (a
summary someone wrote, which must not lose a word).
"""

from __future__ import annotations

from typing import Any

from bot.slack.mrkdwn import split_for_sections

SECTION_TEXT_LIMIT = 2900  # under Slack's 3000 for a section's text, with room for the marker


def fit(
    text: str, limit: int = SECTION_TEXT_LIMIT, *, marker: str = " …", at_space: bool = False
) -> str:
    """The text, cut to `limit` characters and marked if longer, never inside an `&...;` entity.

    `at_space` cuts at the last space before the limit (a word is not split), where there is one.
    """
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if at_space:
        cut = cut.rsplit(" ", 1)[0]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + marker


def section(text: str) -> dict[str, Any]:
    """A section of mrkdwn, the text as given (`fit` it first if it may be long)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def sections(text: str) -> list[dict[str, Any]]:
    """As many sections as the text needs: split if long, never cut (split_for_sections)."""
    return [section(piece) for piece in split_for_sections(text)]


def context(text: str) -> dict[str, Any]:
    """A context block of one mrkdwn element: small grey text under a message."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
