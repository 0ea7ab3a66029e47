"""HTML for the archive: Jinja2 templates (autoescaped) and the postmortem draft's Markdown
turned into sanitized HTML (markdown-it without raw HTML, then nh3: no script, no event
handlers, no style, links only to http(s) and mailto)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from bot.learning.search import MARK_END, MARK_START

# Script is never inline (there is none); styles come from our own stylesheet only.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}
ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code",
    "pre", "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "s", "del",
}  # fmt: skip


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["snippet"] = snippet_html
    return env


def page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def markdown_html(markdown: str) -> Markup:
    """The draft's Markdown as HTML safe to put in the page."""
    raw = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
    html = raw.render(markdown)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # sanitized by nh3 just above


def snippet_html(snippet: str) -> Markup:
    """A search snippet escaped, its matched words in <mark>."""
    body = str(escape(" ".join(snippet.split())))
    if body.count(MARK_START) != body.count(MARK_END):
        body = body.replace(MARK_START, "").replace(MARK_END, "")
    return Markup(body.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime | None, tz: ZoneInfo) -> dict[str, str]:
    """A time in the reader's zone, with UTC beside it (and the ISO form for <time>)."""
    if moment is None:
        return {"local": "", "utc": "", "iso": ""}
    local = moment.astimezone(tz)
    return {
        "local": local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""),
        "utc": moment.strftime("%H:%M UTC") if local.utcoffset() else "",
        "iso": moment.isoformat(),
    }
