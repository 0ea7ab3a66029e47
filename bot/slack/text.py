"""Small text helpers for Slack: escaping user text and reading mentions."""

from __future__ import annotations

import re

_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
# C0 control characters but tab and newline: PostgreSQL refuses NUL in text, and the rest
# are invisible noise in a title or timeline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn and plain text.

    With `<` and `>` escaped, `<!channel>` or `<@U1>` typed into a title shows as typed
    and pings nobody.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_REFERENCE_START = re.compile(r"<(?=[@#!])")


def inert_references(text: str) -> str:
    """Text from outside Slack (an alert's labels) stored where user and channel references
    are given back as names (the timeline): a word joiner after `<` keeps `<@U123>` or
    `<!channel>` reading as typed, in every view of it, without pinging anyone."""
    return _REFERENCE_START.sub("<\u2060", text)


EXCERPT = 60  # characters of someone's input that a refusal quotes back


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """A short, escaped quote of what someone typed, for a refusal: never the whole of it."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text)


def parse_user_mention(token: str) -> str | None:
    """`<@U123|name>` or `<@U123>` -> `U123`; anything else -> None."""
    match = _USER_MENTION.fullmatch(token.strip())
    return match.group(1) if match else None


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_unassigned_"


def unescape(text: str) -> str:
    """Slack escapes `&<>` in the text it sends; undo it to store what the person typed.

    Control characters (NUL and the like, but not tab and newline) are dropped on the way.
    """
    text = strip_control(text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_control(text: str) -> str:
    """Drop C0 control characters (and DEL) but tab and newline: storable anywhere."""
    return _CONTROL.sub("", text)
