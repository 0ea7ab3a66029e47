"""Putting people's text into Slack mrkdwn safely."""

from __future__ import annotations

import re

from bot.slack.text import escape

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


# A link target that may go inside `<url|label>`: http(s), no spaces and none of `<>|`, which
# would end the link early and let the rest of the text act as mrkdwn of its own.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s<>|]*)?")


def safe_url(url: object) -> str | None:
    """The URL if it can go into a mrkdwn link as it is; else None (show no link)."""
    if isinstance(url, str) and len(url) <= 2000 and _SAFE_URL.fullmatch(url):
        return url
    return None


def link(url: object, label: str) -> str:
    """`<url|label>` for a checked URL; the (already escaped) label alone otherwise."""
    checked = safe_url(url)
    return f"<{checked}|{label}>" if checked else label


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


SECTION_LIMIT = 3000  # Slack's limit on the text of a section block
# Cutting inside one of these would break it: an escaped character or a mention.
_UNCUTTABLE = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]*>")


def split_for_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split mrkdwn into pieces that each fit one section block, losing nothing.

    Cuts at a line break if there is one in the second half of a piece, else at a space,
    else anywhere; never inside an escaped character (`&amp;`) or a mention (`<@U1>`).
    """
    pieces: list[str] = []
    while len(text) > limit:
        inside: set[int] = set()
        for match in _UNCUTTABLE.finditer(text, 0, limit + 200):
            if match.start() >= limit:
                break
            inside.update(range(match.start() + 1, match.end()))
        cut = _cut_point(text, limit, inside)
        pieces.append(text[:cut].rstrip() or text[:cut])
        text = text[cut:].lstrip("\n ")
    if text or not pieces:
        pieces.append(text)
    return pieces


def _cut_point(text: str, limit: int, inside: set[int]) -> int:
    for separator in ("\n", " "):
        at = text.rfind(separator, limit // 2, limit)
        while at > 0 and at in inside:
            at = text.rfind(separator, limit // 2, at)
        if at > 0:
            return at
    cut = limit
    while cut in inside:
        cut -= 1
    return cut


PAGE_LIMIT = 3500  # characters of one page of a list: one readable ephemeral, far under 40,000


def pages_of(lines: list[str], limit: int = PAGE_LIMIT) -> list[list[str]]:
    """Whole lines grouped into pages of at most `limit` characters (a longer line is cut)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        if pages[-1] and size + len(line) + 1 > limit:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages
