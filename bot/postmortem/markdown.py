"""Putting user text into a Markdown document without letting it change the structure.

User text is kept whole, but what would make it a heading, a quote, a list, a table row,
a code fence, a link, an image or raw HTML is escaped, so a message like `# Root cause`,
`| a | b |` or `[login](http://evil.example)` reads as typed and never breaks the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A structural marker at the start of a line (CommonMark allows up to 3 spaces before it).
_LINE_START = re.compile(r"^([ \t]{0,3})([#>+\-*=_|`~\[]|\d{1,9}(?=[.)]))", re.MULTILINE)
_SLACK_MARKUP = re.compile(
    r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>"
)


def _escape_common(text: str) -> str:
    # Backslashes first, so a user's own `\|` cannot unescape our `\|` in a table cell.
    # Brackets anywhere: `[phish](http://evil.example)` and `![img](...)` must not become a
    # link or an image in the draft or the canvas; they read as typed.
    text = text.replace("\\", "\\\\").replace("<", "&lt;").replace("|", "\\|")
    text = text.replace("[", "\\[").replace("]", "\\]")
    return _LINE_START.sub(_escape_marker, text)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker.isdigit():  # `1.` or `1)` starts an ordered list: escape the punctuation
        return indent + marker + "\\"
    if marker == "|":  # already escaped by _escape_common
        return indent + marker
    return indent + "\\" + marker


def block(text: str, indent: str = "") -> str:
    """Multi-line text inside a list item: every line escaped, continuation lines indented."""
    escaped = _escape_common(text.replace("\r\n", "\n").replace("\r", "\n"))
    if "\n" not in escaped:
        return escaped
    lines = escaped.split("\n")
    return lines[0] + "".join(f"\n{indent}{line}" if line else "\n" for line in lines[1:])


def inline(text: str) -> str:
    """One line (a heading, a label): newlines become spaces, `#` everywhere is escaped."""
    one_line = " ".join(text.split())
    return _escape_common(one_line).replace("#", "\\#")


def cell(text: str) -> str:
    """A table cell: pipes escaped, line breaks kept as <br>."""
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return "<br>".join(_escape_common(line) for line in lines if line) or " "


def slack_to_plain(text: str, names: Mapping[str, str]) -> str:
    """Slack markup to readable text: `<@U1|ann>` -> `@ann`, `<#C1|ops>` -> `#ops`,
    `<!here>` -> `@here`, `<https://x|label>` -> `label (https://x)`."""
    if "<" not in text:
        return text
    return _SLACK_MARKUP.sub(lambda m: _plain(m, names), text)


def _plain(match: re.Match[str], names: Mapping[str, str]) -> str:
    sigil, target, label, url, url_label = match.groups()
    if url:
        return f"{url_label} ({url})" if url_label and url_label != url else url
    if sigil == "@":
        return "@" + (names.get(target) or label or target)
    if sigil == "#":
        return "#" + (label or target)
    return "@" + (label or target.split("^")[0])
