"""What an action item's text carries besides the change itself: `Done when: <criteria>` at
the end, a `#class` hashtag naming its prevention class, and how its ticket link reads.

Pure functions, shared by the postmortem (which stores and renders items) and follow-through
(which files and tracks them)."""

from __future__ import annotations

import re

PREVENTION_CLASSES = ("automation", "observability", "resilience", "documentation", "training")
MAX_CRITERIA = 1000

_DONE_WHEN = re.compile(r"(?:^|[\s.;,])done when\s*:\s*", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w&#])#(" + "|".join(PREVENTION_CLASSES) + r")\b", re.IGNORECASE)


def split_criteria(text: str) -> tuple[str, str | None]:
    """`Alert on slow queries. Done when: it fires in the drill` ->
    ("Alert on slow queries.", "it fires in the drill"). No criteria -> (text, None)."""
    matches = list(_DONE_WHEN.finditer(text))
    if not matches:
        return text.strip(), None
    last = matches[-1]
    criteria = text[last.end() :].strip()
    body = text[: last.start() + (1 if last.group(0)[:1] in ".;," else 0)].strip()
    return body, (criteria or None)


def split_item_text(text: str) -> tuple[str, str | None]:
    """(the item's text, its acceptance criteria) from `<text> Done when: <criteria>`."""
    body, criteria = split_criteria(text)
    if criteria and len(criteria) > MAX_CRITERIA:
        criteria = criteria[:MAX_CRITERIA]
    return body, criteria


def prevention_class_of(text: str) -> str | None:
    """The first `#automation|#observability|#resilience|#documentation|#training` in it."""
    match = _HASHTAG.search(text)
    return match.group(1).lower() if match else None


def missing_classes(classes: list[str | None]) -> list[str]:
    present = {c for c in classes if c}
    return [c for c in PREVENTION_CLASSES if c not in present]


def ticket_label(url: str | None, external_id: str | None, provider: str | None) -> str:
    """`acme/ops#12` for a GitHub issue, the key (`OPS-7`) for Jira, else `ticket`."""
    if url:
        match = re.search(r"^https?://[^/]+/([^/]+/[^/]+)/issues/(\d+)$", url)
        if match:
            return f"{match.group(1)}#{match.group(2)}"
        match = re.search(r"/browse/([A-Z][A-Z0-9_]*-\d+)$", url)
        if match:
            return match.group(1)
    return external_id or "ticket"
